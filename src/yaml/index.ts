/**
 * YAML as rightsize reads and changes it, below `manifests` and `policy`, which both use it (and it
 * neither of them): a bounded reader for text nobody here wrote (read.ts), helpers over yaml's
 * document model (nodes.ts), and the byte layer that changes a file's bytes without ever
 * re-serialising it (byte-edit.ts, and yaml-edit.ts for whole files). As eemeli/yaml keeps its
 * CST apart from its documents: locate with the document model, change bytes through splices.
 */
export {
  describeYamlError,
  documentToData,
  formatBytes,
  formatSize,
  parseYamlText,
  quoteShort,
  shortText,
  YAML_BOUNDS,
  type ParseBounds,
  type ParsedYamlText,
  type YamlDocument,
  type YamlTextProblem,
} from "./read.js";
export { parseYaml, type ParsedYaml } from "./parse.js";
export { anchorsInUse, childOf, deref, keyOf, mapAt, pairOf, startOf, stringAt, writtenValue, type YamlPath } from "./nodes.js";
export { afterTrailingComments, applySplices, columnAt, LineIndex, lineBreakOf, lineEndAt, lineStartAt, pastLineBreak, type LineBreak, type Splice } from "./text.js";
export { contentEndOf, pathText, scalarText, spliceEdits, type EditOperation, type EditRefusal } from "./byte-edit.js";
export { editYamlText, type DocumentEditOutcome, type YamlEdit } from "./yaml-edit.js";
