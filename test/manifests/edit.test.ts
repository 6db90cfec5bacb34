import { describe, expect, it } from "vitest";
import { editDocumentResources, type ResourceChange } from "../../src/manifests/index.js";
import { fixture } from "./helpers.js";

interface Step {
  target: { kind: string; name: string; namespace?: string };
  changes: ResourceChange[];
}

/** Each case edits `edit/<fixture>/before.yaml` and must produce `after.yaml` byte for byte. */
const cases: { title: string; fixture: string; steps: Step[] }[] = [
  {
    title: "changes only the values, keeping comments, blank lines and trailing comments",
    fixture: "comments-and-blank-lines",
    steps: [{ target: { kind: "Deployment", name: "checkout" }, changes: [{ container: "api", requests: { cpu: "250m", memory: "192Mi" }, limits: { memory: "384Mi" } }] }],
  },
  {
    title: "keeps numbers numbers and quotes quotes (same quote character)",
    fixture: "numbers-and-quotes",
    steps: [{ target: { kind: "StatefulSet", name: "db" }, changes: [{ container: "postgres", requests: { cpu: "2", memory: "3Gi" }, limits: { cpu: "4", memory: "6442450944" } }] }],
  },
  {
    title: "edits flow maps in place and adds missing keys as flow items",
    fixture: "flow-maps",
    steps: [
      {
        target: { kind: "Deployment", name: "web" },
        changes: [
          { container: "nginx", requests: { cpu: "75m", memory: "64Mi" }, limits: { memory: "128Mi" } },
          { container: "exporter", requests: { memory: "24Mi" }, limits: { cpu: "100m" } },
        ],
      },
    ],
  },
  {
    title: "follows each document's own sequence and indentation style",
    fixture: "sequence-indent-styles",
    steps: [
      { target: { kind: "Deployment", name: "indentless" }, changes: [{ container: "app", requests: { cpu: "300m" } }] },
      { target: { kind: "DaemonSet", name: "agent" }, changes: [{ container: "agent", requests: { cpu: "50m", memory: "64Mi" } }] },
    ],
  },
  {
    title: "inserts missing resources, requests and limits after the last key of their block",
    fixture: "insert-missing-keys",
    steps: [
      {
        target: { kind: "Job", name: "migrate" },
        changes: [
          { container: "no-resources", requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
          { container: "only-limits", requests: { cpu: "10m" } },
          { container: "only-cpu", requests: { memory: "32Mi" }, limits: { memory: "64Mi" } },
        ],
      },
    ],
  },
  {
    title: "keeps CRLF line endings, the BOM, trailing whitespace and the missing final newline",
    fixture: "crlf-bom-trailing-space-no-final-newline",
    steps: [{ target: { kind: "Deployment", name: "legacy" }, changes: [{ container: "app", requests: { cpu: "150m" }, limits: { memory: "2Gi" } }] }],
  },
  {
    title: "leaves anchors and aliases elsewhere in the file alone",
    fixture: "anchors-elsewhere",
    steps: [
      {
        target: { kind: "Deployment", name: "web" },
        changes: [
          { container: "web", requests: { cpu: "120m", memory: "96Mi" } },
          { container: "worker", requests: { cpu: "80m" } },
        ],
      },
    ],
  },
  {
    title: "keeps the %YAML directive, --- separators, ... end markers and comments after them",
    fixture: "document-markers",
    steps: [{ target: { kind: "Deployment", name: "api" }, changes: [{ container: "api", requests: { cpu: "250m" }, limits: { memory: "768Mi" } }] }],
  },
  {
    title: "edits a CronJob in spec.jobTemplate",
    fixture: "cronjob",
    steps: [{ target: { kind: "CronJob", name: "report" }, changes: [{ container: "report", requests: { cpu: "200m", memory: "1536Mi" } }] }],
  },
  {
    title: "edits the Deployment a Rollout's workloadRef points at, and a Rollout with its own template",
    fixture: "argo-rollouts",
    steps: [
      { target: { kind: "Rollout", name: "checkout" }, changes: [{ container: "api", requests: { cpu: "300m" } }] },
      { target: { kind: "Rollout", name: "search" }, changes: [{ container: "search", requests: { cpu: "2" } }] },
    ],
  },
  {
    title: "removes a CPU limit (policy remove-cpu), and limits left empty with it",
    fixture: "remove-cpu-limit",
    steps: [
      {
        target: { kind: "Deployment", name: "api" },
        changes: [
          { container: "api", limits: { cpu: null } },
          { container: "sidecar", limits: { cpu: null } },
          { container: "tiny", limits: { cpu: null } },
        ],
      },
    ],
  },
  {
    title: "edits init containers and restartable sidecars",
    fixture: "init-and-sidecar",
    steps: [
      {
        target: { kind: "Deployment", name: "app" },
        changes: [
          { container: "migrate", requests: { cpu: "500m" } },
          { container: "log-shipper", requests: { cpu: "20m", memory: "48Mi" } },
        ],
      },
    ],
  },
  {
    title: "fills empty resources written as {}, nothing, ~ and an empty limits",
    fixture: "empty-resources",
    steps: [
      {
        target: { kind: "Deployment", name: "empty" },
        changes: [
          { container: "a", requests: { cpu: "10m" } },
          { container: "b", requests: { cpu: "20m", memory: "32Mi" } },
          { container: "c", limits: { memory: "64Mi" } },
          { container: "d", limits: { memory: "128Mi" } },
        ],
      },
    ],
  },
  {
    title: "writes new keys JSON-style in a manifest written as JSON",
    fixture: "json-style",
    steps: [{ target: { kind: "Deployment", name: "json-app" }, changes: [{ container: "app", requests: { cpu: "150m", memory: "128Mi" }, limits: { memory: "256Mi" } }] }],
  },
];

function applySteps(text: string, steps: Step[]): string {
  return steps.reduce((current, step) => {
    const outcome = editDocumentResources(current, step.target, step.changes);
    if (!outcome.ok) throw new Error(`refused: ${outcome.refusal.message}`);
    return outcome.text;
  }, text);
}

describe("editDocumentResources", () => {
  for (const testCase of cases) {
    it(testCase.title, () => {
      const before = fixture("edit", testCase.fixture, "before.yaml");
      const expected = fixture("edit", testCase.fixture, "after.yaml");
      expect(applySteps(before, testCase.steps)).toBe(expected);
    });

    it(`is idempotent: ${testCase.fixture} edited again gives the same bytes`, () => {
      const after = fixture("edit", testCase.fixture, "after.yaml");
      expect(applySteps(after, testCase.steps)).toBe(after);
    });
  }

  it("changes nothing when the values are already the ones asked for", () => {
    const before = fixture("edit", "numbers-and-quotes", "before.yaml");
    const outcome = editDocumentResources(before, { kind: "StatefulSet", name: "db" }, [{ container: "postgres", requests: { cpu: "1", memory: "2Gi" } }]);
    expect(outcome).toEqual({ ok: true, text: before });
  });

  it("matches the namespace when one is given, and refuses when the file has none of that name", () => {
    const before = fixture("edit", "comments-and-blank-lines", "before.yaml");
    const other = editDocumentResources(before, { kind: "Deployment", name: "checkout", namespace: "staging" }, [{ container: "api", requests: { cpu: "1" } }]);
    expect(other.ok).toBe(false);
    if (!other.ok) expect(other.refusal.message).toBe('no Deployment "checkout" in namespace staging in this file (it has Deployment/checkout)');
    const same = editDocumentResources(before, { kind: "Deployment", name: "checkout", namespace: "shop" }, [{ container: "api", requests: { cpu: "1" } }]);
    expect(same.ok).toBe(true);
  });

  it("refuses an unknown container and names the containers there are", () => {
    const before = fixture("edit", "insert-missing-keys", "before.yaml");
    const outcome = editDocumentResources(before, { kind: "Job", name: "migrate" }, [{ container: "web", requests: { cpu: "1" } }]);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.refusal.message).toBe('Job migrate has no container "web" (it has no-resources, only-limits, only-cpu)');
  });

  it("throws an input error for a value that is not a quantity", () => {
    const before = fixture("edit", "cronjob", "before.yaml");
    expect(() => editDocumentResources(before, { kind: "CronJob", name: "report" }, [{ container: "report", requests: { cpu: "fast" } }])).toThrow(
      'report requests.cpu: "fast" is not a Kubernetes quantity',
    );
  });
});
