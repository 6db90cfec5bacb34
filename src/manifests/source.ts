import type { LineIndex, YamlDocument } from "../yaml/index.js";
import type { LocationOrigin, ManifestLocation, YamlPath } from "./model.js";

/**
 * YAML that discovery reads: a whole file, or a kustomize patch written inline as a string in a
 * kustomization. It turns a node inside it into a `ManifestLocation` in the repo.
 */
export interface YamlSource {
  path: string;
  text: string;
  documents: YamlDocument[];
  origin: LocationOrigin;
  locate(document: number, yamlPath: YamlPath, offset: number | undefined): ManifestLocation;
}

export function fileSource(path: string, text: string, documents: YamlDocument[], lines: LineIndex, origin: LocationOrigin): YamlSource {
  return {
    path,
    text,
    documents,
    origin,
    locate: (document, yamlPath, offset) => ({
      path,
      document,
      yamlPath,
      ...(offset === undefined ? {} : { line: lines.lineOf(offset) }),
      origin,
    }),
  };
}

/** A patch held in a block scalar: inner lines are counted from the scalar's first body line. */
export function inlineSource(
  outer: { path: string; document: number; yamlPath: YamlPath; firstBodyLine: number },
  text: string,
  documents: YamlDocument[],
  lines: LineIndex,
  origin: LocationOrigin,
): YamlSource {
  return {
    path: outer.path,
    text,
    documents,
    origin,
    locate: (document, yamlPath, offset) => ({
      path: outer.path,
      document: outer.document,
      yamlPath: outer.yamlPath,
      line: offset === undefined ? outer.firstBodyLine : outer.firstBodyLine + lines.lineOf(offset) - 1,
      origin,
      inlinePatch: { document, yamlPath },
    }),
  };
}
