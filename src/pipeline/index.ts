/**
 * The pipeline the CLI and the GitHub App share (SPEC §2): plan a checkout against observations,
 * render proposals, and write them through one publisher interface (local branches, git push
 * with REST, or the Git Data API).
 */
export { planRepository, policyDiscoveryTargets, type Plan } from "./plan/plan.js";
export { diagnosePlan, type PlanDiagnosis } from "./plan/diagnose.js";
export { renderPlanMarkdown } from "./plan/report.js";
export { checkPolicyAt, previewPolicyChange, type PolicyCheck } from "./policy/check.js";
export { type PlannedOutcome, type PolicyPreview, type PreviewEntry } from "./policy/preview.js";
export { GITHUB_BODY_LIMIT } from "./body/pull-request.js";
export { renderContainerTable } from "./body/table.js";
export { proposalStateOf, replaceStateMarker, type ProposalState } from "./lifecycle/state.js";
export { type ProposalResult } from "./propose/propose.js";
export {
  proposeForRepository,
  openLocalCheckout,
  type ObservationScope,
  type ObservedInputs,
  type PipelineStage,
  type RepositoryRun,
} from "./propose/repository.js";
export { loadPolicyFromFiles } from "./policy/source.js";
export { formatWorkloadTarget, isSelected, parseWorkloadTarget, selectionsOfKeys, type WorkloadSelection, type WorkloadTarget } from "./plan/selection.js";
export { LocalPublisher } from "./publish/local.js";
export { GitPushPublisher } from "./publish/git-push.js";
export { GitDataPublisher } from "./publish/git-data.js";
export { readRawFile, readRepositoryPolicy } from "./policy/github.js";
export { runForGitHubRepository } from "./propose/github.js";
export { scanGitHubRepository, verifyGitHubRepository, type ScanOutcome } from "./scan/scan.js";
export { loadOperatorClusters, observeOperatorClusters, diagnoseOperatorClusters, type OperatorClusters } from "./clusters.js";
export { ownComments, upsertCheckRun } from "./github/upsert.js";
export { decisionRecordsInBody, isRolledOut, verifyWorkload, type ResourceCheck, type WorkloadCheck } from "./lifecycle/verification.js";
export { mergedProposalsInHistory } from "./lifecycle/history.js";
export { syncPolicyIssue } from "./policy/issue.js";
export { callGitHub, repositoryFromRemoteUrl, tokenLogin, writtenByRightsize, type GitHubClient, type GitHubRepositoryInfo } from "./github/client.js";
export { GitWorkspace, DECISION_TRAILER, gitEnvironment } from "./checkout/workspace.js";
export { readWorkingTreeFiles } from "./checkout/files.js";
export { decisionRecordPath, isProposalBranch } from "./propose/branches.js";
export { renderDoctorMarkdown, type DoctorReport } from "../observe/index.js";
export { answeredCommentId, MARKERS, replyMarker, replyMarkerOf, tickedRows, untickAll } from "./lifecycle/markers.js";
export { stepsFromHistory } from "./lifecycle/steps.js";
export { closeByRightsize, followBranchPush, followClosedProposal, recordProposalState, refreshTicked, untickRefresh } from "./lifecycle/follow-up.js";
export { rebuildConflicted } from "./lifecycle/rebase.js";
export { withConditionalRequests } from "./github/conditional.js";
export { readOrganizationControls, resolveControls, type OperatorControls, type OrganizationControls } from "./organization/controls.js";
export { ONBOARDING_BRANCH, onboardRepository, scanOrOnboard, type OnboardingOutcome } from "./organization/onboard.js";
