import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseObservationSnapshotText } from "../../src/domain/index.js";
import { renderContainerTable, resolveControls, scanOrOnboard, type OperatorControls } from "../../src/pipeline/index.js";
import { onboardingPolicyText } from "../../src/pipeline/organization/policy-text.js";
import { describeMonthlyCost } from "../../src/recommend/index.js";
import { DEFAULT_SETTINGS } from "../../src/app/settings.js";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { GitHubStandIn } from "../helpers/github-standin.js";

/**
 * SPEC §10 "Organisations", end to end against the loopback GitHub: a repository without a
 * policy file gets one "Configure rightsize" pull request, closing it means "not here",
 * `/rightsize onboard` brings one back, and after merging the first scan proposes what its
 * preview said. The example config repo without its policy, its Deployments in namespace shop.
 */
const ROOT = path.join(import.meta.dirname, "../..");
const SNAPSHOT = parseObservationSnapshotText(readFileSync(path.join(ROOT, "examples/snapshot.json"), "utf8"));
const OPERATOR: OperatorControls = { onboarding: true, pauseSetting: "the server's RIGHTSIZE_PAUSE", onboardingSetting: "the server's RIGHTSIZE_ONBOARDING=false" };
const NOW = new Date("2026-11-23T06:00:00Z");

let github: GitHubStandIn;
let app: TestApp;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), "rightsize-onboarding-"));
  writeFileSync(path.join(scratch, "snapshot.json"), JSON.stringify(SNAPSHOT));
  github = new GitHubStandIn();
  const work = path.join(scratch, "work");
  cpSync(path.join(ROOT, "examples/config-repo"), work, { recursive: true });
  rmSync(path.join(work, ".github"), { recursive: true });
  // The example's policy names namespace shop for manifests without one; without a policy, the manifests name it.
  for (const dir of readdirSync(path.join(work, "apps"))) {
    for (const file of readdirSync(path.join(work, "apps", dir))) {
      const at = path.join(work, "apps", dir, file);
      writeFileSync(at, readFileSync(at, "utf8").replace(/^(kind: (?:Deployment|CronJob)\nmetadata:\n  name: [a-z-]+\n)/gm, "$1  namespace: shop\n"));
    }
  }
  execFileSync("git", ["init", "--quiet", "--initial-branch=main", work]);
  execFileSync("git", ["-C", work, "add", "."]);
  execFileSync("git", ["-C", work, "-c", "user.name=Example", "-c", "user.email=example@example.com", "commit", "--quiet", "-m", "Shop config without a policy"]);
  github.seed(work);
  await github.start();
  app = await createTestApp({ clusters: { clusters: [{ name: "prod", snapshot: path.join(scratch, "snapshot.json") }] }, baseUrl: github.apiUrl });
});

