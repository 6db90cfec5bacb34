/**
 * Weeks of living with rightsize, in minutes (SPEC §8): the app (its Probot handlers and the scan
 * its scheduler runs) on a loopback GitHub, a config repository of 20 workloads (plain manifests,
 * a kustomize base shared by two overlays, Helm values, a CronJob), a scripted cluster, and
 * scripted people who merge, decline, push and ask. One clock drives the app, the cluster and the
 * people. After every step the invariants of a proposal's life are checked; a broken one stops
 * the run with what broke.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Octokit } from "@octokit/rest";
import { parseObservationSnapshotText, parseQuantity, percentChange, workloadKey } from "../../src/domain/index.js";
import { discoverTargets } from "../../src/manifests/index.js";
import { loadPolicyFromFiles, policyDiscoveryTargets, scanGitHubRepository, type GitHubRepositoryInfo, type ProposalState } from "../../src/pipeline/index.js";
import { parseStateMarker } from "../../src/pipeline/lifecycle/state.js";
import { readCommitFiles } from "../../src/pipeline/checkout/files.js";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";
import { APP_LOGIN, GitHubStandIn, type PullRequestRecord } from "../../test/helpers/github-standin.js";
import { random } from "../random.js";
import { iso, SimulatedCluster, type Archetype, type Resources, type SimWorkload } from "./cluster.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MI = 1024 ** 2;
const START = Date.parse("2026-09-07T00:00:00Z");
const MIN_CHANGE_PERCENT = 10;
const PRICES = { cpuCoreHour: 0.031611, memoryGiBHour: 0.004237 };

export interface SimulationResult {
  weeks: number;
  seed: number;
  /** Per workload: the week (1-based) its last change merged, or 0 when none did. */
  steadyWeek: Record<string, number>;
  perWeek: { week: number; monthlyCost: number; apiCalls: number; opened: number; updated: number; declined: number; rebased: number; merged: number; oomKills: number; cpuAboveRequest: number }[];
  /** OOM kills of workloads running values rightsize lowered, and CPU core-hours above their request. */
  oomKillsAfterCuts: number;
  cpuAboveRequestAfterCuts: number;
  initialMonthlyCost: number;
  /** Invariants checked, and how often. */
  checks: Record<string, number>;
  seconds: number;
  /** Seconds spent in each kind of step (the app's work and the checks after it). */
  timings: Record<string, number>;
}

interface Plan {
  decide: number;
  action: "merge" | "decline" | "push-then-merge" | "push-then-close";
  pushed?: boolean;
}

