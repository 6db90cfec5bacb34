import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { simpleGit, type SimpleGit } from "simple-git";
import { ExternalError } from "../../domain/index.js";

export interface FileContent {
  path: string;
  content: string;
}

export interface ProposalCommit {
  branch: string;
  /** The commit the branch starts from (the default branch's tip). */
  base: string;
  files: FileContent[];
  message: string;
}

export interface RemoteAuth {
  token: string;
}

export type BranchOutcome =
  | { status: "created" | "updated"; commit: string }
  | { status: "unchanged"; commit: string }
  | { status: "foreign"; commit: string; reason: string };

/** The trailer that marks a commit as rightsize's own (SPEC §8). */
export const DECISION_TRAILER = "Rightsize-Decision";

/** Tree ids this process computed, by base commit and files (oldest first; a few megabytes at most). */
const TREES = new Map<string, { tree: string; modes: ReadonlyMap<string, string> }>();
const TREES_KEPT = 10_000;

const BOT_IDENTITY = { name: "rightsize", email: "rightsize@users.noreply.github.com" };

/** The git variables rightsize sets itself; simple-git refuses any other GIT_* passed explicitly. */
const ALLOWED_GIT_ENVIRONMENT = [
  "GIT_INDEX_FILE",
  "GIT_AUTHOR_NAME",
  "GIT_AUTHOR_EMAIL",
  "GIT_COMMITTER_NAME",
  "GIT_COMMITTER_EMAIL",
  "GIT_TERMINAL_PROMPT",
  "GIT_CONFIG_COUNT",
  "GIT_CONFIG_KEY_0",
  "GIT_CONFIG_VALUE_0",
] as const;

/**
 * What git may see of the environment: enough to find itself, its config and a proxy, plus the
 * variables given. Ambient GIT_*, EDITOR, PAGER and the like stay out (simple-git refuses them).
 */
const PASSED_THROUGH = ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "USER", "SSH_AUTH_SOCK", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy"];

export function gitEnvironment(extra: Record<string, string>): Record<string, string> {
  const base = Object.fromEntries(PASSED_THROUGH.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]!]])));
  return { ...base, ...extra };
}

/**
 * A git repository in which rightsize writes proposal branches. Commits are built with a
 * private index and `commit-tree`, then published with one `update-ref`: the user's working
 * tree, index and current branch are never touched, and a failure leaves no half-made branch.
 */
export class GitWorkspace {
  readonly dir: string;
  private readonly git: SimpleGit;

  constructor(dir: string) {
    this.dir = dir;
    this.git = this.client();
  }

  /**
   * A simple-git client, with its own environment when given: simple-git's `env()` changes the
   * client it is called on, so an index path or a token must never be set on the shared one.
   * The config-count variables carry the push token as an HTTP header (see withAuth).
   */
  private client(environment?: Record<string, string>): SimpleGit {
    const git = simpleGit({ baseDir: this.dir, allowEnvironment: [...ALLOWED_GIT_ENVIRONMENT], unsafe: { allowUnsafeConfigEnvCount: true } });
    return environment ? git.env(gitEnvironment(environment)) : git;
  }

  /**
   * A shallow clone of one branch into a new temporary directory: what the app plans against.
   * The token travels as an HTTP header in the environment, so the clone's config holds no
   * secret; `dispose` removes the directory.
   */
  static async shallowClone(url: string, branch: string, auth?: RemoteAuth): Promise<{ workspace: GitWorkspace; commit: string; dispose(): Promise<void> }> {
    const dir = await mkdtemp(path.join(tmpdir(), "rightsize-clone-"));
    const dispose = () => rm(dir, { recursive: true, force: true });
    try {
      const workspace = new GitWorkspace(dir);
      await workspace.git.raw(["init", "--quiet"]);
      try {
        await workspace.withAuth(auth).raw(["fetch", "--quiet", "--depth=1", "--no-tags", url, `+refs/heads/${branch}:refs/remotes/origin/${branch}`]);
      } catch (error) {
        throw new ExternalError(`git could not fetch ${branch} from ${redactUrl(url)}: ${redact((error as Error).message, auth)}`, {}, { cause: error });
      }
      const commit = await workspace.resolve(`refs/remotes/origin/${branch}`);
      if (!commit) throw new ExternalError(`${redactUrl(url)} has no branch ${branch}`);
      return { workspace, commit, dispose };
    } catch (error) {
      await dispose();
      throw error;
    }
  }

