import { Octokit } from "@octokit/rest";
import type { ObservationSnapshot } from "../../src/domain/index.js";
import { GitPushPublisher, GitWorkspace, LocalPublisher, loadPolicyFromFiles, openLocalCheckout, proposeForRepository, type RepositoryRun } from "../../src/pipeline/index.js";

/** `propose --local` through the pipeline: the policy of the default branch's tip, the snapshot replayed. */
export async function proposeLocally(repoDir: string, snapshot: ObservationSnapshot, at = snapshot.createdAt): Promise<RepositoryRun> {
  const workspace = new GitWorkspace(repoDir);
  const checkout = await openLocalCheckout(workspace);
  return proposeForRepository({
    checkout,
    publisher: new LocalPublisher(workspace, checkout.base.commit),
    policy: loadPolicyFromFiles,
    observe: async () => ({ snapshot, at }),
  });
}

/** `propose --github-token` through the pipeline: fetch and push with `remote`, REST calls to `apiUrl`. */
export async function proposeWithGitHub(
  repoDir: string,
  snapshot: ObservationSnapshot,
  github: { token: string; remote: string; owner: string; repo: string; apiUrl: string },
  at = snapshot.createdAt,
): Promise<RepositoryRun> {
  const workspace = new GitWorkspace(repoDir);
  const auth = { token: github.token };
  const checkout = await openLocalCheckout(workspace, { name: github.remote, auth });
  const octokit = new Octokit({ auth: github.token, baseUrl: github.apiUrl, retry: { enabled: false } });
  return proposeForRepository({
    checkout,
    publisher: new GitPushPublisher(octokit, { owner: github.owner, repo: github.repo, botLogin: "rightsize[bot]" }, workspace, github.remote, checkout.base.commit, auth),
    policy: loadPolicyFromFiles,
    observe: async () => ({ snapshot, at }),
  });
}