/** The workloads of the simulated repository: where each lives in it and how it behaves. */
const WORKLOADS: { name: string; kind: "Deployment" | "CronJob"; archetype: Archetype; cpu: number; memory: number; requests: [string, string]; limit?: string; where: "plain" | "overlay" | "helm" }[] = [
  { name: "frontend", kind: "Deployment", archetype: "steady", cpu: 0.12, memory: 200 * MI, requests: ["1", "1Gi"], where: "plain" },
  { name: "checkout", kind: "Deployment", archetype: "bursty", cpu: 0.2, memory: 300 * MI, requests: ["800m", "768Mi"], where: "plain" },
  { name: "search", kind: "Deployment", archetype: "growth", cpu: 0.3, memory: 400 * MI, requests: ["1", "1Gi"], where: "plain" },
  { name: "sessions", kind: "Deployment", archetype: "leak", cpu: 0.1, memory: 300 * MI, requests: ["500m", "1Gi"], where: "plain" },
  { name: "orders", kind: "Deployment", archetype: "oom-after-cut", cpu: 0.15, memory: 300 * MI, requests: ["500m", "1Gi"], limit: "1Gi", where: "plain" },
  { name: "ledger", kind: "Deployment", archetype: "oom-after-cut", cpu: 0.1, memory: 280 * MI, requests: ["400m", "1Gi"], limit: "1Gi", where: "plain" },
  { name: "emails", kind: "Deployment", archetype: "idle", cpu: 0.08, memory: 120 * MI, requests: ["2", "2Gi"], where: "plain" },
  { name: "images", kind: "Deployment", archetype: "bursty", cpu: 0.4, memory: 500 * MI, requests: ["1500m", "2Gi"], where: "plain" },
  { name: "profile", kind: "Deployment", archetype: "steady", cpu: 0.05, memory: 150 * MI, requests: ["250m", "512Mi"], where: "plain" },
  { name: "pricing", kind: "Deployment", archetype: "steady", cpu: 0.25, memory: 350 * MI, requests: ["1", "1Gi"], where: "plain" },
  { name: "reviews", kind: "Deployment", archetype: "idle", cpu: 0.1, memory: 200 * MI, requests: ["1", "1Gi"], where: "plain" },
  { name: "shipping", kind: "Deployment", archetype: "growth", cpu: 0.2, memory: 250 * MI, requests: ["500m", "768Mi"], where: "plain" },
  { name: "tax", kind: "Deployment", archetype: "steady", cpu: 0.06, memory: 128 * MI, requests: ["300m", "512Mi"], where: "plain" },
  { name: "report", kind: "CronJob", archetype: "nightly", cpu: 0.5, memory: 700 * MI, requests: ["2", "2Gi"], where: "plain" },
  { name: "alpha", kind: "Deployment", archetype: "steady", cpu: 0.1, memory: 200 * MI, requests: ["1", "1Gi"], where: "overlay" },
  { name: "beta", kind: "Deployment", archetype: "bursty", cpu: 0.15, memory: 250 * MI, requests: ["1", "1Gi"], where: "overlay" },
  { name: "gamma", kind: "Deployment", archetype: "idle", cpu: 0.1, memory: 180 * MI, requests: ["1", "1Gi"], where: "overlay" },
  { name: "delta", kind: "Deployment", archetype: "steady", cpu: 0.2, memory: 300 * MI, requests: ["1", "1Gi"], where: "overlay" },
  { name: "cart", kind: "Deployment", archetype: "steady", cpu: 0.15, memory: 250 * MI, requests: ["800m", "1Gi"], where: "helm" },
  { name: "catalog", kind: "Deployment", archetype: "bursty", cpu: 0.2, memory: 400 * MI, requests: ["1", "1536Mi"], where: "helm" },
];

/** The workloads of the three-week run in CI: one of each kind of behaviour and of each place in the repository. */
export const CI_WORKLOADS: readonly string[] = ["frontend", "checkout", "search", "sessions", "orders", "report", "alpha", "beta", "cart"];

const policy = (workloads: readonly (typeof WORKLOADS)[number][]) => `apiVersion: rightsize.dev/v1alpha2
kind: RightsizePolicy
targets:
  - paths: ["apps/**/*.yaml", "kustomize/overlays/prod/**"]
    cluster: prod
    namespace: shop
${helmEntries(workloads)}recommend:
  limits: ratio
pullRequests:
  dashboard: true
  verifyAfter: 3d
rateLimits: {maxOpenPullRequests: 25}
schedule: {cron: "0 6 * * *"}
`;

function helmEntries(workloads: readonly (typeof WORKLOADS)[number][]): string {
  const helm = workloads.filter((workload) => workload.where === "helm");
  if (helm.length === 0) return "";
  return `    helm:\n${helm.map((workload) => `      - values: charts/shop/values.yaml\n        path: ${workload.name}.resources\n        workload: {kind: Deployment, name: ${workload.name}, container: app}\n`).join("")}`;
}

function manifest(workload: (typeof WORKLOADS)[number]): string {
  const [cpu, memory] = workload.requests;
  const limits = workload.limit ? `\n                limits:\n                  memory: ${workload.limit}` : "";
  const container = `          containers:\n            - name: app\n              image: shop/${workload.name}:1\n              resources:\n                requests:\n                  cpu: ${cpu}\n                  memory: ${memory}${limits}\n`;
  if (workload.kind === "CronJob") {
    return `apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: ${workload.name}\nspec:\n  schedule: "0 2 * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n${container}`;
  }
  return `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${workload.name}\nspec:\n  replicas: 2\n  template:\n    spec:\n${container.replaceAll(/^ {4}/gm, "")}`;
}

