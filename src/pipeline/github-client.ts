import type { Octokit } from "@octokit/rest";
import { ExternalError } from "../domain/index.js";

/**
 * The part of an Octokit rightsize uses: Probot's `context.octokit` and `@octokit/rest` both fit,
 * so the app and the CLI share every GitHub call.
 */
export type GitHubClient = Pick<Octokit, "rest" | "paginate" | "request">;

export interface GitHubRepository {
  owner: string;
  repo: string;
}

/** An HTTP status GitHub answered with, when the failure was one. */
export function httpStatusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

/** Runs one GitHub call; a failure becomes an ExternalError that says what was being done, and where. */
export async function callGitHub<T>(repository: GitHubRepository, what: string, request: () => Promise<T>): Promise<T> {
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

/** owner/repo from a GitHub remote URL (https or ssh, github.com or Enterprise Server). */
export function repositoryFromRemoteUrl(url: string): GitHubRepository | undefined {
  const match = /^(?:https?:\/\/[^/]+\/|git@[^:]+:|ssh:\/\/git@[^/]+\/)([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url.trim());
  return match ? { owner: match[1]!, repo: match[2]! } : undefined;
}
