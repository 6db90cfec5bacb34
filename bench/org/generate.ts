/**
 * The organisation bench's repositories: one config repo of `workloads` Deployments in plain
 * manifests with a policy that keeps a dashboard (where the rescan check remembers the last
 * scan), and what the clusters show of each repository's workloads — deterministic from the
 * repository's index, the same on every call (a rescan with nothing changed).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseObservationSnapshotText, type ObservationSnapshot } from "../../src/domain/index.js";
import { random } from "../random.js";

export const CREATED_AT = "2026-11-23T06:00:00Z";
const WINDOW_FROM = "2026-11-16T06:00:00Z";
/** The share of workloads whose requests are far above what they use (the rest are sized about right). */
export const OVERSIZED_SHARE = 0.4;

export function workloadName(index: number): string {
  return `svc-${String(index + 1).padStart(2, "0")}`;
}

export function policyText(workloads: number): string {
  return [
    "apiVersion: rightsize.dev/v1alpha2",
    "kind: RightsizePolicy",
    "mode: propose",
    "clusters:",
    "  - name: prod",
    '    prometheus: {url: "http://prometheus.monitoring:9090"}',
    "targets:",
    '  - paths: ["apps/**/*.yaml"]',
    "    cluster: prod",
    "    namespace: shop",
    "recommend:",
    "  limits: keep",
    "pullRequests:",
    "  dashboard: true",
    "rateLimits:",
    `  maxOpenPullRequests: ${workloads}`,
    "",
  ].join("\n");
}

/** Writes the config repo's files into `dir` (every repository starts from the same tree). */
export function writeConfigRepo(dir: string, workloads: number): void {
  mkdirSync(path.join(dir, ".github"), { recursive: true });
  writeFileSync(path.join(dir, ".github/rightsize.yml"), policyText(workloads));
  for (let index = 0; index < workloads; index++) {
    const name = workloadName(index);
    mkdirSync(path.join(dir, "apps", name), { recursive: true });
    writeFileSync(
      path.join(dir, "apps", name, "deployment.yaml"),
      [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        `  name: ${name}`,
        "spec:",
        "  replicas: 2",
        "  selector:",
        `    matchLabels: {app: ${name}}`,
        "  template:",
        "    metadata:",
        `      labels: {app: ${name}}`,
        "    spec:",
        "      containers:",
        "      - name: app",
        `        image: ghcr.io/example/${name}:1.0.0`,
        "        resources:",
        "          requests:",
        "            cpu: 500m",
        "            memory: 512Mi",
        "          limits:",
        "            memory: 1Gi",
        "",
      ].join("\n"),
    );
  }
}

/** What the clusters show of repository `repository`'s workloads (parsed as a snapshot file would be). */
export function observationOf(repository: number, workloads: number): ObservationSnapshot {
  const rng = random(1_000_003 * (repository + 1));
  const MiB = 1024 * 1024;
  const stats = (p95: number, samples: number) => ({ p50: p95 * 0.6, p90: p95 * 0.9, p95, p99: p95 * 1.1, max: p95 * 1.25, mean: p95 * 0.62, samples });
  const items = Array.from({ length: workloads }, (_, index) => {
    const oversized = rng() < OVERSIZED_SHARE;
    // Oversized: a tenth to a quarter of the request used; the rest: about what the request allows for.
    const cpu = oversized ? 0.05 + rng() * 0.075 : 0.47 + rng() * 0.02;
    const memory = (oversized ? 80 + rng() * 60 : 340 + rng() * 8) * MiB;
    return {
      workload: { cluster: "prod", namespace: "shop", kind: "Deployment", name: workloadName(index) },
      source: "prometheus",
      mode: "continuous",
      window: { from: WINDOW_FROM, to: CREATED_AT },
      pods: 2,
      coverage: 0.99,
      queries: [],
      containers: [
        {
          name: "app",
          current: { requests: { cpu: "500m", memory: "512Mi" }, limits: { memory: "1Gi" } },
          cpu: stats(Math.round(cpu * 1000) / 1000, 20_160),
          memory: stats(Math.round(memory), 20_160),
          oomKills: [],
          restarts: 0,
          throttledRatio: 0,
        },
      ],
    };
  });
  return parseObservationSnapshotText(JSON.stringify({ schemaVersion: 1, kind: "ObservationSnapshot", createdAt: CREATED_AT, workloads: items }));
}
