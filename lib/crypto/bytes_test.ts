// Deno-only test; the code under test is browser-compatible.

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  concatBytes,
  equalBytes,
  fromBase64Url,
  fromHex,
  toBase64Url,
  toHex,
  utf8Decode,
  utf8Encode,
} from "./bytes.ts";

/** Reference base64url from the platform's btoa. */
function reference(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

Deno.test("toBase64Url() matches btoa and fromBase64Url() inverts it", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      const text = toBase64Url(bytes);
      assert.equal(text, reference(bytes));
      assert.deepEqual(fromBase64Url(text), bytes);
    }),
  );
});

Deno.test("fromBase64Url() refuses padding, other alphabets and non-canonical forms", () => {
  for (const bad of ["AA==", "A+B/", "A", "AB", "AAB", "A A", "é"]) {
    assert.throws(() => fromBase64Url(bad), SyntaxError, bad);
  }
  assert.deepEqual(fromBase64Url("AA"), Uint8Array.of(0));
  assert.deepEqual(fromBase64Url("AAE"), Uint8Array.of(0, 1));
});

Deno.test("toHex() is lowercase and fromHex() inverts it", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const hex = toHex(bytes);
      assert.match(hex, /^[0-9a-f]*$/);
      assert.deepEqual(fromHex(hex), bytes);
      assert.deepEqual(fromHex(hex.toUpperCase()), bytes);
    }),
  );
  assert.throws(() => fromHex("abc"), SyntaxError);
  assert.throws(() => fromHex("zz"), SyntaxError);
});

Deno.test("equalBytes() compares content and length", () => {
  assert.equal(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2)), true);
  assert.equal(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3)), false);
  assert.equal(equalBytes(Uint8Array.of(1), Uint8Array.of(1, 0)), false);
  assert.throws(() => equalBytes([1] as unknown as Uint8Array, Uint8Array.of(1)), TypeError);
});

Deno.test("concatBytes() joins in order", () => {
  assert.deepEqual(
    concatBytes(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)),
    Uint8Array.of(1, 2, 3),
  );
});

Deno.test("utf8 helpers refuse what has no UTF-8 form", () => {
  assert.throws(() => utf8Encode("\uDC00"), TypeError);
  assert.throws(() => utf8Decode(Uint8Array.of(0xc3)), SyntaxError);
  assert.equal(utf8Decode(utf8Encode("Café ☕")), "Café ☕");
});
