import { mkdir } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomically } from "../../domain/index.js";
import { pullRequestBodyPath } from "../propose/branches.js";
import type { GitWorkspace } from "../checkout/workspace.js";
import type { BranchState, Proposal, ProposalPublisher, PublishOutcome } from "./types.js";

/** CLI `--local`: branches stay in the repository, PR bodies go to `.rightsize/out/`. */
export class LocalPublisher implements ProposalPublisher {
  constructor(
    private readonly workspace: GitWorkspace,
    private readonly baseCommit: string,
  ) {}

  async inspect(branch: string): Promise<BranchState> {
    const tip = await this.workspace.resolve(`refs/heads/${branch}`);
    const foreign = tip ? await this.workspace.foreignCommitReason(tip, this.baseCommit) : undefined;
    return { branch, openProposals: 0, ...(foreign ? { foreign } : {}) };
  }

  async publish(proposal: Proposal): Promise<PublishOutcome> {
    const outcome = await this.workspace.writeProposal({ branch: proposal.branch, base: proposal.base.commit, files: proposal.files, message: proposal.message });
    if (outcome.status === "foreign") return outcome;
    const bodyPath = pullRequestBodyPath(proposal.branch);
    const bodyFile = path.join(this.workspace.dir, bodyPath);
    await mkdir(path.dirname(bodyFile), { recursive: true });
    await writeFileAtomically(bodyFile, proposal.rendered.body, "the pull request body");
    return { status: outcome.status, commit: outcome.commit, bodyPath };
  }

  async reportForeign(): Promise<void> {
    // Nobody to tell locally: the result lists the branch as foreign.
  }
}
