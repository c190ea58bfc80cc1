/**
 * Canonical JSON (RFC 8785, JCS) for signed records (FORMAT §6.1). Browser-compatible: no
 * I/O, no Deno or Node APIs.
 *
 * The `canonicalize` package does the serialization; this file first refuses anything that is
 * not plain JSON. `JSON.stringify` would silently drop an `undefined` field or turn a `Date`
 * into a string, so the bytes signed would differ from the object the caller thinks it signed,
 * and a verifier re-parsing the record would see something else again.
 *
 * @module
 */

import canonicalize from "canonicalize";

/** A JSON value as JSON.parse returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * Nesting limit: records are shallow; a deep hostile value must not exhaust the stack. The
 * value passed to {@link assertJson} (a whole record) is level 0, so a record's body is level 1
 * and nothing in it may sit deeper than level 64 (FORMAT §6.1).
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Throws TypeError unless `value` is plain JSON: null, booleans, finite numbers, well-formed
 * strings, arrays, and objects whose prototype is Object.prototype or null, nested at most
 * {@link MAX_JSON_DEPTH} deep. `path` names the offending place in the message.
 */
export function assertJson(value: unknown, path = "value", depth = 0): asserts value is JsonValue {
  if (depth > MAX_JSON_DEPTH) {
    throw new TypeError(`${path} is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  if (value === null || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`${path} is ${value}, not a JSON number`);
    return;
  }
  if (typeof value === "string") {
    if (!value.isWellFormed()) throw new TypeError(`${path} contains a lone surrogate`);
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new TypeError(`${path}[${i}] is a hole, not a JSON value`);
      assertJson(value[i], `${path}[${i}]`, depth + 1);
    }
    return;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`${path} is a ${proto?.constructor?.name ?? "non-plain"} object`);
    }
    for (const key of Object.keys(value)) {
      if (!key.isWellFormed()) throw new TypeError(`${path} has a key with a lone surrogate`);
      assertJson((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw new TypeError(`${path} has symbol keys`);
    }
    return;
  }
  throw new TypeError(`${path} is a ${typeof value}, not a JSON value`);
}

/**
 * RFC 8785 canonical JSON of `value`: object keys sorted by UTF-16 code units, no whitespace,
 * ECMAScript number formatting, minimal string escapes.
 */
export function canonicalJson(value: unknown): string {
  assertJson(value);
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("value has no JSON form"); // unreachable after assertJson
  return text;
}