  async defaultBranch(remote = "origin"): Promise<string> {
    const remoteHead = await this.tryRaw(["symbolic-ref", "--quiet", "--short", `refs/remotes/${remote}/HEAD`]);
    if (remoteHead) return remoteHead.replace(`${remote}/`, "");
    const current = await this.tryRaw(["symbolic-ref", "--quiet", "--short", "HEAD"]);
    if (current) return current;
    throw new ExternalError(`${this.dir}: cannot tell the default branch (detached HEAD and no ${remote}/HEAD); check out the default branch first`);
  }

  async remoteUrl(remote: string): Promise<string> {
    const url = await this.tryRaw(["remote", "get-url", remote]);
    if (!url) throw new ExternalError(`${this.dir}: no git remote named ${remote}; add it or pass --remote`);
    return url;
  }

  async resolve(ref: string): Promise<string | undefined> {
    return this.tryRaw(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  }

  async resolveTree(commit: string): Promise<string> {
    return (await this.git.raw(["rev-parse", "--verify", `${commit}^{tree}`])).trim();
  }

  /**
   * Points `branch` at one commit on `base` holding the files. An existing branch is replaced
   * only when its tip is rightsize's own commit on any base; a branch someone else committed to
   * is left alone (SPEC §8).
   */
  async writeProposal(proposal: ProposalCommit): Promise<BranchOutcome> {
    const existing = await this.resolve(`refs/heads/${proposal.branch}`);
    if (existing) {
      const foreign = await this.foreignCommitReason(existing, proposal.base);
      if (foreign) return { status: "foreign", commit: existing, reason: foreign };
    }
    const { tree } = await this.writeTree(proposal.base, proposal.files);
    if (existing && (await this.tryRaw(["rev-parse", `${existing}^{tree}`])) === tree && (await this.tryRaw(["rev-parse", `${existing}^`])) === proposal.base) {
      return { status: "unchanged", commit: existing };
    }
    const commit = (
      await this.withIdentity().raw(["commit-tree", tree, "-p", proposal.base, "-m", proposal.message])
    ).trim();
    await this.git.raw(["update-ref", `refs/heads/${proposal.branch}`, commit, ...(existing ? [existing] : [])]);
    return { status: existing ? "updated" : "created", commit };
  }

  /** The remote's tip of a branch, fetched into a private ref; undefined when the remote has no such branch. */
  async fetchRemoteBranch(remote: string, branch: string, auth?: RemoteAuth): Promise<string | undefined> {
    const listing = await this.withAuth(auth).raw(["ls-remote", remote, `refs/heads/${branch}`]);
    const tip = listing.split("\t")[0]?.trim();
    if (!tip) return undefined;
    await this.withAuth(auth).raw(["fetch", "--quiet", remote, `+refs/heads/${branch}:refs/rightsize/remote/${branch}`]);
    return tip;
  }

  /**
   * Pushes a proposal commit, leasing on the remote tip we inspected: if someone pushed in
   * between, the push fails instead of overwriting their work.
   */
  async pushBranch(remote: string, commit: string, branch: string, expectedRemoteTip: string | undefined, auth?: RemoteAuth): Promise<void> {
    try {
      await this.withAuth(auth).raw(["push", "--quiet", `--force-with-lease=refs/heads/${branch}:${expectedRemoteTip ?? ""}`, remote, `${commit}:refs/heads/${branch}`]);
    } catch (error) {
      throw new ExternalError(`git push of ${branch} to ${remote} failed: ${redact((error as Error).message, auth)}`);
    }
  }

  /** Why a branch tip is not ours to rewrite, or undefined when it is rightsize's single commit. */
  async foreignCommitReason(tip: string, base: string): Promise<string | undefined> {
    const message = await this.git.raw(["log", "-1", "--format=%B", tip]);
    if (!message.includes(`${DECISION_TRAILER}:`)) {
      return `the branch tip ${tip.slice(0, 12)} is not a rightsize commit (no ${DECISION_TRAILER} trailer): someone else pushed to it`;
    }
    const mergeBase = await this.tryRaw(["merge-base", tip, base]);
    const ahead = mergeBase ? Number(await this.git.raw(["rev-list", "--count", `${mergeBase}..${tip}`])) : Infinity;
    if (ahead > 1) return `the branch has ${ahead} commits on top of the default branch: someone else added commits`;
    return undefined;
  }

  /**
   * The id of the tree `writeTree` would write, and the files' modes, without writing anything
   * when this process computed it before: the id is a function of the base commit and the files'
   * paths and bytes (git's content addressing), so a scan that plans the same edit on the same
   * base as the last one asks git nothing. For a publisher that sends the tree elsewhere (the Git
   * Data API); a local commit needs `writeTree`, which writes the objects.
   */
  async treeOf(base: string, files: readonly FileContent[]): Promise<{ tree: string; modes: Map<string, string> }> {
    const digest = createHash("sha256").update(base);
    for (const file of files) digest.update("\0").update(file.path).update("\0").update(String(Buffer.byteLength(file.content))).update("\0").update(file.content);
    const key = digest.digest("hex");
    const known = TREES.get(key);
    if (known) return { tree: known.tree, modes: new Map(known.modes) };
    const written = await this.writeTree(base, files);
    if (TREES.size >= TREES_KEPT) TREES.delete(TREES.keys().next().value!);
    TREES.set(key, { tree: written.tree, modes: new Map(written.modes) });
    return written;
  }

  /**
   * The tree of `base` with the files replaced, written to the object store with a private index;
   * the same content gives the same tree id here and on GitHub, so a publisher can tell an
   * unchanged proposal without asking. Each file keeps its mode in `base` (new files: 100644).
   */
  async writeTree(base: string, files: readonly FileContent[]): Promise<{ tree: string; modes: Map<string, string> }> {
    const scratch = await mkdtemp(path.join(tmpdir(), "rightsize-index-"));
    const modes = new Map<string, string>();
    try {
      const git = this.client({ GIT_INDEX_FILE: path.join(scratch, "index") });
      await git.raw(["read-tree", base]);
      for (const [index, file] of files.entries()) {
        const blobFile = path.join(scratch, `blob-${index}`);
        await writeFile(blobFile, file.content);
        const blob = (await git.raw(["hash-object", "-w", blobFile])).trim();
        const mode = (await git.raw(["ls-tree", base, "--", file.path])).split(" ")[0] || "100644";
        modes.set(file.path, mode);
        await git.raw(["update-index", "--add", "--cacheinfo", `${mode},${blob},${file.path}`]);
      }
      return { tree: (await git.raw(["write-tree"])).trim(), modes };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** rightsize authors its own commits; GIT_AUTHOR_* / GIT_COMMITTER_* in the environment override that. */
  private withIdentity(): SimpleGit {
    return this.client({
      GIT_AUTHOR_NAME: process.env.GIT_AUTHOR_NAME ?? BOT_IDENTITY.name,
      GIT_AUTHOR_EMAIL: process.env.GIT_AUTHOR_EMAIL ?? BOT_IDENTITY.email,
      GIT_COMMITTER_NAME: process.env.GIT_COMMITTER_NAME ?? BOT_IDENTITY.name,
      GIT_COMMITTER_EMAIL: process.env.GIT_COMMITTER_EMAIL ?? BOT_IDENTITY.email,
    });
  }

  /**
   * The token goes to git through environment configuration (an HTTP header), so it is never
   * written to disk, into a remote URL, or onto a command line.
   */
  private withAuth(auth: RemoteAuth | undefined): SimpleGit {
    if (!auth) return this.git;
    const basic = Buffer.from(`x-access-token:${auth.token}`).toString("base64");
    return this.client({
      GIT_TERMINAL_PROMPT: "0",
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "http.extraHeader",
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    });
  }

  private async tryRaw(args: string[]): Promise<string | undefined> {
    try {
      const value = (await this.git.raw(args)).trim();
      return value === "" ? undefined : value;
    } catch {
      return undefined;
    }
  }
}

/** A URL for messages: any user:password part is left out. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, "//");
}

function redact(text: string, auth: RemoteAuth | undefined): string {
  return auth ? text.split(auth.token).join("***") : text;
}
