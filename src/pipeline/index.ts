/**
 * The pipeline the CLI and the GitHub App share (SPEC §2): plan a checkout against observations,
 * render proposals, and write them through one publisher interface (local branches, git push
 * with REST, or the Git Data API).
 */
export { planRepository, changesOf, policyDiscoveryTargets, type Drift, type Plan, type PlannedWorkload, type PlanInput, type TargetCoverage } from "./plan/plan.js";
export { diagnosePlan, type PlanDiagnosis } from "./plan/diagnose.js";
export { renderPlanMarkdown } from "./plan/report.js";
export { checkPolicyAt, checkPolicyText, previewPolicyChange, type PolicyCheck } from "./policy/check.js";
export { ProposalPullRequests } from "./publish/pull-requests.js";
export { comparePlans, type PlannedOutcome, type PolicyPreview, type PreviewEntry } from "./policy/preview.js";
export { renderPullRequest, GITHUB_BODY_LIMIT, type PullRequestInput, type RenderedPullRequest } from "./body/pull-request.js";
export { renderContainerTable } from "./body/table.js";
export { parseStateMarker, proposalStateOf, renderStateMarker, replaceStateMarker, type ProposalState } from "./lifecycle/state.js";
export { proposeChanges, branchOf, type ProposalResult, type ProposalStatus, type ProposeInput } from "./propose/propose.js";
export { gateProposal, isWithinDeclined, type GateOutcome } from "./propose/gate.js";
export {
  proposeForRepository,
  openLocalCheckout,
  type ObservationScope,
  type ObservedInputs,
  type PipelineStage,
  type RepositoryCheckout,
  type RepositoryPorts,
  type RepositoryRun,
} from "./propose/repository.js";
export { loadPolicyChain, loadPolicyFromFiles, repositoryPath, type PolicyBaseReader } from "./policy/source.js";
export {
  EVERY_WORKLOAD,
  formatWorkloadTarget,
  isSelected,
  parseWorkloadTarget,
  selectionsOfKeys,
  type WorkloadSelection,
  type WorkloadTarget,
} from "./plan/selection.js";
export type { BranchState, OpenProposal, Proposal, ProposalPublisher, PublishedProposal, PublishOutcome } from "./publish/types.js";
export { LocalPublisher } from "./publish/local.js";
export { GitPushPublisher } from "./publish/git-push.js";
export { GitDataPublisher } from "./publish/git-data.js";
export { gitHubPolicyReader, readRawFile, readRepositoryPolicy } from "./policy/github.js";
export { runForGitHubRepository, type GitHubRunInput } from "./propose/github.js";
export { scanGitHubRepository, verifyGitHubRepository, type ScanOutcome } from "./scan/scan.js";
export {
  clustersNamedBy,
  loadOperatorClusters,
  observeOperatorClusters,
  diagnoseOperatorClusters,
  OperatorClustersSchema,
  parseOperatorClusters,
  UnservedClusterError,
  type OperatorCluster,
  type OperatorClusters,
} from "./clusters.js";
export { closeIssue, findOpenIssue, hasComment, ownComments, upsertCheckRun, upsertIssue, type CheckRunOutput, type MarkedIssue } from "./github/upsert.js";
export { decisionRecordsInBody, isRolledOut, verdictOf, verifyWorkload, type ContainerCheck, type MergedRequests, type ResourceCheck, type Verdict, type WorkloadCheck } from "./lifecycle/verification.js";
export { renderNoRolloutComment, renderVerificationComment } from "./lifecycle/verification-comment.js";
export { mergedProposalsInHistory, type MergedInHistory } from "./lifecycle/history.js";
export { mergedProposals, verifyMergedProposals, type MergedProposal, type VerificationOutcome, type VerifyInput } from "./lifecycle/verify-merged.js";
export { savingsOf, syncDashboard } from "./dashboard/sync.js";
export { DASHBOARD_TITLE, renderDashboard, type DashboardInput } from "./dashboard/render.js";
export { POLICY_ISSUE_TITLE, renderPolicyIssue, syncPolicyIssue } from "./policy/issue.js";
export { callGitHub, httpStatusOf, repositoryFromRemoteUrl, tokenLogin, writtenByRightsize, type GitHubClient, type GitHubRepository, type GitHubRepositoryInfo, type RepositoryName } from "./github/client.js";
export { GitWorkspace, DECISION_TRAILER, gitEnvironment, type BranchOutcome, type RemoteAuth } from "./checkout/workspace.js";
export { readCommitFiles, readWorkingTreeFiles } from "./checkout/files.js";
export { decisionRecordPath, isProposalBranch, namespaceBranch, proposalBranch, pullRequestBodyPath } from "./propose/branches.js";
export { renderDoctorMarkdown, type DoctorReport } from "../observe/index.js";
export { answeredCommentId, MARKERS, replyMarker, replyMarkerOf, tickedRows, untickAll } from "./lifecycle/markers.js";
export { stepsFromHistory, stepsFromPullRequests, type MergedStep } from "./lifecycle/steps.js";
export { followBranchPush, followClosedProposal } from "./lifecycle/follow-up.js";
export { deleteOwnBranch } from "./lifecycle/branch.js";
export { rebuildConflicted, type RebaseOutcome } from "./lifecycle/rebase.js";
