/**
 * JSON with object keys sorted at every level and bigints written as decimal strings, so equal
 * inputs give equal bytes whatever order their keys were built in (undefined members are
 * dropped, as JSON.stringify does).
 */
// Strings JSON.stringify would write unchanged between quotes (no quote, backslash, control
// character or surrogate): most names and timestamps, quoted here without the call.
const PLAIN_STRING = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

export function canonicalJson(value: unknown): string {
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
    text += item === undefined ? "null" : canonicalJson(item);
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
    text += canonicalJson(member);
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
