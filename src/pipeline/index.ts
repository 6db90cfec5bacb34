/**
 * The pipeline the CLI and the GitHub App share (SPEC §2): plan a checkout against observations,
 * render proposals, and write them as branches (locally or on GitHub).
 */
export { planRepository, changesOf, policyDiscoveryTargets, type Drift, type Plan, type PlannedWorkload, type PlanInput } from "./plan.js";
export { renderPlanMarkdown } from "./plan-report.js";
export { renderPullRequest, GITHUB_BODY_LIMIT, type PullRequestInput, type RenderedPullRequest } from "./pull-request.js";
export { parseStateMarker, renderStateMarker, type ProposalState } from "./state-marker.js";
export { proposeChanges, isWithinDeclined, type ProposalResult, type ProposalStatus, type ProposeInput } from "./propose.js";
export { GitHubPublisher, repositoryFromRemoteUrl, type GitHubRepository } from "./github.js";
export { GitWorkspace, DECISION_TRAILER, gitEnvironment, type BranchOutcome } from "./workspace.js";
export { readCommitFiles, readWorkingTreeFiles } from "./repo-files.js";
export { decisionRecordPath, namespaceBranch, proposalBranch, pullRequestBodyPath } from "./branches.js";
