import { InputError } from "../../domain/index.js";
import type { RepoFile } from "../../manifests/index.js";
import { DEFAULT_POLICY_PATH, DEFAULTS_SOURCE, defaultPolicy, type LoadedPolicy, type PolicyText } from "../../policy/index.js";
import { callGitHub, httpStatusOf, type GitHubClient, type RepositoryName } from "../github/client.js";
import { loadPolicyChain } from "./source.js";

/** A policy file larger than this is refused before it is parsed. */
const MAX_POLICY_BYTES = 256 * 1024;

/** Probot's `_extends` form (@probot/octokit-plugin-config): `[owner/]repo[:path.yml]`; which repositories it may name is narrower (SPEC §9). */
const EXTENDS_REFERENCE = /^(?:([a-z\d](?:[a-z\d]|-(?=[a-z\d])){0,38})\/)?([-_.\w\d]+)(?::([-_./\w\d]+\.ya?ml))?$/i;

/**
 * The repository's policy as Probot's `context.config("rightsize.yml")` finds it: the
 * repository's own `.github/rightsize.yml` (given, read from the commit being planned), else the
 * owner's `.github` repository's; `_extends: [owner/]repo[:path]` bases read through the API.
 * Unlike `context.config`, the texts are kept, so every problem names its file, line and column.
 * A policy may extend only files of its own repository and of its owner's `.github` repository
 * (SPEC §9): a policy from a fork, or a writer's, never makes rightsize read another repository
 * the installation can read, and the refusal says nothing of whether that repository exists.
 */
export async function readRepositoryPolicy(
  octokit: GitHubClient,
  repository: RepositoryName,
  ownText: string | undefined,
): Promise<LoadedPolicy> {
  let file: PolicyText | undefined = ownText === undefined ? undefined : { path: DEFAULT_POLICY_PATH, text: ownText };
  if (!file && repository.repo !== ".github") {
    const organisation = { owner: repository.owner, repo: ".github", path: DEFAULT_POLICY_PATH };
    const text = await readRawFile(octokit, organisation);
    if (text !== undefined) file = { path: displayPath(organisation), text };
  }
  if (!file) return { policy: defaultPolicy(), source: DEFAULTS_SOURCE, canPropose: true, warnings: [] };
  return loadPolicyChain(file, async (reference, from) => {
    const match = EXTENDS_REFERENCE.exec(reference);
    if (!match) {
      throw new InputError(`${from.path}: _extends: "${reference}" is not a repository reference; write repo, owner/repo or owner/repo:path/to/file.yml`, {
        file: from.path,
        field: "_extends",
      });
    }
    const base = { owner: match[1] ?? repository.owner, repo: match[2]!, path: match[3] ?? DEFAULT_POLICY_PATH };
    if (base.owner.toLowerCase() !== repository.owner.toLowerCase() || ![repository.repo.toLowerCase(), ".github"].includes(base.repo.toLowerCase())) {
      throw new InputError(
        `${from.path}: _extends: "${reference}" names another repository; a policy may extend a file of this repository (${repository.repo}:path/to/file.yml) or the organisation's defaults (${repository.owner}/.github)`,
        { file: from.path, field: "_extends" },
      );
    }
    const text = await readRawFile(octokit, base);
    return text === undefined ? undefined : { path: displayPath(base), text };
  });
}

/** The policy of the files of a commit, with Probot's fallbacks for what the commit lacks. */
export function gitHubPolicyReader(octokit: GitHubClient, repository: RepositoryName): (files: RepoFile[]) => Promise<LoadedPolicy> {
  return (files) => readRepositoryPolicy(octokit, repository, files.find((file) => file.path === DEFAULT_POLICY_PATH)?.text);
}

/** One file's text at a ref, through the API; undefined when it does not exist. */
export async function readRawFile(octokit: GitHubClient, file: RepositoryName & { path: string; ref?: string }): Promise<string | undefined> {
  let data: unknown;
  try {
    ({ data } = await octokit.rest.repos.getContent({ owner: file.owner, repo: file.repo, path: file.path, ...(file.ref ? { ref: file.ref } : {}), mediaType: { format: "raw" } }));
  } catch (error) {
    if (httpStatusOf(error) === 404) return undefined;
    return callGitHub(file, `read ${file.path}`, () => Promise.reject(error));
  }
  // The raw media type comes back as text, or as bytes when GitHub names no charset.
  if (data instanceof ArrayBuffer) data = new TextDecoder("utf-8", { fatal: false }).decode(data);
  if (typeof data !== "string") throw new InputError(`${displayPath(file)} is a directory, not a file; the policy is a YAML file`);
  if (Buffer.byteLength(data) > MAX_POLICY_BYTES) throw new InputError(`${displayPath(file)} is larger than ${MAX_POLICY_BYTES / 1024} KiB; a policy file is a few lines of YAML`);
  return data;
}

function displayPath(file: RepositoryName & { path: string }): string {
  return `${file.owner}/${file.repo}:${file.path}`;
}
