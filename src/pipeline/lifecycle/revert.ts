import { createHash } from "node:crypto";
import { code, workloadKey } from "../../domain/index.js";
import { planWorkloadEdit } from "../../manifests/index.js";
import type { LoadedPolicy } from "../../policy/index.js";
import type { DecisionRecord } from "../../recommend/index.js";
import { decisionRecordPath } from "../propose/branches.js";
import type { GitHubClient } from "../github/client.js";
import type { GitHubRepositoryInfo } from "../github/client.js";
import { changesOf, findWorkloadManifest } from "../plan/plan.js";
import { GitDataPublisher } from "../publish/git-data.js";
import { readCommitFiles } from "../checkout/files.js";
import { renderStateMarker, type ProposalState } from "./state.js";
import type { WorkloadCheck } from "./verification.js";
import { DECISION_TRAILER, GitWorkspace, type FileContent } from "../checkout/workspace.js";

export interface RevertInput {
  octokit: GitHubClient;
  repository: GitHubRepositoryInfo;
  token: string;
  loaded: LoadedPolicy;
  /** The merged pull request and the records it merged (their `current` values are what returns). */
  merged: { number: number; records: DecisionRecord[] };
  checks: WorkloadCheck[];
}

export type RevertOutcome = { status: "opened" | "updated" | "unchanged"; number: number } | { status: "refused"; reason: string };

/**
 * SPEC §8: a wrong verdict with OOM kills opens a pull request that restores the previous
 * values, byte-minimally, in every file where the merged values are defined now (the kustomize
 * overlay or the Helm values too), labelled `rightsize` and `revert`.
 */
export async function openRevert(input: RevertInput): Promise<RevertOutcome> {
  const { repository, merged } = input;
  if (merged.records.length === 0) {
    return { status: "refused", reason: `the decision records of #${merged.number} could not be read from its body (trimmed or edited), so the previous values are unknown` };
  }
  const clone = await GitWorkspace.shallowClone(repository.cloneUrl, repository.defaultBranch, { token: input.token });
  try {
    const files = await readCommitFiles(clone.workspace.dir, clone.commit);
    const current = new Map(files.map((file) => [file.path, file.text]));
    const changed = new Set<string>();
    for (const record of merged.records) {
      const manifest = findWorkloadManifest([...current].map(([path, text]) => ({ path, text })), input.loaded.policy, record.workload);
      if (!manifest) return { status: "refused", reason: `${record.workload.kind} ${record.workload.namespace}/${record.workload.name} is no longer in the manifests` };
      const outcome = planWorkloadEdit([...current].map(([path, text]) => ({ path, text })), manifest, changesOf(record, "current"));
      if (!outcome.ok) return { status: "refused", reason: outcome.refusal.message };
      for (const edit of outcome.edits) {
        current.set(edit.path, edit.after);
        changed.add(edit.path);
      }
    }
    if (changed.size === 0) return { status: "refused", reason: "the manifests already hold the previous values" };
    const branch = `rightsize/revert/${merged.number}`;
    const contents: FileContent[] = [...changed].map((path) => ({ path, content: current.get(path)! }));
    const state: ProposalState = {
      version: 1,
      branch,
      workloads: merged.records.map((record) => ({
        key: workloadKey(record.workload),
        inputsDigest: record.inputsDigest,
        containers: Object.fromEntries(record.containers.filter((container) => container.action === "change").map((container) => [container.name, { ...container.current.requests }])),
      })),
    };
    const title = `rightsize: revert #${merged.number} (${merged.records.map((record) => `${record.workload.namespace}/${record.workload.name}`).join(", ")})`;
    const publisher = new GitDataPublisher(input.octokit, repository, clone.workspace, clone.commit);
    const branchState = await publisher.inspect(branch);
    const published = await publisher.publish(
      {
        branch,
        base: { branch: repository.defaultBranch, commit: clone.commit },
        files: contents,
        message: `${title}\n\nThe check after merge found OOM kills with the new requests.\n\n${DECISION_TRAILER}: ${createHash("sha256").update(`revert ${merged.number}`).digest("hex")}`,
        rendered: { title, body: renderRevertBody(input, [...changed], state), labels: [...new Set([...input.loaded.policy.pullRequests.labels, "rightsize", "revert"])], state },
        policy: input.loaded.policy,
      },
      branchState,
    );
    if (published.status === "foreign") return { status: "refused", reason: published.reason };
    return { status: published.status === "created" ? "opened" : published.status, number: published.pullRequestNumber ?? 0 };
  } finally {
    await clone.dispose();
  }
}


function renderRevertBody(input: RevertInput, files: string[], state: ProposalState): string {
  const lines = [
    `**rightsize proposes to restore the requests #${input.merged.number} changed**: the check after merge found OOM kills with the new values.`,
    "",
    "| Workload | Container | Memory request | CPU request | Verdict |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const record of input.merged.records) {
    const check = input.checks.find((candidate) => candidate.key === workloadKey(record.workload));
    for (const container of record.containers.filter((candidate) => candidate.action === "change")) {
      const verdict = check?.containers.find((candidate) => candidate.container === container.name);
      const cell = (resource: "cpu" | "memory") => `${container.recommended.requests[resource] ?? "unset"} → **${container.current.requests[resource] ?? "unset"}**`;
      lines.push(`| ${code(`${record.workload.namespace}/${record.workload.kind}/${record.workload.name}`, { inTable: true })} | ${code(container.name, { inTable: true })} | ${cell("memory")} | ${cell("cpu")} | ${verdict ? `${verdict.verdict} (${verdict.oomKills} OOM kill${verdict.oomKills === 1 ? "" : "s"})` : "—"} |`);
    }
  }
  lines.push(
    "",
    `Files changed: ${files.map((file) => code(file)).join(", ")}. The evidence is in the check-after-merge comment on #${input.merged.number}; the decision records of the merged proposal stay at ${input.merged.records.map((record) => code(decisionRecordPath(record.workload))).join(", ")}.`,
    "",
    "Merging this is the rollback; rightsize then waits for new observations before it proposes again.",
    "",
    renderStateMarker(state),
  );
  return lines.join("\n");
}
