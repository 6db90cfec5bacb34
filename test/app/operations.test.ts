import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { credentialVariables, secretScrubber } from "../../src/app/logger.js";

const ROOT = path.join(import.meta.dirname, "../..");

describe("log lines", () => {
  it("lose every secret value and anything shaped like a credential", () => {
    const scrub = secretScrubber(
      { WEBHOOK_SECRET: "webhook-secret-value", PROD_PROM_TOKEN: "prometheus-bearer-value", PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY-----" },
      ["PROD_PROM_TOKEN"],
    );
    const line = JSON.stringify({
      msg: "failed with webhook-secret-value and prometheus-bearer-value",
      key: "-----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY-----",
      auth: "token ghs_abcdefghijklmnopqrstuvwxyz012345",
      url: "https://x-access-token:ghs_secretsecretsecret@github.com/acme/shop.git",
      header: "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload",
    });
    const clean = scrub(line);
    for (const secret of ["webhook-secret-value", "prometheus-bearer-value", "MIIabc", "ghs_abcdefghijklmnopqrstuvwxyz012345", "ghs_secretsecretsecret", "eyJhbGciOiJSUzI1NiJ9"]) {
      expect(clean).not.toContain(secret);
    }
    expect(JSON.parse(clean).msg).toBe("failed with [redacted] and [redacted]");
  });

  it("knows which variables the clusters file takes credentials from", () => {
    expect(
      credentialVariables({
        clusters: [
          { name: "a", prometheus: { url: "http://a", bearerTokenEnv: "A_TOKEN", tls: { insecureSkipVerify: false }, timeout: { text: "30s", seconds: 30 }, retries: 3, headers: {}, maxQueryLength: 16_384 } },
          { name: "b", prometheus: { url: "http://b", basicAuth: { usernameEnv: "B_USER", passwordEnv: "B_PASSWORD" }, tls: { insecureSkipVerify: false }, timeout: { text: "30s", seconds: 30 }, retries: 3, headers: {}, maxQueryLength: 16_384 } },
          { name: "c", snapshot: "/x.json" },
          {
            name: "d",
            prometheus: {
              url: "http://d",
              auth: { provider: "aws", region: "eu-west-1", service: "aps" },
              headers: { "X-Scope-OrgID": { valueEnv: "D_TENANT" }, "X-Team": { value: "shop" } },
              tls: { insecureSkipVerify: false },
              timeout: { text: "30s", seconds: 30 },
              retries: 3,
              maxQueryLength: 16_384,
            },
          },
        ],
      }),
    ).toEqual(["A_TOKEN", "B_PASSWORD", "D_TENANT", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]);
  });
});

describe("the install manifests (deploy/)", () => {
  const render = (dir: string) =>
    parseAllDocuments(execFileSync("kubectl", ["kustomize", path.join(ROOT, dir)], { encoding: "utf8" })).map((document) => document.toJS() as Record<string, any>);

  it("render with kubectl kustomize: namespace, service account, read-only RBAC, the app with probes and a locked-down container", () => {
    const objects = render("deploy");
    expect(objects.map((object) => object.kind).sort()).toEqual(["ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Namespace", "Secret", "Service", "ServiceAccount"]);
    const role = objects.find((object) => object.kind === "ClusterRole")!;
    const verbs = new Set(role.rules.flatMap((rule: { verbs: string[] }) => rule.verbs));
    expect([...verbs].sort()).toEqual(["get", "list", "watch"]);
    const resources = role.rules.flatMap((rule: { apiGroups: string[]; resources: string[] }) => rule.resources.map((resource) => `${rule.apiGroups[0] || "core"}/${resource}`));
    expect(resources.sort()).toEqual([
      "apps/daemonsets",
      "apps/deployments",
      "apps/replicasets",
      "apps/statefulsets",
      "argoproj.io/rollouts",
      "autoscaling/horizontalpodautoscalers",
      "batch/cronjobs",
      "batch/jobs",
      "core/events",
      "core/namespaces",
      "core/pods",
      "metrics.k8s.io/pods",
    ]);
    const deployment = objects.find((object) => object.kind === "Deployment")!;
    const container = deployment.spec.template.spec.containers[0];
    expect(container.readinessProbe.httpGet.path).toBe("/readyz");
    expect(container.livenessProbe.httpGet.path).toBe("/healthz");
    expect(container.securityContext).toEqual({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    expect(container.resources.requests).toEqual({ cpu: "100m", memory: "256Mi" });
    expect(container.env.find((variable: { name: string }) => variable.name === "RIGHTSIZE_CLUSTERS_FILE").value).toBe("/etc/rightsize/clusters.yaml");
    expect(objects.every((object) => object.kind === "Namespace" || object.kind.startsWith("Cluster") || object.metadata.namespace === "rightsize")).toBe(true);
  });

  it("scale out with the Redis overlay: two replicas sharing Redis", () => {
    const objects = render("deploy/redis");
    const app = objects.find((object) => object.kind === "Deployment" && object.metadata.name === "rightsize")!;
    expect(app.spec.replicas).toBe(2);
    expect(app.spec.template.spec.containers[0].env).toContainEqual({ name: "REDIS_URL", value: "redis://rightsize-redis:6379" });
    expect(objects.filter((object) => object.metadata.name === "rightsize-redis").map((object) => object.kind).sort()).toEqual(["Deployment", "Service"]);
  });
});

describe("the Dockerfile", () => {
  const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
  const instructions = dockerfile
    .replace(/\\\n/g, " ")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"))
    .map((line) => {
      const [instruction, ...rest] = line.trim().split(/\s+/);
      return { instruction: instruction!.toUpperCase(), args: rest.join(" ") };
    });
  const stages = instructions.filter((entry) => entry.instruction === "FROM");
  const runtime = instructions.slice(instructions.lastIndexOf(stages.at(-1)!));

  it("builds in one stage and runs from a slim Node 22 or 24 in another", () => {
    expect(stages).toHaveLength(2);
    expect(stages[0]!.args).toMatch(/ AS build$/);
    expect(stages[1]!.args).toMatch(/^node:(22|24)[-.\w]*slim/);
    expect(runtime.some((entry) => entry.instruction === "COPY" && entry.args.startsWith("--from=build /app/node_modules"))).toBe(true);
  });

  it("runs npm start as a user that is not root, with a health check on /healthz", () => {
    expect(runtime.find((entry) => entry.instruction === "USER")?.args).toMatch(/^(node|\d{4,})/);
    expect(runtime.find((entry) => entry.instruction === "HEALTHCHECK")?.args).toContain("/healthz");
    expect(runtime.at(-1)).toEqual({ instruction: "CMD", args: '["npm", "start"]' });
  });

  it("takes no tests, fixtures or keys into the image", () => {
    const copied = instructions.filter((entry) => entry.instruction === "COPY").map((entry) => entry.args);
    expect(copied.filter((args) => /\btest\b|fixtures|\.pem|\.key|\.env/.test(args))).toEqual([]);
    const ignored = readFileSync(path.join(ROOT, ".dockerignore"), "utf8").split("\n");
    for (const entry of ["test", "bench", "*.pem", ".env", "node_modules", ".git"]) expect(ignored).toContain(entry);
  });
});
