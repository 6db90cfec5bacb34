import type { Octokit } from "@octokit/rest";
import { ExternalError } from "../../domain/index.js";

/**
 * The part of an Octokit rightsize uses: Probot's `context.octokit` and `@octokit/rest` both fit,
 * so the app and the CLI share every GitHub call.
 */
export type GitHubClient = Pick<Octokit, "rest" | "paginate" | "request">;

export interface GitHubRepository {
  owner: string;
  repo: string;
  /**
   * The account rightsize writes as here (`<app slug>[bot]`): hidden markers count only in the
   * comments and bodies it wrote (SPEC §9). Undefined when GitHub does not name the token's
   * account (a CLI run with an installation token); then only bot accounts' texts count, never
   * a person's.
   */
  botLogin: string | undefined;
}

/** A repository as the API describes it: every URL comes from GitHub's own answers (SPEC §10, GHES). */
export interface GitHubRepositoryInfo extends GitHubRepository {
  defaultBranch: string;
  cloneUrl: string;
}

/** Which repository: what goes into requests and messages. */
export type RepositoryName = Pick<GitHubRepository, "owner" | "repo">;

/** Whether a comment, issue or pull request was written by rightsize, so that its markers count. */
export function writtenByRightsize(repository: GitHubRepository, user: { login?: string | null; type?: string | null } | null | undefined): boolean {
  if (!user?.login) return false;
  return repository.botLogin !== undefined ? user.login === repository.botLogin : user.type === "Bot";
}

/** An HTTP status GitHub answered with, when the failure was one. */
export function httpStatusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

/** Runs one GitHub call; a failure becomes an ExternalError that says what was being done, and where. */
export async function callGitHub<T>(repository: RepositoryName, what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    const status = httpStatusOf(error);
    throw new ExternalError(
      `GitHub: could not ${what} in ${repository.owner}/${repository.repo}${status ? ` (HTTP ${status})` : ""}: ${(error as Error).message}`,
      {},
      { cause: error },
    );
  }
}

/**
 * The account a CLI token writes as (`GET /user`), for telling rightsize's own markers from a
 * person's; undefined when GitHub does not name it (installation tokens, `GITHUB_TOKEN`).
 */
export async function tokenLogin(octokit: GitHubClient): Promise<string | undefined> {
  try {
    return (await octokit.rest.users.getAuthenticated()).data.login;
  } catch (error) {
    if ([401, 403, 404].includes(httpStatusOf(error) ?? 0)) return undefined;
    throw new ExternalError(`GitHub: could not read the token's account: ${(error as Error).message}`, {}, { cause: error });
  }
}

/** owner/repo from a GitHub remote URL (the account rightsize writes as is found later) (https or ssh, github.com or Enterprise Server). */
export function repositoryFromRemoteUrl(url: string): GitHubRepository | undefined {
  const match = /^(?:https?:\/\/[^/]+\/|git@[^:]+:|ssh:\/\/git@[^/]+\/)([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url.trim());
  return match ? { owner: match[1]!, repo: match[2]!, botLogin: undefined } : undefined;
}
