import { execFileSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeFileAtomically } from "../../src/domain/index.js";
import { discoverWorkloads, editDocumentResources, planWorkloadEdit, type RepoFile } from "../../src/manifests/index.js";
import { readWorkingTreeFiles } from "../../src/pipeline/index.js";
import { readCommitFiles } from "../../src/pipeline/checkout/files.js";
import { rightsize } from "../helpers/cli.js";
import { git } from "../helpers/git-repo.js";

/** Issue 11: manifests from repositories nobody here controls. Every bad input: a reason, no crash, no hang, no partial file. */

const scratch = mkdtempSync(path.join(tmpdir(), "rightsize-hostile-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const WORKLOAD = [
  "apiVersion: apps/v1",
  "kind: Deployment",
  "metadata:",
  "  name: web",
  "spec:",
  "  template:",
  "    spec:",
  "      containers:",
  "        - name: app",
  "          resources:",
  "            requests:",
  "              cpu: 100m",
  "",
].join("\n");

/** Nested anchors: a0 is nine strings, each a(n+1) nine aliases of a(n); a11 stands for 9^12 strings in 761 bytes. */
const ALIAS_BOMB = ["a0: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]", ...Array.from({ length: 11 }, (_, level) => `a${level + 1}: &a${level + 1} [${Array(9).fill(`*a${level}`).join(",")}]`), ""].join("\n");

function timed<T>(run: () => T): [T, number] {
  const started = performance.now();
  const result = run();
  return [result, performance.now() - started];
}

describe("an alias bomb next to a workload", () => {
  const text = `${ALIAS_BOMB}---\n${WORKLOAD}`;

  it("is edited in milliseconds: the check compares node trees without expanding aliases", () => {
    expect(text.length).toBe(761);
    const [outcome, milliseconds] = timed(() => editDocumentResources(text, { kind: "Deployment", name: "web" }, [{ container: "app", requests: { cpu: "200m" } }]));
    expect(outcome).toEqual({ ok: true, text: text.replace("cpu: 100m", "cpu: 200m") });
    expect(milliseconds).toBeLessThan(1000);
  });

  it("is discovered and edited through planWorkloadEdit as fast", () => {
    const files = [{ path: "bomb.yaml", text }];
    const [discovery, discoverMs] = timed(() => discoverWorkloads(files));
    expect(discovery.workloads.map((workload) => workload.name)).toEqual(["web"]);
    const [outcome, editMs] = timed(() => planWorkloadEdit(files, discovery.workloads[0]!, [{ container: "app", requests: { cpu: "200m" } }]));
    expect(outcome.ok && outcome.edits[0]!.after).toBe(text.replace("cpu: 100m", "cpu: 200m"));
    expect(discoverMs + editMs).toBeLessThan(1000);
  });

  it("edits the workload when the bomb is its own anchor chain inside the workload document", () => {
    const inline = WORKLOAD.replace("spec:\n  template:", `x-bomb:\n${ALIAS_BOMB.replace(/^/gm, "  ").trimEnd()}\nspec:\n  template:`);
    const outcome = editDocumentResources(inline, { kind: "Deployment", name: "web" }, [{ container: "app", requests: { cpu: "200m" } }]);
    expect(outcome).toEqual({ ok: true, text: inline.replace("cpu: 100m", "cpu: 200m") });
  });
});

describe("bounds on size, nesting and duplicate-key checks", () => {
  it("skips a manifest over 1 MiB in discovery and refuses to edit it", () => {
    // 192 bytes of workload, "# ", 1 MiB of x, a line break: 1,048,771 bytes.
    const big = `${WORKLOAD}# ${"x".repeat(1024 * 1024)}\n`;
    expect(discoverWorkloads([{ path: "big.yaml", text: big }])).toEqual({ workloads: [], skipped: [{ path: "big.yaml", reason: "is 1,048,771 bytes, more than the 1 MiB rightsize reads; it is not read or edited" }] });
    const outcome = editDocumentResources(big, { kind: "Deployment", name: "web" }, [{ container: "app", requests: { cpu: "200m" } }]);
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.refusal.message).toBe('cannot edit Deployment "web": the file is 1,048,771 bytes, more than the 1 MiB rightsize reads; it is not read or edited');
  });

  it("skips collections nested deeper than 256 levels, with the line, without composing them", () => {
    const deep = `${WORKLOAD}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: deep}\nx: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`;
    const [discovery, milliseconds] = timed(() => discoverWorkloads([{ path: "deep.yaml", text: deep }]));
    expect(discovery).toEqual({ workloads: [], skipped: [{ path: "deep.yaml", reason: "nests collections more than 256 levels deep (line 17); it is not read or edited" }] });
    expect(milliseconds).toBeLessThan(5000);
  });

  it("checks duplicate keys in one pass: a mapping of 80,000 keys is read in seconds, not minutes", () => {
    const keys = Array.from({ length: 80_000 }, (_, index) => `  k${index}: v`).join("\n");
    const wide = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: wide}\ndata:\n${keys}\n---\n${WORKLOAD}`;
    const [discovery, milliseconds] = timed(() => discoverWorkloads([{ path: "wide.yaml", text: wide }]));
    expect(discovery.workloads.map((workload) => workload.name)).toEqual(["web"]);
    expect(milliseconds).toBeLessThan(5000);
    const duplicated = wide.replace("  k79999: v", "  k7: v");
    expect(discoverWorkloads([{ path: "wide.yaml", text: duplicated }]).skipped).toEqual([
      { path: "wide.yaml", reason: 'has a duplicate key "k7" at line 80004; Kubernetes would keep only one of them, so remove the other before it can be edited' },
    ]);
  });

  it("reads a mapping that merges itself (<<: *self) without recursing forever", () => {
    const cyclic = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: loop}\nspec: &s\n  <<: *s\n  replicas: 1\n";
    expect(discoverWorkloads([{ path: "loop.yaml", text: cyclic }]).workloads.map((workload) => workload.name)).toEqual(["loop"]);
  });

  it("refuses merge keys that fan out past what a person writes", () => {
    const anchors = Array.from({ length: 300 }, (_, index) => `m${index}: &m${index} {x${index}: 1}`).join("\n");
    const fanOut = `${anchors}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: fan\nspec:\n  <<: [${Array.from({ length: 300 }, (_, index) => `*m${index}`).join(", ")}]\n`;
    expect(discoverWorkloads([{ path: "fan.yaml", text: fanOut }]).skipped).toEqual([
      { path: "fan.yaml", reason: "uses merge keys (<<:) that combine more mappings than a manifest needs (line 306); write the values out" },
    ]);
  });
});

describe("template syntax: {{ inside scalars is data, outside them a template", () => {
  const crd = [
    "apiVersion: apiextensions.k8s.io/v1",
    "kind: CustomResourceDefinition",
    "metadata: {name: alerts.example.com}",
    "spec:",
    "  description: 'Renders {{ .Labels.severity }} in the title'",
    "---",
    "apiVersion: argoproj.io/v1alpha1",
    "kind: Rollout",
    "metadata: {name: worker}",
    "spec:",
    "  template:",
    "    spec:",
    "      containers:",
    "        - name: worker",
    "          args: [--message, {{inputs.parameters.message}}x]",
    "",
  ].join("\n");

  it("reads a workload whose file holds {{ in a quoted, plain or block scalar", () => {
    const text = [
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata:",
      "  name: notifier",
      "  annotations:",
      "    summary: \"{{ $labels.instance }} is down\"",
      "    plain: value {{ .Values.x }}",
      "    block: |",
      "      {{ range .Alerts }}{{ end }}",
      "spec:",
      "  template:",
      "    spec:",
      "      containers:",
      "        - name: app  # {{ comments are data too }}",
      "          args: [\"--template={{.Name}}\"]",
      "          resources:",
      "            requests:",
      "              cpu: 100m",
      "",
    ].join("\n");
    const discovery = discoverWorkloads([{ path: "notifier.yaml", text }]);
    expect(discovery).toMatchObject({ skipped: [], workloads: [{ name: "notifier" }] });
    const outcome = planWorkloadEdit([{ path: "notifier.yaml", text }], discovery.workloads[0]!, [{ container: "app", requests: { cpu: "150m" } }]);
    expect(outcome.ok && outcome.edits[0]!.after).toBe(text.replace("cpu: 100m", "cpu: 150m"));
  });

  it("skips a file whose {{ sits outside scalars, naming the line", () => {
    expect(discoverWorkloads([{ path: "crd-and-rollout.yaml", text: crd }]).skipped).toEqual([
      { path: "crd-and-rollout.yaml", reason: 'contains Helm template syntax ("{{") at line 15; it is not YAML until rendered, so it is not read or edited' },
    ]);
  });

  it("skips a workload whose name is a template even though the file parses", () => {
    const text = WORKLOAD.replace("name: web", 'name: "{{ .Release.Name }}-web"');
    expect(discoverWorkloads([{ path: "chart.yaml", text }])).toEqual({
      workloads: [],
      skipped: [{ path: "chart.yaml", reason: "Deployment {{ .Release.Name }}-web: its name or namespace is template syntax ({{ }}), which is not a manifest until rendered; it is not edited" }],
    });
  });

  it("does not list YAML that is not a Kubernetes workload or kustomization as skipped, parsed or not", () => {
    const files: RepoFile[] = [
      { path: ".github/workflows/ci.yml", text: "on: push\njobs:\n  test:\n    steps:\n      - run: echo ${{ secrets.TOKEN }}\n\t- bad\n" },
      { path: "alerts/rules.yaml", text: "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nspec:\n  groups:\n    - rules:\n        - annotations: {summary: {{ $value }}}\n" },
      { path: "docs/mkdocs.yml", text: "nav: [a, b\n" },
      { path: "deploy/web.yaml", text: WORKLOAD.replace("name: app", "name: {{ .Values.name }}") },
    ];
    expect(discoverWorkloads(files).skipped).toEqual([
      { path: "deploy/web.yaml", reason: 'contains Helm template syntax ("{{") at line 9; it is not YAML until rendered, so it is not read or edited' },
    ]);
  });
});

describe("files that are not UTF-8 keep their bytes", () => {
  const latin1 = Buffer.concat([Buffer.from("# caf"), Buffer.from([0xe9]), Buffer.from(" au lait\n"), Buffer.from(WORKLOAD)]);

  it("are listed as skipped by discovery, read from a working tree or a commit", async () => {
    const dir = path.join(scratch, "latin1-repo");
    mkdirSync(path.join(dir, "deploy"), { recursive: true });
    writeFileSync(path.join(dir, "deploy", "web.yaml"), latin1);
    writeFileSync(path.join(dir, "deploy", "notes.yaml"), Buffer.from([0x6e, 0x6f, 0x74, 0x65, 0x3a, 0x20, 0xff, 0x0a]));
    const expected = { path: "deploy/web.yaml", reason: "is not UTF-8 (line 1, column 6); it is not edited, so its bytes are never rewritten: save it as UTF-8" };
    expect(discoverWorkloads(await readWorkingTreeFiles(dir))).toEqual({ workloads: [], skipped: [expected] });
    git(dir, "init", "--quiet");
    git(dir, "add", ".");
    git(dir, "commit", "--quiet", "-m", "latin-1");
    expect(discoverWorkloads(await readCommitFiles(dir, "HEAD"))).toEqual({ workloads: [], skipped: [expected] });
  });

  it("are refused by edit --write, which leaves every byte as it was", async () => {
    const file = path.join(scratch, "latin1.yaml");
    writeFileSync(file, latin1);
    const { status, stdout, stderr } = await rightsize("edit", file, "--kind", "Deployment", "--name", "web", "--container", "app", "--cpu-request", "200m", "--write");
    expect(status).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(`rightsize: ${file}:1:6: is not UTF-8 text; rightsize does not edit it, so none of its bytes is rewritten: save it as UTF-8 first\n`);
    expect(readFileSync(file).equals(latin1)).toBe(true);
  });

  it("refuses a file given to the editor with a problem, whatever its text", () => {
    const discovery = discoverWorkloads([{ path: "web.yaml", text: WORKLOAD }]);
    const outcome = planWorkloadEdit([{ path: "web.yaml", text: WORKLOAD, problem: "is not UTF-8 (line 1, column 6)" }], discovery.workloads[0]!, [{ container: "app", requests: { cpu: "200m" } }]);
    expect(!outcome.ok && outcome.refusal.message).toBe("cannot edit Deployment web: web.yaml is not UTF-8 (line 1, column 6)");
  });
});

describe("edit --write and symbolic links", () => {
  it("writes through a link inside the repository to the file it points at, and the link stays a link", async () => {
    const repo = path.join(scratch, "linked");
    mkdirSync(path.join(repo, "base"), { recursive: true });
    mkdirSync(path.join(repo, ".git"));
    writeFileSync(path.join(repo, "base", "web.yaml"), WORKLOAD);
    symlinkSync("base/web.yaml", path.join(repo, "prod.yaml"));
    const { status } = await rightsize("edit", path.join(repo, "prod.yaml"), "--kind", "Deployment", "--name", "web", "--container", "app", "--cpu-request", "200m", "--write");
    expect(status).toBe(0);
    expect(lstatSync(path.join(repo, "prod.yaml")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(repo, "prod.yaml"))).toBe("base/web.yaml");
    expect(readFileSync(path.join(repo, "base", "web.yaml"), "utf8")).toBe(WORKLOAD.replace("cpu: 100m", "cpu: 200m"));
  });

  it("refuses a link that leaves the repository, reading and writing nothing", async () => {
    const repo = path.join(scratch, "escaping");
    const outside = path.join(scratch, "outside.yaml");
    mkdirSync(path.join(repo, ".git"), { recursive: true });
    writeFileSync(outside, WORKLOAD);
    symlinkSync(outside, path.join(repo, "web.yaml"));
    const { status, stdout, stderr } = await rightsize("edit", path.join(repo, "web.yaml"), "--kind", "Deployment", "--name", "web", "--container", "app", "--cpu-request", "200m", "--write");
    expect(status).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(`rightsize: ${path.join(repo, "web.yaml")}: is a symbolic link to a file outside ${execFileSync("realpath", [repo], { encoding: "utf8" }).trim()}; edit the file it points to instead\n`);
    expect(readFileSync(outside, "utf8")).toBe(WORKLOAD);
  });
});

describe("the atomic writer and symbolic links", () => {
  it("replaces a link with a file instead of writing where it points (PR bodies, snapshots)", async () => {
    const dir = path.join(scratch, "writer");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "target.md"), "keep\n");
    symlinkSync(path.join(dir, "target.md"), path.join(dir, "body.md"));
    await writeFileAtomically(path.join(dir, "body.md"), "new\n");
    expect(lstatSync(path.join(dir, "body.md")).isSymbolicLink()).toBe(false);
    expect(readFileSync(path.join(dir, "body.md"), "utf8")).toBe("new\n");
    expect(readFileSync(path.join(dir, "target.md"), "utf8")).toBe("keep\n");
  });
});

describe("a kustomize patch that cannot be read", () => {
  it("skips the workloads it may patch instead of editing the base behind its back", () => {
    const files: RepoFile[] = [
      { path: "base/kustomization.yaml", text: "resources: [web.yaml]\n" },
      { path: "base/web.yaml", text: WORKLOAD },
      { path: "prod/kustomization.yaml", text: "resources: [../base]\npatches:\n  - path: resources.yaml\n" },
      { path: "prod/resources.yaml", text: "kind: Deployment\nmetadata: {name: web}\nspec: {template: {spec: {containers: [{name: app, resources: {requests: {cpu: 1}}}]}}\n\tbad: tab\n" },
    ];
    const discovery = discoverWorkloads(files);
    expect(discovery.workloads).toEqual([]);
    expect(discovery.skipped.map((skip) => `${skip.path}: ${skip.reason}`)).toEqual([
      'prod/resources.yaml: patch "resources.yaml" of prod/kustomization.yaml does not parse as YAML at line 4: Flow map in block collection must be sufficiently indented and end with a }',
      'base/web.yaml: Deployment web: prod/kustomization.yaml applies "resources.yaml", which cannot be read (see skipped); fix it first',
    ]);
  });
});
