import { callGitHub, writtenByRightsize, type GitHubClient, type GitHubRepository, type RepositoryName } from "./client.js";

/**
 * The few verbs for everything the bot keeps in sync on GitHub (STYLE: find mine by marker,
 * compare, create or update, never duplicate): the policy issue, check runs, notices.
 */
export interface MarkedIssue {
  /** A hidden HTML comment in the body that identifies the issue as this one. */
  marker: string;
  title: string;
  body: string;
  labels: string[];
}

export async function findOpenIssue(octokit: GitHubClient, repository: GitHubRepository, marker: string, label: string): Promise<{ number: number; title: string; body: string } | undefined> {
  const issues = await callGitHub(repository, "list issues", () =>
    octokit.paginate(octokit.rest.issues.listForRepo, { ...where(repository), state: "open", labels: label, per_page: 100 }),
  );
  const found = issues.find((issue) => !issue.pull_request && writtenByRightsize(repository, issue.user) && issue.body?.includes(marker));
  return found ? { number: found.number, title: found.title, body: found.body ?? "" } : undefined;
}

/** Whether a comment of the issue or pull request already carries the marker (a repeated run must not post it again). */
export async function hasComment(octokit: GitHubClient, repository: GitHubRepository, issueNumber: number, marker: string): Promise<boolean> {
  return (await ownComments(octokit, repository, issueNumber)).some((comment) => comment.body?.includes(marker));
}

/** The comments of an issue or pull request that rightsize wrote: the only ones whose markers count (SPEC §9). */
export async function ownComments(octokit: GitHubClient, repository: GitHubRepository, issueNumber: number): Promise<{ id: number; body?: string | undefined; created_at: string }[]> {
  const comments = await callGitHub(repository, "read the comments", () =>
    octokit.paginate(octokit.rest.issues.listComments, { owner: repository.owner, repo: repository.repo, issue_number: issueNumber, per_page: 100 }),
  );
  return comments.filter((comment) => writtenByRightsize(repository, comment.user));
}

export async function upsertIssue(octokit: GitHubClient, repository: GitHubRepository, issue: MarkedIssue): Promise<{ number: number; status: "created" | "updated" | "unchanged" }> {
  const existing = await findOpenIssue(octokit, repository, issue.marker, issue.labels[0] ?? "rightsize");
  if (!existing) {
    const created = await callGitHub(repository, "open an issue", () => octokit.rest.issues.create({ ...where(repository), title: issue.title, body: issue.body, labels: issue.labels }));
    return { number: created.data.number, status: "created" };
  }
  if (existing.title === issue.title && existing.body === issue.body) return { number: existing.number, status: "unchanged" };
  await callGitHub(repository, "update an issue", () => octokit.rest.issues.update({ ...where(repository), issue_number: existing.number, title: issue.title, body: issue.body }));
  return { number: existing.number, status: "updated" };
}

/** Closes the open issue carrying the marker, with a comment saying why; undefined when there was none. */
export async function closeIssue(octokit: GitHubClient, repository: GitHubRepository, marker: string, label: string, comment: string): Promise<number | undefined> {
  const existing = await findOpenIssue(octokit, repository, marker, label);
  if (!existing) return undefined;
  await callGitHub(repository, "comment on an issue", () => octokit.rest.issues.createComment({ ...where(repository), issue_number: existing.number, body: comment }));
  await callGitHub(repository, "close an issue", () => octokit.rest.issues.update({ ...where(repository), issue_number: existing.number, state: "closed", state_reason: "completed" }));
  return existing.number;
}

export interface CheckRunOutput {
  name: string;
  headSha: string;
  conclusion: "success" | "failure" | "neutral";
  title: string;
  summary: string;
  annotations: {
    path: string;
    start_line: number;
    end_line: number;
    start_column?: number;
    end_column?: number;
    annotation_level: "notice" | "warning" | "failure";
    title?: string;
    message: string;
  }[];
}

/** The Checks API takes at most this many annotations per request. */
const ANNOTATIONS_PER_REQUEST = 50;

/** One check run per name and commit: a repeated delivery updates it instead of adding another. */
export async function upsertCheckRun(octokit: GitHubClient, repository: GitHubRepository, check: CheckRunOutput): Promise<number> {
  const existing = await callGitHub(repository, "list check runs", () =>
    octokit.rest.checks.listForRef({ ...where(repository), ref: check.headSha, check_name: check.name, filter: "latest", per_page: 1 }),
  );
  const batches: CheckRunOutput["annotations"][] = [];
  for (let start = 0; start < check.annotations.length || start === 0; start += ANNOTATIONS_PER_REQUEST) {
    batches.push(check.annotations.slice(start, start + ANNOTATIONS_PER_REQUEST));
  }
  const output = (annotations: CheckRunOutput["annotations"]) => ({ title: check.title, summary: check.summary, ...(annotations.length > 0 ? { annotations } : {}) });
  const [first = [], ...rest] = batches;
  const current = existing.data.check_runs[0];
  let id: number;
  if (current) {
    id = current.id;
    await callGitHub(repository, "update the check run", () =>
      octokit.rest.checks.update({ ...where(repository), check_run_id: id, status: "completed", conclusion: check.conclusion, output: output(first) }),
    );
  } else {
    const created = await callGitHub(repository, "create the check run", () =>
      octokit.rest.checks.create({ ...where(repository), name: check.name, head_sha: check.headSha, status: "completed", conclusion: check.conclusion, output: output(first) }),
    );
    id = created.data.id;
  }
  for (const batch of rest) {
    await callGitHub(repository, "annotate the check run", () => octokit.rest.checks.update({ ...where(repository), check_run_id: id, output: output(batch) }));
  }
  return id;
}

/** Only owner and repo go into requests (octokit sends unknown parameters in the body). */
function where(repository: RepositoryName): RepositoryName {
  return { owner: repository.owner, repo: repository.repo };
}
