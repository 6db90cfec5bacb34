import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DecisionRecordSchema, renderDecisionTable, type DecisionRecord } from "../../src/recommend/index.js";
import { rightsize } from "../helpers/cli.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/snapshots/", import.meta.url));
const SNAPSHOT = path.join(FIXTURES, "shop.json");
const scratch = mkdtempSync(path.join(tmpdir(), "rightsize-recommend-"));

const startDirectory = process.cwd();

// Without --policy the CLI reads .github/rightsize.yml from the working directory when present.
beforeAll(() => process.chdir(scratch));
afterAll(() => {
  process.chdir(startDirectory);
  rmSync(scratch, { recursive: true, force: true });
});

const records = (stdout: string): DecisionRecord[] => DecisionRecordSchema.array().parse(JSON.parse(stdout));

describe("rightsize recommend", () => {
  it("prints a JSON array of decision records, stamped with the snapshot's createdAt, and exits 1 because one workload is blocked", async () => {
    const { status, stdout, stderr } = await rightsize("recommend", "--snapshot", SNAPSHOT);
    const printed = records(stdout);
    expect(stderr).toBe("");
    expect(status).toBe(1);
    expect(printed.map((record) => [record.workload.name, record.decision.action])).toEqual([
      ["cart", "propose"],
      ["data-export", "propose"],
      ["ledger", "blocked"],
    ]);
    expect(printed.every((record) => record.createdAt === "2026-11-21T06:00:00Z")).toBe(true);
    expect(printed[0]!.policy).toEqual({ path: "(defaults)", apiVersion: "rightsize.dev/v1alpha2", sha256: "" });
    // p90 150m × 1.15 (variability: p99 200m ÷ p90 150m = 1.333, capped at 1.15) = 172.5m → 175m; max 250Mi × 1.15 = 287.5Mi → 288Mi
    // (no series in this snapshot, so memory takes its rating's margin).
    expect(printed[0]!.containers[0]!.recommended).toEqual({ requests: { cpu: "175m", memory: "288Mi" }, limits: { memory: "1Gi" } });
    // p95 of run peaks 0.5…0.9 = 0.88 × 1.2 = 1.056 → 1100m; peak 1300Mi × 1.2 = 1560Mi → 1568Mi.
    expect(printed[1]!.containers[0]!.recommended.requests).toEqual({ cpu: "1100m", memory: "1568Mi" });
    expect(printed[2]!.decision.reasons).toEqual([
      "not observed: Prometheus answered 403 Forbidden for namespace payments; grant the query user read access",
    ]);
  });

  it("prints the same records the same way every time (reproducible from the snapshot)", async () => {
    const first = await rightsize("recommend", "--snapshot", SNAPSHOT);
    const second = await rightsize("recommend", "--snapshot", SNAPSHOT);
    expect(second.stdout).toBe(first.stdout);
  });

  it("prints a table with --output text", async () => {
    const json = records((await rightsize("recommend", "--snapshot", SNAPSHOT)).stdout);
    const { status, stdout } = await rightsize("recommend", "--snapshot", SNAPSHOT, "--output", "text");
    expect(status).toBe(1);
    expect(stdout).toBe(renderDecisionTable(json));
    // 125m and 224Mi less per pod × 3 pods: (0.125 × 0.031611 + 0.21875 × 0.004237) × 730 × 3 = 10.68 USD a month.
    expect(stdout.split("\n")[1]).toBe("prod     shop/Deployment/cart        server     300m → 175m (−41.7%)  512Mi → 288Mi (−43.8%)  −10.68 USD  SAFE     HIGH (80)    change   propose");
  });

  it("evaluates at --at when given", async () => {
    const { stdout } = await rightsize("recommend", "--snapshot", SNAPSHOT, "--at", "2026-12-01T00:00:00Z");
    expect(records(stdout)[0]!.createdAt).toBe("2026-12-01T00:00:00Z");
  });

  it("reads --policy and cites its path, apiVersion and sha256: SAFE margin 1.4 gives memory 250Mi × 1.4 = 350Mi", async () => {
    const file = path.join(scratch, "rightsize.yml");
    const text = "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\nrecommend:\n  margins: {SAFE: 1.4}\n";
    writeFileSync(file, text);
    const printed = records((await rightsize("recommend", "--snapshot", SNAPSHOT, "--policy", file)).stdout);
    expect(printed[0]!.policy).toEqual({ path: file, apiVersion: "rightsize.dev/v1alpha2", sha256: createHash("sha256").update(text).digest("hex") });
    expect(printed[0]!.containers[0]!.recommended.requests.memory).toBe("350Mi");
  });

  it("exits 2 naming the field and what was expected when the snapshot is invalid", async () => {
    const { status, stdout, stderr } = await rightsize("recommend", "--snapshot", path.join(FIXTURES, "invalid-p95.json"));
    expect(status).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("invalid-p95.json: invalid observation snapshot:\n  workloads[0].containers[0].cpu.p95: Invalid input: expected number, received string\n");
  });

  it("names the chart series point that is wrong", async () => {
    const snapshot = JSON.parse(readFileSync(SNAPSHOT, "utf8"));
    snapshot.workloads[0].containers[0].series = { step: "1h", cpu: [[1, 0.2, 0.3], [2, -0.1, 0.3]], memory: [] };
    const file = path.join(scratch, "bad-series.json");
    writeFileSync(file, JSON.stringify(snapshot));
    const { status, stderr } = await rightsize("recommend", "--snapshot", file);
    expect(status).toBe(2);
    expect(stderr).toContain(
      "bad-series.json: invalid observation snapshot:\n  workloads[0].containers[0].series.cpu: point 1 is [2,-0.1,0.3]; expected [time, p95, max] with numbers and p95, max ≥ 0\n",
    );
  });

  it("exits 2 when the snapshot file does not exist", async () => {
    const missing = path.join(scratch, "nope.json");
    const { status, stderr } = await rightsize("recommend", "--snapshot", missing);
    expect(status).toBe(2);
    expect(stderr).toBe(`rightsize: ${missing}: cannot read the observation snapshot (file not found); write one with "rightsize snapshot"\n`);
  });

  it("exits 2 when the snapshot is not JSON", async () => {
    const file = path.join(scratch, "broken.json");
    writeFileSync(file, "{ not json");
    const { status, stderr } = await rightsize("recommend", "--snapshot", file);
    expect(status).toBe(2);
    expect(stderr).toMatch(/broken\.json: not valid JSON/);
  });

  it("exits 2 for an --at that is not an ISO time", async () => {
    const { status, stderr } = await rightsize("recommend", "--snapshot", SNAPSHOT, "--at", "yesterday");
    expect(status).toBe(2);
    expect(stderr).toBe('rightsize: --at: "yesterday" is not an ISO 8601 time with a zone, such as 2026-11-21T06:00:00Z\n');
  });

  it("exits 2 without --snapshot", async () => {
    const { status, stderr } = await rightsize("recommend");
    expect(status).toBe(2);
    expect(stderr).toBe('rightsize: --snapshot FILE is required: an observation snapshot, as "rightsize snapshot" writes it\n');
  });

  it("still reads --observation, the old name of --snapshot, and says so in one line on stderr", async () => {
    const old = await rightsize("recommend", "--observation", SNAPSHOT);
    const current = await rightsize("recommend", "--snapshot", SNAPSHOT);
    expect(old.stderr).toBe("rightsize: --observation is deprecated; use --snapshot FILE\n");
    expect({ status: old.status, stdout: old.stdout }).toEqual({ status: current.status, stdout: current.stdout });
    expect((await rightsize("recommend", "--help")).stdout).not.toContain("--observation");
  });

  describe("workload targets, as /rightsize takes them", () => {
    const names = (stdout: string) => records(stdout).map((record) => `${record.workload.namespace}/${record.workload.kind}/${record.workload.name}`);

    it("recommends only the workloads named (kind/name, namespace/kind/name, kubectl's short kinds) or in --namespace", async () => {
      expect(names((await rightsize("recommend", "--snapshot", SNAPSHOT, "deployment/cart")).stdout)).toEqual(["shop/Deployment/cart"]);
      expect(names((await rightsize("recommend", "--snapshot", SNAPSHOT, "shop/cronjob/data-export", "deploy/cart")).stdout)).toEqual(["shop/Deployment/cart", "shop/CronJob/data-export"]);
      const ledger = await rightsize("recommend", "--snapshot", SNAPSHOT, "-n", "payments");
      expect(names(ledger.stdout)).toEqual(["payments/Deployment/ledger"]);
      expect(ledger.status).toBe(1);
      const cart = await rightsize("recommend", "--snapshot", SNAPSHOT, "--namespace", "shop", "--cluster", "prod", "all");
      expect(names(cart.stdout)).toEqual(["shop/Deployment/cart", "shop/CronJob/data-export"]);
      expect(cart.status).toBe(0);
    });

    it.each([
      [["deployment/crat"], "rightsize: no workload deployment/crat in SNAPSHOT; did you mean shop/deployment/cart?\n"],
      [["statefulset/ledger"], "rightsize: no workload statefulset/ledger in SNAPSHOT; did you mean payments/deployment/ledger?\n"],
      [["deployment/nothing-like-it"], "rightsize: no workload deployment/nothing-like-it in SNAPSHOT\n"],
      [["-n", "shpo"], "rightsize: no workload in namespace shpo in SNAPSHOT; did you mean shop?\n"],
      [["--cluster", "staging"], "rightsize: no workload of cluster staging in SNAPSHOT (clusters there: prod)\n"],
      [["deplyoment/cart"], 'rightsize: "deplyoment/cart": deplyoment is not a workload kind; use one of deployment, statefulset, daemonset, replicaset, job, cronjob, rollout; did you mean deployment?\n'],
      [["cart"], 'rightsize: "cart" is not a workload; write kind/name (deployment/frontend), namespace/kind/name (shop/deployment/frontend) or all\n'],
      [["-n", "shop", "payments/deployment/ledger"], "rightsize: payments/deployment/ledger is in namespace payments, but --namespace is shop; drop one of them\n"],
      [["-n", "shop", "-A"], "rightsize: -n/--namespace and -A/--all-namespaces exclude each other\n"],
    ])("refuses %j with exit 2, naming the nearest workloads", async (args, message) => {
      const result = await rightsize("recommend", "--snapshot", SNAPSHOT, ...args);
      expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({ status: 2, stdout: "", stderr: message.replace("SNAPSHOT", SNAPSHOT) });
    });
  });

  describe("-o/--output", () => {
    it("prints YAML with the same data as JSON", async () => {
      const json = await rightsize("recommend", "--snapshot", SNAPSHOT);
      const yaml = await rightsize("recommend", "--snapshot", SNAPSHOT, "-o", "yaml");
      expect(yaml.status).toBe(1);
      expect(parse(yaml.stdout)).toEqual(JSON.parse(json.stdout));
      expect(yaml.stdout).not.toMatch(/[&*]a\d/);
    });

    it("prints CSV, one row per container, with a header", async () => {
      const { status, stdout } = await rightsize("recommend", "--snapshot", SNAPSHOT, "-o", "csv");
      expect(status).toBe(1);
      // cart: 300m → 175m is −41.666…% (−41.7), 512Mi → 288Mi is −43.75% (−43.8); −10.68 USD as in the table.
      expect(stdout).toBe(
        [
          "cluster,namespace,kind,name,container,cpu_request,cpu_proposed,cpu_change_percent,memory_request,memory_proposed,memory_change_percent,monthly_cost,currency,safety,confidence,confidence_score,action,decision",
          "prod,shop,Deployment,cart,server,300m,175m,-41.7,512Mi,288Mi,-43.8,-10.68,USD,SAFE,HIGH,80,change,propose",
          stdout.split("\n")[2],
          "prod,payments,Deployment,ledger,ledger,1,1,,1Gi,1Gi,,,,CAUTION,LOW,0,blocked,blocked",
          "",
        ].join("\n"),
      );
      expect(stdout.split("\n")[2]).toMatch(/^prod,shop,CronJob,data-export,export,/);
    });

    it("prints a markdown table of the same rows", async () => {
      const { stdout } = await rightsize("recommend", "--snapshot", SNAPSHOT, "-o", "markdown");
      const lines = stdout.split("\n");
      expect(lines[0]).toBe("| cluster | namespace | kind | name | container | cpu\\_request | cpu\\_proposed | cpu\\_change\\_percent | memory\\_request | memory\\_proposed | memory\\_change\\_percent | monthly\\_cost | currency | safety | confidence | confidence\\_score | action | decision |");
      expect(lines[1]).toBe(`|${" --- |".repeat(18)}`);
      expect(lines[2]).toBe("| prod | shop | Deployment | cart | server | 300m | 175m | -41.7 | 512Mi | 288Mi | -43.8 | -10.68 | USD | SAFE | HIGH | 80 | change | propose |");
    });

    it("takes text as the old name of table, and names the formats when one is mistyped", async () => {
      expect((await rightsize("recommend", "--snapshot", SNAPSHOT, "-o", "text")).stdout).toBe((await rightsize("recommend", "--snapshot", SNAPSHOT, "-o", "table")).stdout);
      expect(await rightsize("recommend", "--snapshot", SNAPSHOT, "-o", "yml")).toMatchObject({ status: 2, stderr: 'rightsize: --output: "yml" is not one of table, json, yaml, csv, markdown; did you mean yaml?\n' });
    });
  });
});
