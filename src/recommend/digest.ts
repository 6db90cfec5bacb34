import { hash } from "node:crypto";

/**
 * JSON with object keys sorted at every level and bigints written as decimal strings, so equal
 * inputs give equal bytes whatever order their keys were built in (undefined members are
 * dropped, as JSON.stringify does).
 */
export function canonicalJson(value: unknown): string {
  return typeof value === "object" && value !== null && isCanonicalTree(value) ? JSON.stringify(value) : writeCanonical(value);
}

/**
 * Whether JSON.stringify already writes the value canonically: plain objects whose keys are in
 * sorted order all the way down, and nothing JSON.stringify writes differently (bigints,
 * functions, symbols, toJSON; undefined only as a member or an item). Parsed observations are
 * such trees (see the snapshot schema), and the native writer is several times faster.
 */
function isCanonicalTree(value: unknown): boolean {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
    case "undefined":
      return true;
    case "object": {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (const item of value) if (!isCanonicalTree(item)) return false;
        return true;
      }
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return false;
      let previous: string | undefined;
      for (const key in value) {
        if (previous !== undefined && previous > key) return false;
        if (!isCanonicalTree((value as Record<string, unknown>)[key])) return false;
        previous = key;
      }
      return true;
    }
    default:
      return false;
  }
}

// Strings JSON.stringify would write unchanged between quotes (no quote, backslash, control
// character or surrogate): most names and timestamps, quoted here without the call.
const PLAIN_STRING = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

function writeCanonical(value: unknown): string {
  switch (typeof value) {
    case "string":
      return PLAIN_STRING.test(value) ? `"${value}"` : JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return `"${value.toString()}"`;
    case "object":
      if (value === null) return "null";
      return Array.isArray(value) ? canonicalArray(value) : canonicalObject(value as Record<string, unknown>);
    default:
      return "null";
  }
}

function canonicalArray(items: readonly unknown[]): string {
  let text = "[";
  for (let index = 0; index < items.length; index++) {
    if (index > 0) text += ",";
    const item = items[index];
    text += item === undefined ? "null" : writeCanonical(item);
  }
  return `${text}]`;
}

// Snapshot keys repeat in every container and run; quoting each once saves most of the work.
const quotedKeys = new Map<string, string>();

function canonicalObject(object: Record<string, unknown>): string {
  const keys = Object.keys(object);
  if (!isSorted(keys)) keys.sort();
  let text = "{";
  let first = true;
  for (const key of keys) {
    const member = object[key];
    if (member === undefined) continue;
    let quoted = quotedKeys.get(key);
    if (quoted === undefined) {
      quoted = `${JSON.stringify(key)}:`;
      if (quotedKeys.size < 10_000) quotedKeys.set(key, quoted);
    }
    text += first ? quoted : `,${quoted}`;
    first = false;
    text += writeCanonical(member);
  }
  return `${text}}`;
}

function isSorted(keys: readonly string[]): boolean {
  for (let index = 1; index < keys.length; index++) if (keys[index - 1]! > keys[index]!) return false;
  return true;
}

const canonicalOnce = new WeakMap<object, string>();

/**
 * canonicalJson, computed once per object: the policy is the same for every workload of a run
 * and is never changed once loaded.
 */
export function canonicalJsonOnce(value: object): string {
  let text = canonicalOnce.get(value);
  if (text === undefined) {
    text = canonicalJson(value);
    canonicalOnce.set(value, text);
  }
  return text;
}

// One buffer for the text of every digest: a digest's pieces are encoded into it side by side
// instead of being joined into one string first (that string was flattened and encoded anew
// for each workload, the policy's 2 KB with it).
let scratch = new Uint8Array(64 * 1024);
const encoder = new TextEncoder();

/** sha256 (hex) of the pieces one after another: strings as UTF-8, bytes as they are. */
export function sha256Hex(pieces: ReadonlyArray<string | Uint8Array>): string {
  let most = 0;
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  for (const piece of pieces) most += typeof piece === "string" ? piece.length * 3 : piece.length;
  if (most > scratch.length) scratch = new Uint8Array(Math.max(most, scratch.length * 2));
  let used = 0;
  for (const piece of pieces) {
    if (typeof piece === "string") used += encoder.encodeInto(piece, scratch.subarray(used)).written;
    else {
      scratch.set(piece, used);
      used += piece.length;
    }
  }
  return hash("sha256", scratch.subarray(0, used));
}
