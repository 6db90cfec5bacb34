import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { rightsize } from "../helpers/cli.js";
import { git } from "../helpers/git-repo.js";
import { FIXTURES, fixture } from "./helpers.js";

const scratch = mkdtempSync(path.join(tmpdir(), "rightsize-edit-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const BEFORE = path.relative(process.cwd(), path.join(FIXTURES, "edit", "comments-and-blank-lines", "before.yaml")).split(path.sep).join("/");
const EDIT = ["edit", BEFORE, "--kind", "Deployment", "--name", "checkout", "--container", "api", "--cpu-request", "250m", "--memory-request", "192Mi", "--memory-limit", "384Mi"];

function copyOf(fixtureName: string, file: string): string {
  const target = path.join(scratch, `${fixtureName}-${Math.random().toString(36).slice(2)}.yaml`);
  copyFileSync(path.join(FIXTURES, "edit", fixtureName, file), target);
  return target;
}

describe("rightsize edit", () => {
  it("prints the edited file, byte for byte", async () => {
    const { status, stdout, stderr } = await rightsize(...EDIT);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(stdout).toBe(fixture("edit", "comments-and-blank-lines", "after.yaml"));
  });

  it("prints a unified diff with --diff", async () => {
    const { status, stdout } = await rightsize(...EDIT, "--diff");
    expect(status).toBe(0);
    expect(stdout).toBe(
      [
        `diff --git a/${BEFORE} b/${BEFORE}`,
        `--- a/${BEFORE}`,
        `+++ b/${BEFORE}`,
        "@@ -15,11 +15,11 @@",
        "           # sized for Black Friday 2023",
        "           resources:",
        "             requests:",
        "-              cpu: 100m      # p95 was 80m",
        "-              memory: 128Mi",
        "+              cpu: 250m      # p95 was 80m",
        "+              memory: 192Mi",
        " ",
        "             limits:",
        "               # no CPU limit on purpose (throttling)",
        "-              memory: 256Mi",
        "+              memory: 384Mi",
        "           ports:",
        "             - containerPort: 8080",
        "",
      ].join("\n"),
    );
  });

  it("writes the file in place with --write, keeping its mode and leaving no temporary file", async () => {
    const file = copyOf("crlf-bom-trailing-space-no-final-newline", "before.yaml");
    const mode = statSync(file).mode;
    const { status, stdout } = await rightsize("edit", file, "--kind", "Deployment", "--name", "legacy", "--container", "app", "--cpu-request", "150m", "--memory-limit", "2Gi", "--write");
    expect(status).toBe(0);
    expect(stdout).toBe("");
    expect(readFileSync(file, "utf8")).toBe(fixture("edit", "crlf-bom-trailing-space-no-final-newline", "after.yaml"));
    expect(statSync(file).mode).toBe(mode);
    expect(readdirSync(scratch).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("exits 2 with a one-line reason on a refused edit and leaves the file untouched", async () => {
    const file = path.join(scratch, "shared.yaml");
    copyFileSync(path.join(FIXTURES, "refuse", "shared-alias.yaml"), file);
    const before = readFileSync(file, "utf8");
    const { status, stdout, stderr } = await rightsize("edit", file, "--kind", "Deployment", "--name", "shared", "--container", "b", "--cpu-request", "200m", "--write");
    expect(status).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      `rightsize: ${file}:14: cannot set requests.cpu of container "b" in Deployment shared: the value comes from alias *defaults (line 14), and its anchor &defaults (line 10) is shared with other places; give this container its own value first\n`,
    );
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("exits 2 for a value that is not a quantity, an unknown kind, or no value at all", async () => {
    const base = ["edit", BEFORE, "--name", "checkout", "--container", "api"];
    const notQuantity = await rightsize(...base, "--kind", "Deployment", "--cpu-request", "2 cores");
    expect(notQuantity.status).toBe(2);
    expect(notQuantity.stderr).toContain('--cpu-request: "2 cores" is not a Kubernetes quantity');
    const badKind = await rightsize(...base, "--kind", "Pod", "--cpu-request", "1");
    expect(badKind.status).toBe(2);
    expect(badKind.stderr).toBe("rightsize: --kind: \"Pod\" is not one of Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Rollout\n");
    const nothing = await rightsize(...base, "--kind", "Deployment");
    expect(nothing.status).toBe(2);
    expect(nothing.stderr).toBe("rightsize: nothing to change: give at least one of --cpu-request, --memory-request, --cpu-limit, --memory-limit\n");
  });

  it("names the file in --diff relative to its repository's root, so git apply takes the diff there", async () => {
    const repo = path.join(scratch, `repo-${Math.random().toString(36).slice(2)}`);
    mkdirSync(path.join(repo, "apps", "checkout"), { recursive: true });
    copyFileSync(path.join(FIXTURES, "edit", "comments-and-blank-lines", "before.yaml"), path.join(repo, "apps", "checkout", "deployment.yaml"));
    git(repo, "init", "--quiet", "--initial-branch=main");
    git(repo, "add", ".");
    git(repo, "commit", "--quiet", "-m", "checkout");
    // An absolute path outside the current directory: the headers used to read a/tmp/….
    const file = path.join(repo, "apps", "checkout", "deployment.yaml");
    const { status, stdout } = await rightsize("edit", file, "--kind", "Deployment", "--name", "checkout", "--container", "api", "--cpu-request", "250m", "--diff");
    expect(status).toBe(0);
    expect(stdout.split("\n").slice(0, 3)).toEqual(["diff --git a/apps/checkout/deployment.yaml b/apps/checkout/deployment.yaml", "--- a/apps/checkout/deployment.yaml", "+++ b/apps/checkout/deployment.yaml"]);
    writeFileSync(path.join(scratch, "edit.diff"), stdout);
    git(repo, "apply", "--check", path.join(scratch, "edit.diff"));
    git(repo, "apply", path.join(scratch, "edit.diff"));
    expect(readFileSync(file, "utf8")).toBe(fixture("edit", "comments-and-blank-lines", "before.yaml").replace("cpu: 100m", "cpu: 250m"));
  });

  it("refuses a request above the container's limit, which Kubernetes rejects, naming both values and the fix (exit 2)", async () => {
    const above = await rightsize("edit", BEFORE, "--kind", "Deployment", "--name", "checkout", "--container", "api", "--memory-request", "512Mi");
    expect(above.status).toBe(2);
    expect(above.stdout).toBe("");
    // Line 19 holds requests.memory (128Mi); limits.memory is 256Mi on line 23.
    expect(above.stderr).toBe(
      `rightsize: ${BEFORE}:19: cannot set requests.memory of container "api" in Deployment shop/checkout to 512Mi: it is above the container's limits.memory (256Mi), and Kubernetes rejects a request above its limit; set limits.memory to at least 512Mi as well, or request at most 256Mi\n`,
    );
    const both = await rightsize("edit", BEFORE, "--kind", "Deployment", "--name", "checkout", "--container", "api", "--memory-request", "512Mi", "--memory-limit", "384Mi");
    expect(both.stderr).toBe(
      `rightsize: ${BEFORE}:19: cannot set requests.memory of container "api" in Deployment shop/checkout to 512Mi: it is above the new limits.memory (384Mi), and Kubernetes rejects a request above its limit; set limits.memory to at least 512Mi as well, or request at most 384Mi\n`,
    );
    const below = await rightsize("edit", BEFORE, "--kind", "Deployment", "--name", "checkout", "--container", "api", "--cpu-limit", "50m");
    expect(below.status).toBe(2);
    // No CPU limit yet: the line is that of the container's resources (16).
    expect(below.stderr).toBe(
      `rightsize: ${BEFORE}:16: cannot set limits.cpu of container "api" in Deployment shop/checkout to 50m: it is below the container's requests.cpu (100m), and Kubernetes rejects a request above its limit; set limits.cpu to at least 100m, or lower requests.cpu as well\n`,
    );
    const raised = await rightsize("edit", BEFORE, "--kind", "Deployment", "--name", "checkout", "--container", "api", "--memory-request", "512Mi", "--memory-limit", "512Mi");
    expect(raised.status).toBe(0);
  });

  it("exits 2 when the file cannot be read", async () => {
    const missing = path.join(scratch, "missing.yaml");
    const { status, stderr } = await rightsize("edit", missing, "--kind", "Deployment", "--name", "x", "--container", "x", "--cpu-request", "1");
    expect(status).toBe(2);
    expect(stderr).toBe(`rightsize: ${missing}: cannot read the manifest (file not found)\n`);
  });
});

describe("rightsize discover", () => {
  const repo = path.join(FIXTURES, "repos", "kustomize");

  it("lists workloads as JSON", async () => {
    const { status, stdout } = await rightsize("discover", repo, "--output", "json");
    expect(status).toBe(0);
    const discovery = JSON.parse(stdout) as { workloads: { namespace: string; kind: string; name: string }[]; skipped: unknown[] };
    expect(discovery.workloads.map((workload) => `${workload.namespace}/${workload.kind}/${workload.name}`)).toEqual([
      "prod/Deployment/prod-api",
      "prod/CronJob/prod-cleanup",
      "staging/Deployment/api-stg",
      "staging/CronJob/cleanup-stg",
    ]);
    expect(discovery.skipped).toEqual([]);
  });

  it("prints a table with the values and the files that define them", async () => {
    const { status, stdout } = await rightsize("discover", repo);
    expect(status).toBe(0);
    const rows = stdout.trimEnd().split("\n").map((line) => line.split(/\s{2,}/));
    expect(rows[0]).toEqual(["NAMESPACE", "KIND", "NAME", "CONTAINER", "ROLE", "CPU REQ", "MEM REQ", "CPU LIM", "MEM LIM", "RESOURCES AT"]);
    expect(rows[1]).toEqual(["prod", "Deployment", "prod-api", "api", "container", "100m", "512Mi", "-", "256Mi", "apps/base/deployment.yaml:15, apps/overlays/prod/api-resources.yaml:12"]);
    expect(rows).toContainEqual(["staging", "CronJob", "cleanup-stg", "cleanup", "container", "50m", "-", "-", "-", "apps/base/cronjob.yaml:17"]);
  });

  it("exits 2 when the directory does not exist", async () => {
    const missing = path.join(scratch, "nowhere");
    const { status, stderr } = await rightsize("discover", missing);
    expect(status).toBe(2);
    expect(stderr).toBe(`rightsize: ${missing}: not a directory; give the path of a checkout of the config repo\n`);
  });
});

describe("rightsize discover with a policy", () => {
  const repo = path.join(scratch, "policy-repo");
  cpSync(path.join(FIXTURES, "repos", "shared-bases"), repo, { recursive: true });
  mkdirSync(path.join(repo, ".github"), { recursive: true });
  const policy = (targets: string): string => `apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\ntargets:\n${targets}`;
  writeFileSync(
    path.join(repo, ".github", "rightsize.yml"),
    policy('  - paths: ["deploy/overlays/production/**"]\n    cluster: prod\n  - paths: ["deploy/overlays/staging/**"]\n    cluster: staging\n'),
  );
  const row = (line: string): string[] => line.split(/\s{2,}/);

  it("scans the targets of <dir>/.github/rightsize.yml, with their cluster, and says what is shared", async () => {
    const { status, stdout, stderr } = await rightsize("discover", repo);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines.slice(0, 5).map(row)).toEqual([
      ["CLUSTER", "NAMESPACE", "KIND", "NAME", "CONTAINER", "ROLE", "CPU REQ", "MEM REQ", "CPU LIM", "MEM LIM", "RESOURCES AT"],
      ["prod", "production", "Deployment", "backend", "backend", "container", "100m", "256Mi", "-", "1Gi", "deploy/bases/backend/deployment.yaml:19, deploy/overlays/production/backend-memory.yaml:12"],
      ["prod", "production", "Deployment", "frontend", "frontend", "container", "100m", "32Mi", "1000m", "512Mi", "deploy/bases/frontend/deployment.yaml:19"],
      ["staging", "staging", "Deployment", "backend", "backend", "container", "100m", "32Mi", "-", "1Gi", "deploy/bases/backend/deployment.yaml:19"],
      ["staging", "staging", "Deployment", "frontend", "frontend", "container", "100m", "32Mi", "1000m", "512Mi", "deploy/bases/frontend/deployment.yaml:19"],
    ]);
    expect(lines.slice(5, 8)).toEqual([
      "",
      "shared with other workloads (a proposal sets these values in the workload's own overlay, or is refused):",
      "  prod production/Deployment/backend backend: dev/Deployment/backend via deploy/overlays/dev/kustomization.yaml, staging/Deployment/backend in cluster staging",
    ]);
  });

  it("narrows the targets with --include and takes another policy with --policy; JSON names the cluster", async () => {
    const narrowed = await rightsize("discover", repo, "--include", "**/production/**", "--output", "json");
    expect(narrowed.status).toBe(0);
    const report = JSON.parse(narrowed.stdout) as { workloads: { cluster?: string; namespace: string; name: string }[] };
    expect(report.workloads.map((workload) => `${workload.cluster} ${workload.namespace}/${workload.name}`)).toEqual(["prod production/backend", "prod production/frontend"]);
    const other = path.join(scratch, "other-policy.yml");
    writeFileSync(other, policy('  - paths: ["deploy/overlays/dev/**"]\n    cluster: lab\n    namespace: unused\n'));
    const dev = JSON.parse((await rightsize("discover", repo, "--policy", other, "--output", "json")).stdout) as typeof report;
    expect(dev.workloads.map((workload) => `${workload.cluster} ${workload.namespace}/${workload.name}`)).toEqual(["lab dev/backend", "lab dev/frontend"]);
  });

  it("exits 2 with the policy's problems when the policy is invalid", async () => {
    const broken = path.join(scratch, "broken-policy.yml");
    writeFileSync(broken, "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\ntargets: yes\n");
    const { status, stderr } = await rightsize("discover", repo, "--policy", broken);
    expect(status).toBe(2);
    expect(stderr).toBe(`rightsize: ${broken}:3:10 targets: expected a list, got \"yes\"\n`);
  });
});