function seedRepository(work: string, workloads: readonly (typeof WORKLOADS)[number][]): void {
  const file = (name: string, text: string) => {
    mkdirSync(path.dirname(path.join(work, name)), { recursive: true });
    writeFileSync(path.join(work, name), text);
  };
  file(".github/rightsize.yml", policy(workloads));
  for (const workload of workloads.filter((entry) => entry.where === "plain")) file(`apps/${workload.name}.yaml`, manifest(workload));
  const overlay = workloads.filter((entry) => entry.where === "overlay");
  file("kustomize/base/kustomization.yaml", `resources:\n${overlay.map((workload) => `  - ${workload.name}.yaml`).join("\n")}\n`);
  for (const workload of overlay) file(`kustomize/base/${workload.name}.yaml`, manifest(workload));
  for (const environment of ["prod", "staging"]) file(`kustomize/overlays/${environment}/kustomization.yaml`, "namespace: shop\nresources:\n  - ../../base\n");
  const helm = workloads.filter((entry) => entry.where === "helm");
  file("charts/shop/Chart.yaml", "apiVersion: v2\nname: shop\nversion: 1.0.0\n");
  file("charts/shop/values.yaml", helm.map((workload) => `${workload.name}:\n  replicas: 2\n  resources:\n    requests:\n      cpu: ${workload.requests[0]}\n      memory: ${workload.requests[1]}\n`).join(""));
  file(
    "charts/shop/templates/deployments.yaml",
    helm.map((workload) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${workload.name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          resources: {{ toYaml .Values.${workload.name}.resources | nindent 12 }}\n`).join("---\n"),
  );
}

export async function simulate(options: {
  weeks: number;
  seed: number;
  /** The workloads to keep (by name); all twenty by default. */
  workloads?: readonly string[];
  onWeek?(line: string): void;
  onEvent?(line: string): void;
}): Promise<SimulationResult> {
  const workloads = options.workloads ? WORKLOADS.filter((workload) => options.workloads!.includes(workload.name)) : WORKLOADS;
  const started = performance.now();
  const rng = random(options.seed);
  const scratch = mkdtempSync(path.join(tmpdir(), "rightsize-lifecycle-"));
  const github = new GitHubStandIn();
  const work = path.join(scratch, "work");
  execFileSync("git", ["init", "--quiet", "--initial-branch=main", work]);
  seedRepository(work, workloads);
  execFileSync("git", ["add", "."], { cwd: work });
  execFileSync("git", ["-c", "user.name=Platform", "-c", "user.email=platform@example.com", "commit", "--quiet", "-m", "Shop config"], { cwd: work });
  github.seed(work);
  await github.start();

  const simWorkloads: SimWorkload[] = workloads.map((workload) => ({ ref: { cluster: "prod", namespace: "shop", kind: workload.kind, name: workload.name }, container: "app", archetype: workload.archetype, cpu: workload.cpu, memory: workload.memory }));
  const cluster = new SimulatedCluster(simWorkloads, options.seed, START);
  let now = START;
  const app: TestApp = await createTestApp({ baseUrl: github.apiUrl });
  app.deps.now = () => new Date(now);
  // What the cluster shows, checked and completed as a snapshot file would be.
  app.deps.observe = async (loaded, scope) => ({ snapshot: parseObservationSnapshotText(JSON.stringify(cluster.observe(now, loaded.policy.observe.window.seconds, scope.namespaces))), at: iso(now) });
  const repository: GitHubRepositoryInfo = { owner: "acme", repo: "shop-config", defaultBranch: "main", cloneUrl: github.cloneUrl, botLogin: APP_LOGIN };
  const octokit = new Octokit({ auth: "ghs_standin_2", baseUrl: github.apiUrl, log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } });

  const checks: Record<string, number> = { "one decrease per rollout and fresh window": 0, "no person's commit lost": 0, "no proposal left conflicting": 0, "declines honoured, overridable": 0, "no duplicates": 0, "an OOM after a cut is answered": 0 };
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, step: () => Promise<T>): Promise<T> => {
    const begun = performance.now();
    try {
      return await step();
    } finally {
      timings[name] = (timings[name] ?? 0) + (performance.now() - begun) / 1000;
    }
  };
  const fail = (invariant: string, what: string): never => {
    throw new Error(`invariant broken after ${iso(now)}: ${invariant}: ${what}`);
  };

  const tip = () => github.readRef("refs/heads/main")!;

  // The cluster runs what the manifests hold (read again only when main moves).
  let manifestsAt: { tip: string; values: Map<string, Resources> } | undefined;
  const manifestValues = async (): Promise<Map<string, Resources>> => {
    const current = tip();
    if (manifestsAt?.tip === current) return manifestsAt.values;
    const files = await readCommitFiles(github.gitDir, current);
    const loaded = await loadPolicyFromFiles(files);
    const targets = policyDiscoveryTargets(loaded.policy);
    const values = new Map<string, Resources>();
    discoverTargets(files, targets).forEach((discovery, index) => {
      for (const workload of discovery.workloads) {
        const ref = { cluster: targets[index]!.cluster, namespace: workload.namespace ?? "shop", kind: workload.kind, name: workload.name };
        const container = workload.containers[0];
        if (container) values.set(workloadKey(ref), { requests: { ...container.requests }, limits: { ...container.limits } });
      }
    });
    manifestsAt = { tip: current, values };
    return values;
  };
  const initial = await manifestValues();
  for (const [key, resources] of initial) cluster.deploy(key, resources);
  const initialMonthlyCost = cluster.account(START, START, PRICES).monthlyCost;

  // What the people and the invariants remember.
  const plans = new Map<number, Plan>();
  const personCommits: string[] = [];
  const declined: { key: string; state: ProposalState; at: number }[] = [];
  const lastWritten = new Map<number, string>();
  /** When rightsize last wrote each pull request's values. */
  const writtenAt = new Map<number, number>();
  const decreases = new Map<string, number[]>();
  const cutKeys = new Set<string>();
  const mergedAtWeek = new Map<string, number>();
  const counters = { opened: 0, updated: 0, declined: 0, rebased: 0, merged: 0 };
  const perWeek: SimulationResult["perWeek"] = [];
  let requestsAtWeekStart = 0;
  let oomsSeen = 0;
  let oomKillsAfterCuts = 0;
  let cpuAboveRequestAfterCuts = 0;
  let commentId = 50_000;

  const ownOpen = () => github.pulls.filter((pull) => pull.state === "open" && pull.user === APP_LOGIN && pull.head.startsWith("rightsize/") && !pull.head.startsWith("rightsize/revert/"));
  const stateOf = (pull: PullRequestRecord) => parseStateMarker(pull.body);
  /** A workload's pull requests, for a broken invariant's message. */
  const historyOf = (key: string) =>
    github.pulls
      .filter((pull) => stateOf(pull)?.workloads.some((workload) => workload.key === key))
      .map((pull) => `#${pull.number} ${pull.head} ${pull.merged_at ? `merged ${pull.merged_at}` : pull.state} ${JSON.stringify(stateOf(pull)!.workloads.find((workload) => workload.key === key)!.containers)}`)
      .join("; ");
  /** The branches of these that do not merge into main cleanly (git's own three-way merge, one shell for all; remembered per pair of tips). */
  const merges = new Map<string, boolean>();
  const conflicting = async (branches: readonly string[]): Promise<Set<string>> => {
    const main = tip();
    const pairs = branches.map((branch) => ({ branch, key: `${main}:${github.readRef(`refs/heads/${branch}`)}` }));
    const unknown = pairs.filter((pair) => !merges.has(pair.key));
    if (unknown.length > 0) {
      const script = 'for b in "$@"; do git merge-tree --write-tree main "refs/heads/$b" > /dev/null 2>&1 || echo "$b"; done';
      const broken = new Set((await github.runGit(["-c", script, "sh", ...unknown.map((pair) => pair.branch)], { file: "sh" })).split("\n").filter(Boolean));
      for (const pair of unknown) merges.set(pair.key, broken.has(pair.branch));
    }
    return new Set(pairs.filter((pair) => merges.get(pair.key)).map((pair) => pair.branch));
  };
  const conflicts = async (branch: string) => (await conflicting([branch])).has(branch);

  /** Invariant (i) and the bookkeeping of what each proposal writes, after every step. */
  const observeProposals = async () => {
    const values = await manifestValues();
    for (const pull of ownOpen()) {
      const state = stateOf(pull);
      if (!state) continue;
      const written = JSON.stringify(state.workloads.map((workload) => [workload.key, workload.containers]));
      if (lastWritten.get(pull.number) === written) continue;
      if (!lastWritten.has(pull.number)) counters.opened++;
      else counters.updated++;
      lastWritten.set(pull.number, written);
      writtenAt.set(pull.number, now);
      for (const workload of state.workloads) {
        const current = values.get(workload.key);
        for (const requests of Object.values(workload.containers)) {
          for (const resource of ["cpu", "memory"] as const) {
            const from = current?.requests[resource];
            const to = requests[resource];
            if (!from || !to || parseQuantity(to).nanos >= parseQuantity(from).nanos) continue;
            // (i) A decrease is written only after the last merged decrease rolled out and a day of data since.
            checks["one decrease per rollout and fresh window"]!++;
            const previous = decreases.get(`${workload.key}/${resource}`) ?? [];
            const last = previous[previous.length - 1];
            if (last !== undefined) {
              const rollout = cluster.rolloutTimes(workload.key).find((at) => at >= last);
              if (rollout === undefined || now - rollout < DAY) fail("(i) steps, not stacks", `#${pull.number} lowers ${workload.key} ${resource} to ${to} ${rollout === undefined ? "before the previous cut rolled out" : `${((now - rollout) / HOUR).toFixed(1)}h after its rollout`}`);
            }
          }
        }
      }
    }
  };

  /** Invariants (ii), (iii) and (v), after every step. */
  let reachableAt: { refs: string; commits: Set<string> } | undefined;
  const checkState = async (afterDefaultPush: boolean) => {
    if (personCommits.length > 0) {
      // Every commit on some branch (listed again only when a branch moved).
      const refs = (await github.runGit(["for-each-ref", "--format=%(objectname)"])).trim();
      if (reachableAt?.refs !== refs) reachableAt = { refs, commits: new Set((await github.runGit(["rev-list", "--all"])).split("\n")) };
      const reachable = reachableAt.commits;
      for (const sha of personCommits) {
        checks["no person's commit lost"]!++;
        if (!reachable.has(sha)) fail("(ii) people's work", `commit ${sha.slice(0, 12)} is on no branch any more`);
      }
    }
    if (afterDefaultPush) {
      const ours = ownOpen().filter((pull) => !plans.get(pull.number)?.pushed);
      const broken = await conflicting(ours.map((pull) => pull.head));
      for (const pull of ours) {
        checks["no proposal left conflicting"]!++;
        if (broken.has(pull.head)) fail("(iii) rebase when conflicted", `#${pull.number} (${pull.head}) conflicts with main after the push was handled`);
      }
    }
    checks["no duplicates"]!++;
    const branches = ownOpen().map((pull) => pull.head);
    if (new Set(branches).size !== branches.length) fail("(v) no duplicates", `two open pull requests on one branch: ${branches.join(", ")}`);
    if (github.issues.filter((issue) => issue.state === "open" && issue.title === "rightsize dashboard").length > 1) fail("(v) no duplicates", "two dashboards");
    for (const pull of github.pulls) {
      const markers = github.comments.filter((comment) => comment.issue === pull.number && comment.user === APP_LOGIN).map((comment) => /<!-- rightsize:[a-z-]+ -->/.exec(comment.body)?.[0]).filter(Boolean);
      if (new Set(markers).size !== markers.length) fail("(v) no duplicates", `#${pull.number} has a notice twice: ${markers.join(", ")}`);
    }
  };

  const scan = async () => {
    const before = new Set(github.pulls.map((pull) => pull.number));
    const outcome = await timed("scheduled scans", () => scanGitHubRepository({ octokit, repository, token: "ghs_standin_2", now: new Date(now), observe: app.deps.observe!, onStage: (stage, seconds) => void (timings[`  scans: ${stage}`] = (timings[`  scans: ${stage}`] ?? 0) + seconds) }));
    for (const result of outcome.run?.results ?? []) {
      if (!["created", "updated", "unchanged"].includes(result.status)) options.onEvent?.(`${iso(now)} scan: ${result.branch} ${result.status}: ${result.reason ?? ""}`);
    }
    for (const workload of outcome.run?.plan.workloads ?? []) {
      if (workload.record.decision.action !== "propose") options.onEvent?.(`${iso(now)} scan: ${workloadKey(workload.ref)} ${workload.record.decision.action}: ${workload.record.decision.reasons.join("; ")}`);
    }
    await timed("checks", observeProposals);
    // (iv) A scan never re-proposes declined values.
    for (const pull of github.pulls.filter((candidate) => !before.has(candidate.number))) {
      const state = stateOf(pull);
      for (const workload of state?.workloads ?? []) {
        for (const decline of declined.filter((entry) => entry.key === workload.key)) {
          checks["declines honoured, overridable"]!++;
          const old = decline.state.workloads.find((entry) => entry.key === workload.key)?.containers ?? {};
          const within = Object.entries(workload.containers).every(([container, values]) =>
            (["cpu", "memory"] as const).every((resource) => {
              const [a, b] = [old[container]?.[resource], values[resource]];
              return a === b || (a !== undefined && b !== undefined && Math.abs(percentChange(parseQuantity(a), parseQuantity(b))) < MIN_CHANGE_PERCENT);
            }),
          );
          if (within) fail("(iv) declines", `a scan proposed ${workload.key} again within ${MIN_CHANGE_PERCENT}% of values declined on ${iso(decline.at)} (#${pull.number}); its pull requests: ${historyOf(workload.key)}`);
        }
      }
    }
    // (vi) An OOM kill after a cut is answered by the scan after it: an increase or a revert.
    for (const oom of cluster.ooms.slice(oomsSeen)) {
      if (!cutKeys.has(oom.key)) continue;
      oomKillsAfterCuts++;
      checks["an OOM after a cut is answered"]!++;
      // Answered: a revert, or an increase that is open now or was written since the kill (a person may have declined it since).
      const answered = github.pulls.some((pull) => {
        if (pull.user !== APP_LOGIN) return false;
        if (pull.head.startsWith("rightsize/revert/")) return pull.state === "open";
        if (pull.state !== "open" && (writtenAt.get(pull.number) ?? -Infinity) < oom.at) return false;
        const state = stateOf(pull);
        const memory = state?.workloads.find((workload) => workload.key === oom.key)?.containers?.app?.memory;
        const running = cluster.running(oom.key)?.requests.memory;
        return memory !== undefined && running !== undefined && parseQuantity(memory).nanos > parseQuantity(running).nanos;
      });
      if (!answered) fail("(vi) OOM after a cut", `${oom.key} was OOM-killed at ${iso(oom.at)} and no increase or revert followed at the next scan`);
    }
    oomsSeen = cluster.ooms.length;
    await checkState(false);
  };

  const deliverDefaultPush = async () => {
    const before = github.requests.length;
    await timed("pushes to main", () => app.receive("push", github.pushEvent("refs/heads/main", tip())));
    counters.rebased += github.requests.slice(before).filter((request) => request.startsWith("PATCH /api/v3/repos/acme/shop-config/git/refs/")).length;
    await observeProposals();
    await checkState(true);
  };

  const merge = async (pull: PullRequestRecord) => {
    const valuesBefore = await manifestValues();
    if (await conflicts(pull.head)) return false;
    // A merge commit on main, as GitHub's merge button makes one (one shell).
    const script = 't=$(git merge-tree --write-tree main "refs/heads/$1" | head -n 1) && c=$(git commit-tree "$t" -p main -p "refs/heads/$1" -m "$2") && git update-ref refs/heads/main "$c" && echo "$c"';
    const commit = (await github.runGit(["-c", script, "sh", pull.head, `Merge pull request #${pull.number}`], { file: "sh" })).trim();
    Object.assign(pull, { state: "closed", merged_at: iso(now) });
    const payload = { ...github.pullPayload(pull), merged: true, merge_commit_sha: commit };
    await timed("merges", () => app.receive("pull_request", github.pullRequestEvent("closed", payload, "alice")));
    counters.merged++;
    const valuesAfter = await manifestValues();
    const week = Math.floor((now - START) / (7 * DAY)) + 1;
    for (const [key, resources] of valuesAfter) {
      const previous = valuesBefore.get(key);
      if (!previous || JSON.stringify(previous) === JSON.stringify(resources)) continue;
      mergedAtWeek.set(key, week);
      for (const resource of ["cpu", "memory"] as const) {
        const [from, to] = [previous.requests[resource], resources.requests[resource]];
        if (from && to && parseQuantity(to).nanos < parseQuantity(from).nanos) {
          decreases.set(`${key}/${resource}`, [...(decreases.get(`${key}/${resource}`) ?? []), now]);
          cutKeys.add(key);
        }
      }
      // Argo CD or Flux: the cluster runs the new values two to eight hours later.
      cluster.schedule(key, resources, now + (2 + Math.floor(rng() * 7)) * HOUR);
      options.onEvent?.(`${iso(now)} #${pull.number} merged: ${key} ${JSON.stringify(previous)} → ${JSON.stringify(resources)}`);
    }
    await deliverDefaultPush();
    return true;
  };

  const decline = async (pull: PullRequestRecord, by: string) => {
    const state = stateOf(pull);
    Object.assign(pull, { state: "closed" });
    await timed("declines", () => app.receive("pull_request", github.pullRequestEvent("closed", { ...github.pullPayload(pull), merged: false, merged_at: null }, by)));
    options.onEvent?.(`${iso(now)} #${pull.number} closed by ${by}: ${state?.workloads.map((workload) => `${workload.key} ${JSON.stringify(workload.containers)}`).join(", ") ?? ""}`);
    if (!plans.get(pull.number)?.pushed) {
      counters.declined++;
      for (const workload of state?.workloads ?? []) declined.push({ key: workload.key, state: state!, at: now });
    }
    await checkState(false);
  };

  const personPush = async (pull: PullRequestRecord) => {
    const clone = path.join(scratch, `person-${pull.number}`);
    execFileSync("git", ["clone", "--quiet", "--branch", pull.head, github.gitDir, clone]);
    writeFileSync(path.join(clone, "NOTES.md"), `tuned by hand for #${pull.number}\n`);
    execFileSync("git", ["add", "."], { cwd: clone });
    execFileSync("git", ["-c", "user.name=Bob", "-c", "user.email=bob@example.com", "commit", "--quiet", "-m", "Note the sale"], { cwd: clone });
    execFileSync("git", ["push", "--quiet", "origin", `HEAD:refs/heads/${pull.head}`], { cwd: clone });
    const sha = execFileSync("git", ["rev-parse", "HEAD"], { cwd: clone, encoding: "utf8" }).trim();
    rmSync(clone, { recursive: true, force: true });
    personCommits.push(sha);
    plans.get(pull.number)!.pushed = true;
    await timed("people's pushes", () => app.receive("push", github.pushEvent(`refs/heads/${pull.head}`, sha, "bob")));
    await checkState(false);
  };

  const command = async (body: string) => {
    commentId++;
    await timed("commands", () => app.receive("issue_comment", github.issueComment(commentId, body)));
    await observeProposals();
    const reply = github.comments.find((comment) => comment.body.includes(`<!-- rightsize:reply ${commentId} -->`))?.body ?? "";
    return reply;
  };

  const end = START + options.weeks * 7 * DAY;
  try {
    for (now = START; now < end; now += HOUR) {
      cluster.advance(now);
      const hour = new Date(now).getUTCHours();
      const day = Math.floor((now - START) / DAY);
      if (hour === 6) await scan();
      if (hour >= 10 && hour <= 16) {
        // New proposals get a plan: most merge within one to three days, a fifth are declined, a tenth get a person's commit.
        for (const pull of ownOpen()) {
          if (plans.has(pull.number)) continue;
          const roll = rng();
          const overlay = pull.head.includes("/deployment-alpha") || pull.head.includes("/deployment-beta");
          plans.set(pull.number, {
            // Two sibling overlay proposals merge the same day, at the same hour.
            decide: overlay ? startOfDay(now) + DAY + 11 * HOUR : now + (1 + Math.floor(rng() * 3)) * DAY,
            action: overlay ? "merge" : roll < 0.2 ? "decline" : roll < 0.25 ? "push-then-merge" : roll < 0.3 ? "push-then-close" : "merge",
          });
        }
        for (const pull of ownOpen()) {
          const plan = plans.get(pull.number)!;
          if (plan.action.startsWith("push") && !plan.pushed && now >= plan.decide - DAY / 2) await personPush(pull);
          if (now < plan.decide) continue;
          if (plan.action === "decline" || plan.action === "push-then-close") await decline(pull, "alice");
          else if (!(await merge(pull))) plan.decide = now + DAY;
        }
        // Once a week a person asks for a declined workload by name: the decline is overridden.
        if (hour === 14 && day % 7 === 3) {
          const wanted = declined.find((entry) => !ownOpen().some((pull) => stateOf(pull)?.workloads.some((workload) => workload.key === entry.key)));
          if (wanted) {
            const [, namespace, kind, name] = wanted.key.split("/");
            const reply = await command(`/rightsize ${namespace}/${kind!.toLowerCase()}/${name}`);
            checks["declines honoured, overridable"]!++;
            if (/— declined:/.test(reply)) fail("(iv) declines", `an explicit request for ${wanted.key} was refused as declined: ${reply.split("\n")[1] ?? reply}`);
          }
        }
        // A writer checks on the rest now and then.
        if (hour === 15 && day % 7 === 1) await command("/rightsize all --dry-run");
      }
      if ((now - START + HOUR) % (7 * DAY) === 0) {
        const week = Math.floor((now - START) / (7 * DAY)) + 1;
        const weekStart = START + (week - 1) * 7 * DAY;
        const accounting = cluster.account(weekStart, now + HOUR, PRICES);
        const weekOoms = cluster.ooms.filter((oom) => oom.at >= weekStart && oom.at < now + HOUR).length;
        perWeek.push({ week, monthlyCost: accounting.monthlyCost, apiCalls: github.requests.length - requestsAtWeekStart, ...counters, oomKills: weekOoms, cpuAboveRequest: accounting.cpuAboveRequest });
        cpuAboveRequestAfterCuts += cutAccounting(cluster, cutKeys, weekStart, now + HOUR);
        requestsAtWeekStart = github.requests.length;
        Object.assign(counters, { opened: 0, updated: 0, declined: 0, rebased: 0, merged: 0 });
        options.onWeek?.(`week ${week}: ${perWeek.at(-1)!.monthlyCost.toFixed(2)} USD a month in requests, ${perWeek.at(-1)!.apiCalls} API calls`);
      }
    }
  } finally {
    await github.stop().catch((error: unknown) => {
      throw error;
    });
    rmSync(scratch, { recursive: true, force: true });
  }
  const steadyWeek = Object.fromEntries(workloads.map((workload) => [workload.name, mergedAtWeek.get(`prod/shop/${workload.kind}/${workload.name}`) ?? 0]));
  return { weeks: options.weeks, seed: options.seed, steadyWeek, perWeek, oomKillsAfterCuts, cpuAboveRequestAfterCuts, initialMonthlyCost, checks, seconds: (performance.now() - started) / 1000, timings };
}

function startOfDay(at: number): number {
  return at - (at % DAY);
}

/** CPU core-hours above the request of the workloads rightsize cut, within a week. */
function cutAccounting(cluster: SimulatedCluster, cut: ReadonlySet<string>, from: number, to: number): number {
  let total = 0;
  for (const workload of cluster.workloads) {
    const key = cluster.key(workload);
    if (!cut.has(key) || workload.archetype === "nightly") continue;
    const request = cluster.running(key)?.requests.cpu;
    const cores = request ? Number(parseQuantity(request).nanos) / 1e9 : 0;
    for (let at = from; at < to; at += 10 * 60_000) total += Math.max(0, cluster.usage(workload, at).cpu - cores) / 6;
  }
  return total;
}
