import { posix } from "node:path";
import type { LocationOrigin, RepoFile } from "./model.js";
import { parseYaml, type ParsedYaml } from "./parse.js";
import { fileSource, type YamlSource } from "./source.js";
import { LineIndex } from "./text.js";

const KUSTOMIZATION_FILE_NAMES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

export function isKustomizationPath(path: string): boolean {
  return KUSTOMIZATION_FILE_NAMES.includes(posix.basename(path));
}

/** The files of a checkout by path, each parsed at most once however many kustomizations read it. */
export class Repo {
  private readonly texts: Map<string, string>;
  private readonly problems: Map<string, string>;
  private readonly parsed = new Map<string, ParsedYaml>();
  private readonly memos = new Map<string, unknown>();

  /** With `base`, the base checkout with `files` replacing or adding files: the others keep their parse. */
  constructor(files: readonly RepoFile[], base?: Repo) {
    this.texts = new Map(base?.texts);
    this.problems = new Map(base?.problems);
    if (base) for (const [path, parsed] of base.parsed) this.parsed.set(path, parsed);
    for (const file of files) {
      const path = normalise(file.path);
      this.texts.set(path, file.text);
      this.parsed.delete(path);
      if (file.problem === undefined) this.problems.delete(path);
      else this.problems.set(path, file.problem);
    }
  }

  /** A value computed once per checkout (a kustomize build, what a kustomization reaches): callers must not change it. */
  memo<T>(key: string, compute: () => T): T {
    if (!this.memos.has(key)) this.memos.set(key, compute());
    return this.memos.get(key) as T;
  }

  /** Why a file of the checkout was not read (not UTF-8, too large), when it was not. */
  problemOf(path: string): string | undefined {
    return this.problems.get(path);
  }

  textOf(path: string): string | undefined {
    return this.texts.get(path);
  }

  has(path: string): boolean {
    return this.texts.has(path);
  }

  /** Parsed once and kept: kustomize bases and patches are read by every overlay that uses them. */
  parse(path: string): ParsedYaml | undefined {
    let parsed = this.parsed.get(path);
    if (!parsed) {
      const text = this.texts.get(path);
      if (text === undefined) return undefined;
      parsed = this.parseText(path, text);
      this.parsed.set(path, parsed);
    }
    return parsed;
  }

  private parseText(path: string, text: string): ParsedYaml {
    const problem = this.problems.get(path);
    return problem === undefined ? parseYaml(text) : { text: "", documents: [], lines: new LineIndex(""), problem: { message: problem, line: 1 } };
  }

  /**
   * A file as a `YamlSource`, or why it cannot be one. `keep: false` for a file read once
   * (a plain manifest): its document model, the bulk of the memory, is not held afterwards.
   */
  source(path: string, origin: LocationOrigin, keep = true): YamlSource | { problem: string } {
    const text = this.texts.get(path);
    const parsed = keep ? this.parse(path) : (this.parsed.get(path) ?? (text === undefined ? undefined : this.parseText(path, text)));
    if (!parsed) return { problem: "is not in the checkout" };
    if (parsed.problem) return { problem: parsed.problem.message };
    return fileSource(path, parsed.text, parsed.documents, parsed.lines, origin);
  }

  kustomizationIn(directory: string): string | undefined {
    return KUSTOMIZATION_FILE_NAMES.map((name) => (directory === "" ? name : `${directory}/${name}`)).find((path) => this.texts.has(path));
  }
}

export function normalise(path: string): string {
  // Paths from the readers are normal already; posix.normalize is the cost of a 5,000-file checkout otherwise.
  if (!/\\|(^|\/)\.{1,2}(\/|$)|\/\/|\/$/.test(path)) return path;
  const normal = posix.normalize(path.replace(/\\/g, "/"));
  return normal === "." ? "" : normal.replace(/^\.\//, "").replace(/\/$/, "");
}

/** A path relative to a kustomization's directory, or undefined when it leaves the checkout. */
export function resolveRelative(directory: string, reference: string): string | undefined {
  const joined = normalise(posix.join(directory || ".", reference));
  return joined.startsWith("../") || joined === ".." || posix.isAbsolute(joined) ? undefined : joined;
}
