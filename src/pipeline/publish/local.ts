import { appendFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { simpleGit } from "simple-git";
import { writeFileAtomically } from "../../domain/index.js";
import { pullRequestBodyPath } from "../propose/branches.js";
import type { GitWorkspace } from "../checkout/workspace.js";
import type { BranchState, Proposal, ProposalPublisher, PublishOutcome } from "./types.js";

/** The line of `.git/info/exclude` that keeps the PR bodies out of `git status`. */
const LOCAL_BODIES_EXCLUDE = "/.rightsize/out/";

/**
 * CLI `--local`: branches stay in the repository, PR bodies go to `.rightsize/out/`, which is
 * listed in the repository's own `info/exclude`, so the user's work tree stays clean (a
 * `.gitignore` would be a change to their files).
 */
export class LocalPublisher implements ProposalPublisher {
  private excluded = false;

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
    await this.excludeBodies();
    await mkdir(path.dirname(bodyFile), { recursive: true });
    await writeFileAtomically(bodyFile, proposal.rendered.body, "the pull request body");
    return { status: outcome.status, commit: outcome.commit, bodyPath };
  }

  /** Adds LOCAL_BODIES_EXCLUDE to the repository's info/exclude (in the common git directory of a worktree) once. */
  private async excludeBodies(): Promise<void> {
    if (this.excluded) return;
    const relative = (await simpleGit({ baseDir: this.workspace.dir }).raw(["rev-parse", "--git-path", "info/exclude"])).trim();
    const file = path.resolve(this.workspace.dir, relative);
    const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return "";
      throw error;
    });
    if (!text.split("\n").some((line) => line.trim() === LOCAL_BODIES_EXCLUDE)) {
      await mkdir(path.dirname(file), { recursive: true });
      await appendFile(file, `${text === "" || text.endsWith("\n") ? "" : "\n"}# pull request bodies written by rightsize propose --local\n${LOCAL_BODIES_EXCLUDE}\n`);
    }
    this.excluded = true;
  }

  async reportForeign(): Promise<void> {
    // Nobody to tell locally: the result lists the branch as foreign.
  }
}
