import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ExternalError, workloadKey } from "../../domain/index.js";
import { DecisionRecordSchema, type DecisionRecord } from "../../recommend/index.js";
import type { MergedRequests } from "./verification.js";
import { DECISION_TRAILER } from "../checkout/workspace.js";

const run = promisify(execFile);

/** A proposal found in git history: the commit that brought its decision record to the branch. */
export interface MergedInHistory {
  commit: string;
  /** The commit time (ISO). */
  at: string;
  record: DecisionRecord;
  key: string;
  merged: MergedRequests;
}

/**
 * The merged proposals of a branch, newest first, one per workload (`rightsize verify`): commits
 * with the `Rightsize-Decision` trailer that changed a decision record under `.rightsize/decisions/`.
 */
export async function mergedProposalsInHistory(repoDir: string, ref: string): Promise<MergedInHistory[]> {
  const log = await git(repoDir, ["log", "--format=%H%x1f%cI%x1f%B%x1e", ref]);
  const found = new Map<string, MergedInHistory>();
  for (const entry of log.split("\x1e")) {
    const [commit, at, message] = entry.trim().split("\x1f");
    if (!commit || !at || !message?.includes(`${DECISION_TRAILER}:`)) continue;
    const paths = (await git(repoDir, ["diff-tree", "--no-commit-id", "--name-only", "-r", "--root", commit])).split("\n").filter((path) => path.startsWith(".rightsize/decisions/") && path.endsWith(".json"));
    for (const path of paths) {
      let record: DecisionRecord;
      try {
        record = DecisionRecordSchema.parse(JSON.parse(await git(repoDir, ["show", `${commit}:${path}`])));
      } catch {
        continue;
      }
      const key = workloadKey(record.workload);
      if (found.has(key)) continue;
      const merged = Object.fromEntries(record.containers.filter((container) => container.action === "change").map((container) => [container.name, { ...container.recommended.requests }]));
      found.set(key, { commit, at, record, key, merged });
    }
  }
  return [...found.values()];
}

async function git(cwd: string, args: string[]): Promise<string> {
  try {
    return (await run("git", args, { cwd, maxBuffer: 256 * 1024 * 1024 })).stdout;
  } catch (error) {
    throw new ExternalError(`git ${args[0]} failed in ${cwd}: ${((error as { stderr?: string }).stderr ?? (error as Error).message).trim()}`, {}, { cause: error });
  }
}
