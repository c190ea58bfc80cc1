/**
 * JSON as FORMAT §2.4 defines it, written from the text: an RFC 8259 parser in which a repeated
 * member name keeps its last value, the three "plain JSON" rules, and JCS (RFC 8785) for the
 * record signing input (§6.2). Part of the second implementation: it does not use JSON.parse or
 * the `canonicalize` package, so a difference in either shows up as a disagreement.
 *
 * Objects are Maps, so a member named `__proto__` is just a member.
 *
 * @module
 */

import { hasLoneSurrogate } from "./encoding.ts";

/** A parsed JSON value. */
export type JValue = null | boolean | number | string | JValue[] | JObject;
/** A parsed JSON object: member names to values, in order of first appearance. */
export type JObject = Map<string, JValue>;

/** FORMAT §2.4 rule 3: no value above this level. */
export const MAX_LEVEL = 64;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

type Frame = { array: JValue[] } | { object: JObject; name: string };

/**
 * Parses JSON text (FORMAT §2.4: RFC 8259, whitespace = space, tab, LF, CR, repeated names keep
 * the last value). Iterative, so any depth parses; the depth rule is checked afterwards by
 * {@link plainProblem}, as the order of FORMAT §6.4 needs. Throws SyntaxError.
 */
export function parseJson(text: string): JValue {
  let pos = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`JSON: ${what} at ${pos}`);
  };
  const ws = () => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      pos++;
    }
  };
  const readString = (): string => {
    if (text[pos] !== '"') fail("expected a string");
    pos++;
    let out = "";
    let start = pos;
    while (true) {
      if (pos >= text.length) fail("unterminated string");
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      if (c < 0x20) fail("control character in a string");
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(start, pos);
      const e = text[pos + 1];
      const simple: Record<string, string> = {
        '"': '"',
        "\\": "\\",
        "/": "/",
        b: "\b",
        f: "\f",
        n: "\n",
        r: "\r",
        t: "\t",
      };
      if (e !== undefined && e in simple) {
        out += simple[e];
        pos += 2;
      } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) {
        out += String.fromCharCode(parseInt(text.slice(pos + 2, pos + 6), 16));
        pos += 6;
      } else fail("bad escape");
      start = pos;
    }
    out += text.slice(start, pos);
    pos++;
    return out;
  };
  const readName = (): string => {
    ws();
    const name = readString();
    ws();
    if (text[pos] !== ":") fail("expected ':'");
    pos++;
    return name;
  };
  const readScalar = (): JValue => {
    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return value;
      }
    }
    if (text[pos] === '"') return readString();
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m === null || m[0] === "") return fail("expected a value");
    pos += m[0].length;
    return Number(m[0]); // correctly rounded to binary64, ties to even
  };

  const stack: Frame[] = [];
  let value: JValue;
  next: while (true) {
    ws();
    const c = text[pos];
    if (c === "{") {
      pos++;
      ws();
      if (text[pos] === "}") {
        pos++;
        value = new Map();
      } else {
        stack.push({ object: new Map(), name: readName() });
        continue;
      }
    } else if (c === "[") {
      pos++;
      ws();
      if (text[pos] === "]") {
        pos++;
        value = [];
      } else {
        stack.push({ array: [] });
        continue;
      }
    } else {
      value = readScalar();
    }
    // A value is complete: hand it to the containers it closes.
    while (true) {
      const top = stack.at(-1);
      if (top === undefined) break next;
      if ("array" in top) top.array.push(value);
      else top.object.set(top.name, value); // a repeated name: the last value wins (§2.4)
      ws();
      const d = text[pos];
      if (d === ",") {
        pos++;
        if ("object" in top) top.name = readName();
        continue next;
      }
      if (d !== ("array" in top ? "]" : "}")) fail("expected ',' or a closing bracket");
      pos++;
      stack.pop();
      value = "array" in top ? top.array : top.object;
    }
  }
  ws();
  if (pos !== text.length) fail("text after the value");
  return value;
}

/**
 * FORMAT §2.4's plain JSON rules for `value` sitting at `level`: returns what is wrong, or null.
 * Stops descending past level 64, so a deep hostile value costs no stack.
 */
export function plainProblem(value: JValue, level: number): string | null {
  if (level > MAX_LEVEL) return `a value at level ${level}, above ${MAX_LEVEL}`;
  if (typeof value === "number") return Number.isFinite(value) ? null : "a non-finite number";
  if (typeof value === "string") return hasLoneSurrogate(value) ? "a lone surrogate" : null;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = plainProblem(item, level + 1);
      if (problem) return problem;
    }
  } else if (value instanceof Map) {
    for (const [name, item] of value) {
      if (hasLoneSurrogate(name)) return "a member name with a lone surrogate";
      const problem = plainProblem(item, level + 1);
      if (problem) return problem;
    }
  }
  return null;
}

/** True for a JSON object. */
export function isObject(value: JValue): value is JObject {
  return value instanceof Map;
}

/**
 * RFC 8785 (JCS) of a plain value (FORMAT §6.2): names sorted by UTF-16 code units, no
 * whitespace, numbers as ECMAScript prints them, minimal string escapes.
 */
export function jcs(value: JValue): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return String(value); // ECMAScript Number::toString; -0 → "0"
  if (typeof value === "string") return quote(value);
  if (Array.isArray(value)) return `[${value.map(jcs).join(",")}]`;
  const names = [...value.keys()].sort(byCodeUnits);
  return `{${names.map((n) => `${quote(n)}:${jcs(value.get(n)!)}`).join(",")}}`;
}

function byCodeUnits(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

const SHORT: Record<number, string> = {
  0x08: "\\b",
  0x09: "\\t",
  0x0a: "\\n",
  0x0c: "\\f",
  0x0d: "\\r",
  0x22: '\\"',
  0x5c: "\\\\",
};

function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (SHORT[c] !== undefined) out += SHORT[c];
    else if (c < 0x20) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += s[i];
  }
  return out + '"';
}
