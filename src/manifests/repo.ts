import { posix } from "node:path";
import { LineIndex, type ParsedYaml, parseYaml } from "../yaml/index.js";
import type { LocationOrigin, RepoFile } from "./model.js";
import { fileSource, type YamlSource } from "./source.js";

const KUSTOMIZATION_FILE_NAMES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

export function isKustomizationPath(path: string): boolean {
  return KUSTOMIZATION_FILE_NAMES.includes(posix.basename(path));
}

/** A file of a checkout, possibly with its parse already done (an edited text the editor has just read back). */
export interface CheckoutFile extends RepoFile {
  parsed?: ParsedYaml;
}

/**
 * The files of a checkout by path, each parsed at most once however many kustomizations read it.
 * A checkout over a `base` holds only the files that replace or add to the base's; every other
 * lookup goes to the base, whose parses are kept there for the next checkout over it (the files
 * an edit changed, over the unchanged repository).
 */
export class Repo {
  private readonly texts = new Map<string, string>();
  private readonly problems = new Map<string, string>();
  private readonly parsed = new Map<string, ParsedYaml>();
  private readonly memos = new Map<string, unknown>();

  /** With `texts`, the parses of texts that are not whole files (inline patches) this checkout starts with and adds to. */
  constructor(
    files: readonly CheckoutFile[],
    private readonly base?: Repo,
    private readonly byText = new Map<string, ParsedYaml>(),
  ) {
    for (const file of files) {
      const path = normalise(file.path);
      this.texts.set(path, file.text);
      if (file.problem !== undefined) this.problems.set(path, file.problem);
      else if (file.parsed?.text === file.text) this.parsed.set(path, file.parsed);
    }
  }

  /** A value computed once per checkout (a kustomize build, what a kustomization reaches): callers must not change it. */
  memo<T>(key: string, compute: () => T): T {
    if (!this.memos.has(key)) this.memos.set(key, compute());
    return this.memos.get(key) as T;
  }

  /** Why a file of the checkout was not read (not UTF-8, too large), when it was not. */
  problemOf(path: string): string | undefined {
    return this.texts.has(path) ? this.problems.get(path) : this.base?.problemOf(path);
  }

  textOf(path: string): string | undefined {
    return this.texts.get(path) ?? this.base?.textOf(path);
  }

  has(path: string): boolean {
    return this.texts.has(path) || (this.base?.has(path) ?? false);
  }

  /** Parsed once and kept: kustomize bases and patches are read by every overlay that uses them. */
  parse(path: string): ParsedYaml | undefined {
    const text = this.texts.get(path);
    if (text === undefined) return this.base?.parse(path);
    let parsed = this.parsed.get(path);
    if (!parsed) {
      const problem = this.problems.get(path);
      parsed = problem === undefined ? parseYaml(text) : { text: "", documents: [], lines: new LineIndex(""), problem: { message: problem, line: 1 } };
      this.parsed.set(path, parsed);
    }
    return parsed;
  }

  /** A text that is not a whole file (a kustomization's inline patch), parsed once per checkout. */
  parseText(text: string): ParsedYaml {
    let parsed = this.parsedText(text);
    if (!parsed) {
      parsed = parseYaml(text);
      this.byText.set(text, parsed);
    }
    return parsed;
  }

  /** The parse of a text, when this checkout or its base has read it already. */
  parsedText(text: string): ParsedYaml | undefined {
    return this.byText.get(text) ?? this.base?.parsedText(text);
  }

  /** A file as a `YamlSource`, or why it cannot be one. */
  source(path: string, origin: LocationOrigin): YamlSource | { problem: string } {
    const parsed = this.parse(path);
    if (!parsed) return { problem: "is not in the checkout" };
    if (parsed.problem) return { problem: parsed.problem.message };
    return fileSource(path, parsed.text, parsed.documents, parsed.lines, origin);
  }

  kustomizationIn(directory: string): string | undefined {
    return KUSTOMIZATION_FILE_NAMES.map((name) => (directory === "" ? name : `${directory}/${name}`)).find((path) => this.has(path));
  }
}

/**
 * The checkout a list of files makes, kept while the list lives and shared by discovery and the
 * editor: planning the edits of every workload discovery found parses no file a second time.
 * The list and its files must not change while it is in use (discovery and planning are pure
 * over them).
 */
const checkouts = new WeakMap<readonly RepoFile[], Repo>();

export function checkoutOf(files: readonly RepoFile[]): Repo {
  let repo = checkouts.get(files);
  if (!repo) {
    repo = new Repo(files);
    checkouts.set(files, repo);
  }
  return repo;
}

/** A fresh checkout of the list (discovery reads the files as they are now), kept for the editor. */
export function freshCheckoutOf(files: readonly RepoFile[]): Repo {
  const repo = new Repo(files);
  checkouts.set(files, repo);
  return repo;
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
