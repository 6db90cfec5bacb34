import type { WorkloadObservation } from "../../domain/index.js";
import { workloadKey } from "../../domain/index.js";
import type { Policy } from "../../policy/index.js";
import type { DecisionRecord } from "../../recommend/index.js";
import { renderCharts } from "./charts.js";
import { renderCommands } from "./commands.js";
import { renderConfiguration } from "./configuration.js";
import { renderEvidence, renderFiles } from "./evidence.js";
import { renderDigest, renderRecord } from "./record.js";
import { renderRisks } from "./risks.js";
import { renderContainerTable } from "./table.js";
import { renderTitle } from "./title.js";
import { renderAttention, renderPreviousSteps, renderVerdict } from "./verdict.js";
import type { MergedStep } from "../lifecycle/steps.js";
import { renderStateMarker, type ProposalState } from "../lifecycle/state.js";

/** GitHub rejects PR bodies longer than this many characters. */
export const GITHUB_BODY_LIMIT = 65_536;

export interface PullRequestInput {
  records: DecisionRecord[];
  branch: string;
  policy: Policy;
  /** The observations behind the records, for the usage charts (records do not carry series). */
  observations?: WorkloadObservation[];
  /** Files the proposal edits, with the file that defines each value (kustomize overlays, Helm values). */
  files?: string[];
  /** The last merged step of the workloads, when there is one (SPEC §8: the next step names it). */
  previous?: MergedStep[];
  /** The default branch's commit the proposal starts from, and every file its commit changes (kept in the marker). */
  base?: { commit: string; files: string[] };
  /** Containers left out by `/rightsize ignore`, carried in the state marker to later proposals. */
  ignored?: Record<string, string[]>;
}

export interface RenderedPullRequest {
  title: string;
  body: string;
  labels: string[];
  state: ProposalState;
}

/**
 * SPEC §8: the PR a reviewer wants to read, as a pure function of the decision records.
 * Sections in order: verdict, table, evidence, chart, risks and rollback, configuration,
 * decision record, commands, refresh checkbox, hidden state marker. Over GitHub's size limit,
 * charts go first, then the evidence, then the record's JSON; the table and digest always stay.
 */
export function renderPullRequest(input: PullRequestInput): RenderedPullRequest {
  const state = proposalState(input);
  const rating = overallRating(input.records);
  const sections = {
    verdict: [renderVerdict(input.records, rating), renderPreviousSteps(input.records, input.previous ?? []), renderAttention(input.records)].filter((part) => part !== "").join("\n\n"),
    table: renderContainerTable(input.records),
    files: input.files && input.files.length > 0 ? renderFiles(input.files) : "",
    evidence: input.records.map(renderEvidence).join("\n\n"),
    charts: renderCharts(input.records, input.observations ?? []),
    risks: renderRisks(input.records),
    configuration: renderConfiguration(input.policy, input.records),
    record: renderRecord(input.records),
    digest: renderDigest(input.records),
    commands: renderCommands(),
    refresh: "- [ ] refresh this proposal (tick to ask rightsize to recompute it)",
    marker: renderStateMarker(state),
  };
  const assemble = (drop: ReadonlySet<keyof typeof sections>) =>
    (Object.keys(sections) as (keyof typeof sections)[])
      .filter((name) => !drop.has(name) && sections[name] !== "")
      .map((name) => sections[name])
      .join("\n\n") + "\n";
  const trimOrder: (keyof typeof sections)[] = ["charts", "evidence", "record", "files"];
  const dropped = new Set<keyof typeof sections>();
  let body = assemble(dropped);
  for (const section of trimOrder) {
    if (body.length <= GITHUB_BODY_LIMIT) break;
    dropped.add(section);
    sections.digest = `${renderDigest(input.records)}\n\n_Trimmed to fit GitHub's size limit: ${[...dropped].join(", ")}. The full decision records are committed under \`.rightsize/decisions/\`._`;
    body = assemble(dropped);
  }
  const labels = [...new Set([...input.policy.pullRequests.labels, `confidence:${rating.confidence.toLowerCase()}`, `safety:${rating.safety.toLowerCase()}`])];
  return { title: renderTitle(input.records, input.policy.pullRequests.titlePrefix), body, labels, state };
}

function proposalState(input: PullRequestInput): ProposalState {
  return {
    version: 1,
    branch: input.branch,
    workloads: input.records.map((record) => ({
      key: workloadKey(record.workload),
      inputsDigest: record.inputsDigest,
      containers: Object.fromEntries(
        record.containers
          .filter((container) => container.action === "change")
          .map((container) => [container.name, { cpu: container.recommended.requests.cpu, memory: container.recommended.requests.memory }]),
      ),
    })),
    ...(input.base ? { base: input.base.commit, files: input.base.files } : {}),
    ...(input.ignored && Object.keys(input.ignored).length > 0 ? { ignored: input.ignored } : {}),
  };
}

/** The worst safety rating and the lowest confidence across the proposal: what labels and the verdict show. */
function overallRating(records: readonly DecisionRecord[]): { safety: string; confidence: string } {
  const worst = <T extends string>(order: readonly T[], values: T[]) => order.find((value) => values.includes(value)) ?? order[order.length - 1]!;
  return {
    safety: worst(["UNSAFE", "RISKY", "CAUTION", "SAFE"] as const, records.map((record) => record.decision.safety)),
    confidence: worst(["LOW", "MEDIUM", "HIGH"] as const, records.map((record) => record.decision.confidence)),
  };
}
