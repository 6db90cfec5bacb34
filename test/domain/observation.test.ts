import { readFileSync } from "node:fs";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { InputError, parseObservationSnapshot, quantityFromNumber, type ObservationSnapshotSchema } from "../../src/domain/index.js";
import { rightsize } from "../helpers/cli.js";

/*
 * Issue 11: implausible observations are rejected when the snapshot is parsed, each with the
 * field path and what is wrong, instead of turning into "512Mi → 262144Mi" at HIGH confidence
 * or a BigInt crash.
 */

const SHOP = JSON.parse(readFileSync(path.join(import.meta.dirname, "../fixtures/snapshots/shop.json"), "utf8")) as Snapshot;

/** The file as written: defaults not yet applied, every optional member possibly absent. */
type Snapshot = z.input<typeof ObservationSnapshotSchema>;

/** A copy of the shop fixture (cart, data-export, ledger; window 2026-11-14T06:00Z → 2026-11-21T06:00Z) changed by `edit`. */
function shop(edit: (snapshot: Snapshot) => void): Snapshot {
  const copy = structuredClone(SHOP);
  edit(copy);
  return copy;
}

function problemsOf(snapshot: Snapshot): string[] {
  try {
    parseObservationSnapshot(snapshot, "snap.json");
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    const lines = (error as Error).message.split("\n");
    expect(lines[0]).toBe("snap.json: invalid observation snapshot:");
    expect(lines.at(-1)).toBe('Fix these fields, or write the snapshot again with "rightsize snapshot".');
    return lines.slice(1, -1).map((line) => line.trim());
  }
  throw new Error("the snapshot was accepted");
}

