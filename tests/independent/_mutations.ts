/**
 * Byte-level damage for the differential tests: flips, cuts, extensions, splices from another
 * input, swapped ranges and chunks, header bytes set to chosen values, or wholly random bytes.
 *
 * @module
 */

import fc from "fast-check";
import { HEADER_LENGTH, SEALED } from "./blob.ts";
import { concat } from "./encoding.ts";

export { concat };

/** One edit to a byte string; positions are taken modulo its length. */
export type ByteEdit =
  | { op: "none" }
  | { op: "flip"; at: number; bit: number }
  | { op: "truncate"; keep: number }
  | { op: "extend"; extra: Uint8Array }
  | { op: "splice"; at: number; length: number }
  | { op: "swap"; a: number; b: number; length: number }
  | { op: "swapChunks"; i: number; j: number }
  | { op: "set"; at: number; value: number }
  | { op: "delete"; at: number; length: number }
  | { op: "replace"; bytes: Uint8Array };

const at = fc.nat({ max: 300_000 });

export const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  fc.constant({ op: "none" as const }),
  fc.record({ op: fc.constant("flip" as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant("truncate" as const), keep: at }),
  fc.record({
    op: fc.constant("extend" as const),
    extra: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  }),
  fc.record({
    op: fc.constant("splice" as const),
    at,
    length: fc.integer({ min: 1, max: 70_000 }),
  }),
  fc.record({
    op: fc.constant("swap" as const),
    a: at,
    b: at,
    length: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.constant(SEALED)),
  }),
  fc.record({
    op: fc.constant("swapChunks" as const),
    i: fc.nat({ max: 2 }),
    j: fc.nat({ max: 2 }),
  }),
  fc.record({
    op: fc.constant("set" as const),
    at: fc.nat({ max: HEADER_LENGTH + 20 }),
    value: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ op: fc.constant("delete" as const), at, length: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ op: fc.constant("replace" as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
);

/** A copy of `bytes` with `edit` applied; a splice takes its bytes from `donor`. */
export function editBytes(bytes: Uint8Array, edit: ByteEdit, donor: Uint8Array): Uint8Array {
  const n = bytes.length;
  const out = bytes.slice();
  switch (edit.op) {
    case "none":
      return out;
    case "flip":
      if (n > 0) out[edit.at % n] ^= 1 << edit.bit;
      return out;
    case "truncate":
      return out.slice(0, edit.keep % (n + 1));
    case "extend":
      return concat(out, edit.extra);
    case "splice": {
      if (donor.length === 0) return out;
      const from = edit.at % donor.length;
      const piece = donor.subarray(from, from + edit.length);
      const to = n === 0 ? 0 : edit.at % n;
      return concat(out.subarray(0, to), piece, out.subarray(to + piece.length));
    }
    case "swap": {
      if (n < 2 * edit.length) return out;
      const a = edit.a % (n - edit.length + 1);
      const b = edit.b % (n - edit.length + 1);
      const left = bytes.slice(a, a + edit.length);
      out.set(bytes.subarray(b, b + edit.length), a);
      out.set(left, b);
      return out;
    }
    case "swapChunks": {
      const start = (i: number) => HEADER_LENGTH + i * SEALED;
      if (edit.i === edit.j || start(Math.max(edit.i, edit.j) + 1) > n) return out;
      out.set(bytes.subarray(start(edit.i), start(edit.i + 1)), start(edit.j));
      out.set(bytes.subarray(start(edit.j), start(edit.j + 1)), start(edit.i));
      return out;
    }
    case "set":
      if (edit.at < n) out[edit.at] = edit.value;
      return out;
    case "delete": {
      const from = n === 0 ? 0 : edit.at % n;
      return concat(out.subarray(0, from), out.subarray(from + edit.length));
    }
    case "replace":
      return edit.bytes.slice();
  }
}

/** `n` deterministic bytes that differ with `seed`. */
export function bytesOf(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}
