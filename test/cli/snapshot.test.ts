import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseObservationSnapshotText } from "../../src/domain/index.js";
import { rightsize } from "../helpers/cli.js";
import { loadFixtureObjects, startFakeCluster, type FakeCluster } from "../helpers/kubernetes-api.js";
import { withTTY } from "../helpers/terminal.js";
import { withoutInterception } from "../helpers/network.js";

withoutInterception();

const AT = "2025-01-03T00:00:00.000Z";
let cluster: FakeCluster;
let directory: string;
let kubeconfig: string;

beforeAll(async () => {
  // shop: CronJob/report, DaemonSet/node-agent, Deployment/web, Job/migrate, ReplicaSet/legacy-rs, Rollout/canary, StatefulSet/db; batch: Deployment/worker.
  cluster = await startFakeCluster(loadFixtureObjects("shop.yaml", "batch.yaml"));
  directory = await mkdtemp(path.join(os.tmpdir(), "rightsize-snapshot-cli-"));
  kubeconfig = path.join(directory, "kubeconfig.yaml");
  await writeFile(kubeconfig, cluster.kubeconfig().exportConfig());
});
afterAll(async () => {
  await cluster?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

/** `snapshot` through the loopback Kubernetes API, reading its state only (no sampling). */
const snapshot = (...args: string[]) => rightsize("snapshot", "--kubeconfig", kubeconfig, "--sample-duration", "0", "--at", AT, ...args);
const observed = (stdout: string) => parseObservationSnapshotText(stdout).workloads.map(({ workload }) => `${workload.namespace}/${workload.kind}/${workload.name}`);

describe("rightsize snapshot: what it observes", () => {
  it("observes what the policy selects when no namespace is named: its namespaces and its kinds", async () => {
    const policy = path.join(directory, "rightsize.yml");
    await writeFile(policy, "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\nselector:\n  kinds: [Deployment, StatefulSet]\n  namespaces: {deny: [batch]}\n");
    const result = await snapshot("--policy", policy);
    expect(result.stderr).toBe("rightsize: 2 workloads observed\n");
    expect(observed(result.stdout)).toEqual(["shop/Deployment/web", "shop/StatefulSet/db"]);
  });

  it("observes every namespace with -A, whatever a policy selects", async () => {
    const result = await snapshot("-A");
    expect(result.status).toBe(0);
    expect(observed(result.stdout)).toHaveLength(8);
    expect(observed(result.stdout)).toContain("batch/Deployment/worker");
  });

  it("observes the workloads named, in the namespaces they name", async () => {
    const result = await snapshot("shop/deployment/web", "batch/deploy/worker");
    expect(result.stderr).toBe("rightsize: 2 workloads observed\n");
    expect(observed(result.stdout)).toEqual(["batch/Deployment/worker", "shop/Deployment/web"]);
  });

  it("names the nearest workloads observed when a name matches none, with exit 2", async () => {
    const result = await snapshot("-n", "shop", "deployment/wbe");
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({ status: 2, stdout: "", stderr: "rightsize: no workload deployment/wbe observed; did you mean shop/deployment/web?\n" });
  });

  it.each([
    [["-n", "shop", "-A"], "rightsize: -n/--namespace and -A/--all-namespaces exclude each other\n"],
    [["-n", "shop", "batch/deployment/worker"], "rightsize: batch/deployment/worker is in namespace batch, which --namespace does not name; add it or drop the namespace from the workload\n"],
    [["-A", "--policy", "rightsize.yml"], "rightsize: --policy chooses the namespaces when neither --namespace nor -A does; drop one of them\n"],
    [["-n", "shop", "-o", "yaml", "--output-file", "x.json"], "rightsize: --output-file writes the snapshot as JSON, the format plan and recommend read; drop --output yaml\n"],
  ])("refuses %j with exit 2", async (args, stderr) => {
    expect(await snapshot(...args)).toMatchObject({ status: 2, stdout: "", stderr });
  });
});

describe("rightsize snapshot: output", () => {
  it("writes the JSON snapshot with --output-file, and still with the old --output FILE, saying so once", async () => {
    const file = path.join(directory, "shop.json");
    const written = await snapshot("-n", "shop", "--output-file", file);
    expect(written).toMatchObject({ status: 0, stdout: "", stderr: `rightsize: 7 workloads observed; wrote ${file}\n` });
    const old = path.join(directory, "old.json");
    const legacy = await snapshot("-n", "shop", "--output", old);
    expect(legacy).toMatchObject({ status: 0, stdout: "", stderr: `rightsize: --output FILE is deprecated; use --output-file ${old} (--output now names the format)\nrightsize: 7 workloads observed; wrote ${old}\n` });
    expect(parseObservationSnapshotText(await readFile(old, "utf8")).workloads).toHaveLength(7);
  });

  it("prints one table row per container, with the cluster, and CSV with the same rows", async () => {
    const table = await snapshot("--cluster", "prod", "shop/deployment/web", "shop/statefulset/db", "-o", "table");
    expect(table.stdout).toBe(
      [
        "CLUSTER  WORKLOAD             CONTAINER    PODS  CPU P95  CPU MAX  MEMORY MAX  OOM KILLS  RESTARTS",
        "prod     shop/Deployment/web  app          2     -        -        -           1          1",
        "prod     shop/Deployment/web  istio-proxy  2     -        -        -           0          0",
        "prod     shop/StatefulSet/db  postgres     1     -        -        -           0          3",
        "",
      ].join("\n"),
    );
    const csv = await snapshot("--cluster", "prod", "shop/deployment/web", "-o", "csv");
    expect(csv.stdout).toBe(
      [
        "cluster,namespace,kind,name,container,source,mode,pods,coverage,cpu_p95,cpu_max,memory_max,oom_kills,restarts,throttled_ratio",
        "prod,shop,Deployment,web,app,kubernetes-api,continuous,2,0,,,,1,1,0",
        "prod,shop,Deployment,web,istio-proxy,kubernetes-api,continuous,2,0,,,,0,0,0",
        "",
      ].join("\n"),
    );
  });
});

describe("progress of a long observation", () => {
  it("goes to stderr on a terminal", async () => {
    const result = await withTTY(process.stderr, true, () => snapshot("-n", "shop"));
    expect(result.stderr).toBe("rightsize: kubernetes: default/shop: 7 workloads\nrightsize: 7 workloads observed\n");
  });

  it("is left out when stderr is not a terminal (a CI log, a pipe): only the outcome is said", async () => {
    const result = await withTTY(process.stderr, false, () => snapshot("-n", "shop"));
    expect(result.stderr).toBe("rightsize: 7 workloads observed\n");
  });
});