afterAll(async () => {
  await github?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function scan(operator: OperatorControls = OPERATOR) {
  return scanOrOnboard({
    octokit: new Octokit({ auth: "t", baseUrl: github.apiUrl }),
    repository: { owner: "acme", repo: "shop-config", defaultBranch: "main", cloneUrl: github.cloneUrl, botLogin: "rightsize[bot]" },
    token: "t",
    now: NOW,
    observe: async () => ({ snapshot: SNAPSHOT, at: SNAPSHOT.createdAt }),
    controls: resolveControls("acme", operator, undefined, false),
    clusters: ["prod"],
  });
}

const onboardingPulls = () => github.pulls.filter((pull) => pull.head === "rightsize/onboarding");

describe("the onboarding pull request", () => {
  it("is opened once for a repository without a policy, adds only the policy in mode: recommend, and lists each workload with its file and line", async () => {
    const first = await scan();
    expect(first.onboarding?.status).toBe("created");
    expect(first.scan).toBeUndefined();
    expect(onboardingPulls()).toHaveLength(1);
    const pull = onboardingPulls()[0]!;
    expect(pull.title).toBe("Configure rightsize");
    expect(pull.user).toBe("rightsize[bot]");
    expect(pull.labels).toEqual(["rightsize"]);
    expect(github.git("diff", "--name-only", "main...refs/heads/rightsize/onboarding").trim()).toBe(".github/rightsize.yml");
    const policy = github.git("show", "refs/heads/rightsize/onboarding:.github/rightsize.yml");
    expect(policy).toBe(onboardingPolicyText({ extendsOrganization: false, clusters: ["prod"] }));
    expect(policy).toContain("mode: recommend\ntargets:\n  - paths: [\"**/*.yaml\", \"**/*.yml\"]\n    cluster: prod\n");
    // Each workload with the file and line of its resources: `resources:` of `web` is line 36 of the example, 37 with the namespace line added above it.
    expect(pull.body).toContain("| `shop/Deployment/frontend` | `prod` | `apps/storefront/frontend.yaml:37` | propose (`web`) |");
    // An overlay's workload is edited in its patch.
    expect(pull.body).toContain("| `shop/Deployment/api` | `prod` | `kustomize/api/overlays/production/resources-patch.yaml:11` | propose (`api`) |");
    expect(pull.body).toContain("- **Closing it means \"not here\".** rightsize opens no other onboarding pull request in this repository and does nothing here on its scans. `/rightsize onboard` in any issue brings this pull request back.");
    // What it cannot map, with why: cartservice runs from a Helm chart's values, which only a policy's targets[].helm maps.
    expect(pull.body).toContain("- `shop/Deployment/cartservice`: runs in cluster `prod`, but no manifest of this repository defines it (it may live in another repository)");
    expect(pull.body.trimEnd().endsWith("<!-- rightsize:onboarding -->")).toBe(true);
    expect(github.issues).toEqual([]);

    const tip = github.git("rev-parse", "refs/heads/rightsize/onboarding");
    const second = await scan();
    expect(second.onboarding?.status).toBe("unchanged");
    expect(onboardingPulls()).toHaveLength(1);
    expect(github.git("rev-parse", "refs/heads/rightsize/onboarding")).toBe(tip);
  });

  it("closed, means not here: the next scans open nothing, and /rightsize onboard brings one back", async () => {
    onboardingPulls()[0]!.state = "closed";
    const pulls = github.pulls.length;
    const writes = () => github.requests.filter((request) => !request.startsWith("GET ") && !request.includes("git-upload-pack")).length;
    const before = writes();
    const third = await scan();
    expect(third.onboarding).toEqual({ status: "declined", number: onboardingPulls()[0]!.number, url: expect.stringContaining("/pull/") });
    expect(await scan()).toEqual(third);
    expect(github.pulls).toHaveLength(pulls);
    expect(writes()).toBe(before);

    await app.receive("issue_comment", github.issueComment(601, "/rightsize onboard"));
    expect(onboardingPulls()).toHaveLength(2);
    const reopened = onboardingPulls().find((pull) => pull.state === "open")!;
    const reply = github.comments.filter((comment) => comment.issue === 1).at(-1)!.body;
    expect(reply).toBe(
      `@alice rightsize opened #${reopened.number}: Configure rightsize. Merging it turns rightsize on here (\`mode: recommend\`: the dashboard issue, no pull request); closing it means "not here".\n\n<!-- rightsize:reply 601 -->\n`,
    );
  });

  it("merged, turns rightsize on: the first scan proposes exactly what the preview said, at the same monthly savings", async () => {
    const pull = onboardingPulls().find((candidate) => candidate.state === "open")!;
    github.merge(pull.number, "2026-11-23T06:30:00Z");
    const outcome = await scan();
    expect(outcome.onboarding).toBeUndefined();
    const run = outcome.scan!.run!;
    expect(run.loaded.policy.mode).toBe("recommend");
    expect(run.results).toEqual([]);
    const proposing = run.plan.workloads.filter((workload) => workload.record.decision.action === "propose" && workload.edits.length > 0).map((workload) => workload.record);
    expect(proposing.length).toBeGreaterThan(0);
    expect(pull.body).toContain(renderContainerTable(proposing));
    const monthly = proposing.reduce((sum, record) => sum + (record.cost?.monthly.total ?? 0), 0);
    expect(monthly).toBeLessThan(0);
    expect(pull.body).toContain(`### What it would propose now (${proposing.length} workload${proposing.length === 1 ? "" : "s"}, ${describeMonthlyCost(monthly, "USD")} a month)`);
    expect(pull.body).toContain(`would propose changes to ${proposing.length} of them now, saving **${(-monthly).toFixed(2)} USD a month**.`);
    expect(pull.body).toContain(`### Workloads (${run.plan.workloads.length})`);
    // No pull request but the onboarding ones; the dashboard issue is the report.
    expect(github.pulls.filter((candidate) => candidate.head !== "rightsize/onboarding")).toEqual([]);
    expect(github.issues.map((issue) => issue.title)).toEqual(["rightsize dashboard"]);
    // Configured now: the next scan onboards nothing.
    expect((await scan()).onboarding).toBeUndefined();
  });
});

describe("organisation-wide controls", () => {
  it("a pause in the organisation's .github policy: commands that would write say who paused it and where, and nothing is opened", async () => {
    github.otherFiles.set(
      "acme/.github:.github/rightsize.yml",
      'apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\norganization:\n  pause: "change freeze until 4 January (@platform-team)"\n',
    );
    app.deps.readOrganizationPolicy = true;
    app.deps.controls = undefined;
    const pulls = github.pulls.length;
    await app.receive("issue_comment", github.issueComment(701, "/rightsize all\n/rightsize onboard\n/rightsize help"));
    const reply = github.comments.filter((comment) => comment.issue === 1).at(-1)!.body;
    const paused =
      "rightsize is paused for every repository here, by the organisation's policy (`acme/.github:.github/rightsize.yml`, `organization.pause`): change freeze until 4 January (@&#8203;platform-team). It opens and changes no pull request until the pause is lifted, so it did nothing; `/rightsize help`, `/rightsize policy validate`, `/rightsize doctor`, `/rightsize explain` and `--dry-run` still answer.";
    expect(reply).toContain(`> \`/rightsize all\`\n\n${paused}\n\n> \`/rightsize onboard\`\n\n${paused}\n\n> \`/rightsize help\`\n\nrightsize understands these commands.`);
    expect(github.pulls).toHaveLength(pulls);
  });

  it("the operator's RIGHTSIZE_PAUSE wins, and a paused scheduled scan reads and writes nothing", async () => {
    app.deps.settings = { ...DEFAULT_SETTINGS, pause: "upgrading the clusters" };
    app.deps.controls = undefined;
    await app.receive("issue_comment", github.issueComment(702, "/rightsize all"));
    const reply = github.comments.filter((comment) => comment.issue === 1).at(-1)!.body;
    expect(reply).toBe(
      "@alice rightsize is paused for every repository here, by the operator of this rightsize installation (the server's RIGHTSIZE_PAUSE): upgrading the clusters. It opens and changes no pull request until the pause is lifted, so it did nothing; `/rightsize help`, `/rightsize policy validate`, `/rightsize doctor`, `/rightsize explain` and `--dry-run` still answer.\n\n<!-- rightsize:reply 702 -->\n",
    );
    const requests = github.requests.length;
    expect(await scan({ ...OPERATOR, pause: "upgrading the clusters" })).toEqual({ paused: { by: "the operator of this rightsize installation (the server's RIGHTSIZE_PAUSE)", reason: "upgrading the clusters" } });
    expect(github.requests.length).toBe(requests);
    app.deps.settings = undefined;
    app.deps.readOrganizationPolicy = false;
    app.deps.controls = undefined;
    github.otherFiles.clear();
  });
});