describe("snapshot parsing rejects implausible observations", () => {
  it("accepts the fixture as it is", () => {
    expect(parseObservationSnapshot(SHOP).workloads).toHaveLength(3);
  });

  it("rejects a memory max of 1e15 bytes (909Ti; no node has more than 64Ti)", () => {
    const snapshot = shop((s) => (s.workloads[0]!.containers[0]!.memory!.max = 1e15));
    expect(problemsOf(snapshot)).toEqual([
      "workloads[0].containers[0].memory.max: 1000000000000000 bytes is more than any node has (at most 64Ti per container); the metric is broken — fix the source or drop this container from the snapshot",
    ]);
  });

  it("rejects 20,000 cores of CPU p99 and a run peak of 1e21 bytes, which used to crash with a BigInt error", () => {
    const snapshot = shop((s) => {
      s.workloads[0]!.containers[0]!.cpu!.p99 = 20_000;
      s.workloads[0]!.containers[0]!.cpu!.max = 20_000;
      s.workloads[1]!.runs![2]!.containers.export!.memoryPeak = 1e21;
    });
    expect(problemsOf(snapshot)).toEqual([
      "workloads[0].containers[0].cpu.max: 20000 cores is more than any node has (at most 10000 cores per container); the metric is broken — fix the source or drop this container from the snapshot",
      "workloads[0].containers[0].cpu.p99: 20000 cores is more than any node has (at most 10000 cores per container); the metric is broken — fix the source or drop this container from the snapshot",
      "workloads[1].runs[2].containers.export.memoryPeak: 1e+21 bytes is more than any node has (at most 64Ti per container); the metric is broken — fix the source or drop this container from the snapshot",
    ]);
  });

  it("rejects a window whose from is after its to", () => {
    const snapshot = shop((s) => (s.workloads[0]!.window = { from: "2026-11-22T00:00:00Z", to: "2026-11-21T06:00:00Z" }));
    expect(problemsOf(snapshot)).toEqual(["workloads[0].window: from 2026-11-22T00:00:00Z is after to 2026-11-21T06:00:00Z; a window starts before it ends"]);
  });

  it("rejects an OOM kill after the window and, from Prometheus, one before it", () => {
    const snapshot = shop((s) => {
      s.workloads[0]!.containers[0]!.oomKills = [
        { at: "2026-11-20T03:12:00Z", pod: "cart-1" },
        { at: "2026-11-30T00:00:00Z", pod: "cart-1" },
        { at: "2026-11-01T00:00:00Z", pod: "cart-2" },
      ];
    });
    expect(problemsOf(snapshot)).toEqual([
      "workloads[0].containers[0].oomKills[1]: 2026-11-30T00:00:00Z is after window.to 2026-11-21T06:00:00Z",
      "workloads[0].containers[0].oomKills[2]: 2026-11-01T00:00:00Z is before window.from 2026-11-14T06:00:00Z",
    ]);
  });

  it("accepts an OOM kill before the sampling window from the Kubernetes API, which reads a container's last termination", () => {
    const snapshot = shop((s) => {
      s.workloads[0]!.source = "kubernetes-api";
      s.workloads[0]!.containers[0]!.oomKills = [{ at: "2026-11-01T00:00:00Z", pod: "cart-2" }];
    });
    expect(parseObservationSnapshot(snapshot).workloads[0]!.containers[0]!.oomKills).toHaveLength(1);
  });

  it("rejects a run that starts after the window and one that ended before it", () => {
    const snapshot = shop((s) => {
      s.workloads[1]!.runs![0]!.startedAt = "2026-11-22T02:00:00Z";
      s.workloads[1]!.runs![1]!.startedAt = "2026-11-14T05:50:00Z";
      s.workloads[1]!.runs![1]!.durationSeconds = 300;
    });
    expect(problemsOf(snapshot)).toEqual([
      "workloads[1].runs[0].startedAt: 2026-11-22T02:00:00Z is after window.to 2026-11-21T06:00:00Z",
      "workloads[1].runs[1]: the run ended (startedAt + durationSeconds) before window.from 2026-11-14T06:00:00Z",
    ]);
  });

  it("rejects a series point outside the window (trends read the series), allowing the last bucket to end up to a step after window.to", () => {
    const to = Date.parse("2026-11-21T06:00:00Z") / 1000;
    const from = Date.parse("2026-11-14T06:00:00Z") / 1000;
    const snapshot = shop((s) => {
      s.workloads[0]!.containers[0]!.series = { step: "1h", cpu: [[from + 3600, 0.1, 0.2], [to + 1800, 0.1, 0.2]], memory: [[from - 3600, 1, 2]] };
    });
    expect(problemsOf(snapshot)).toEqual(["workloads[0].containers[0].series.memory[0]: 2026-11-14T05:00:00.000Z is outside the window 2026-11-14T06:00:00Z → 2026-11-21T06:00:00Z"]);
    const late = shop((s) => {
      s.workloads[0]!.containers[0]!.series = { step: "1h", cpu: [[to + 3600, 0.1, 0.2]], memory: [] };
    });
    expect(problemsOf(late)).toEqual(["workloads[0].containers[0].series.cpu[0]: 2026-11-21T07:00:00.000Z is outside the window 2026-11-14T06:00:00Z → 2026-11-21T06:00:00Z"]);
  });

  it("rejects a workload, a container and a run listed twice", () => {
    const snapshot = shop((s) => {
      s.workloads.push(structuredClone(s.workloads[0]!));
      s.workloads[0]!.containers.push(structuredClone(s.workloads[0]!.containers[0]!));
      s.workloads[1]!.runs![3]!.run = s.workloads[1]!.runs![1]!.run;
    });
    const run = SHOP.workloads[1]!.runs![1]!.run;
    expect(problemsOf(snapshot)).toEqual([
      'workloads[0].containers[1].name: "server" is also containers[0]; list each container once',
      `workloads[1].runs[3].run: "${run}" is also runs[1]; list each run once`,
      "workloads[3].workload: prod/shop/Deployment/cart is also workloads[0]; list each workload once",
    ]);
  });
});

describe("quantities from very large measurements", () => {
  it("converts 1e21 exactly instead of failing on its exponent form", () => {
    expect(quantityFromNumber(1e21).nanos).toBe(10n ** 30n);
  });
});

describe("rightsize recommend on an implausible snapshot", () => {
  const directory = mkdtempSync(path.join(tmpdir(), "rightsize-implausible-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it("exits 2 naming the field instead of proposing 512Mi → 262144Mi", async () => {
    const file = path.join(directory, "snapshot.json");
    writeFileSync(file, JSON.stringify(shop((s) => (s.workloads[0]!.containers[0]!.memory!.max = 1e15))));
    const result = await rightsize("recommend", "--observation", file, "--policy", path.join(directory, "none.yml"));
    expect(result.stdout).toBe("");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`rightsize: ${file}: invalid observation snapshot:\n  workloads[0].containers[0].memory.max: 1000000000000000 bytes is more than any node has`);
  });
});
