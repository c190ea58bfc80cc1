// Deno-only test; the code under test is browser-compatible.

import assert from "node:assert/strict";
import fc from "fast-check";
import { concatBytes, utf8Encode } from "./bytes.ts";
import { HeaderError, NameError } from "./errors.ts";
import {
  decodeName,
  encodeName,
  NAME_LABEL,
  NAME_PLAINTEXT_SIZE,
  nameProblem,
  openName,
  SEALED_NAME_SIZE,
  sealName,
} from "./sealed_name.ts";
import { encryptBytes } from "./stream_encrypt.ts";
import { newFamilyKey } from "./family_key.ts";

/** A one-line name as FORMAT §14.3 allows it. */
const aName = fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 })
  .map((s) => s.trim().slice(0, 80))
  .filter((s) => nameProblem(s) === undefined);

Deno.test("openName() returns what sealName() sealed, and every sealed name is 347 bytes", async () => {
  await fc.assert(
    fc.asyncProperty(aName, async (name) => {
      const key = newFamilyKey();
      const sealed = await sealName(name, key);
      assert.equal(sealed.length, SEALED_NAME_SIZE, "the length tells nothing of the name");
      assert.equal(await openName(sealed, key), name);
    }),
    { numRuns: 80 },
  );
});

Deno.test("The longest names fit: 80 code units of three-byte or four-byte characters", async () => {
  const key = newFamilyKey();
  for (const name of ["一".repeat(80), "🌊".repeat(40), "é".repeat(80)]) {
    assert.equal(await openName(await sealName(name, key), key), name);
  }
});

Deno.test("sealName() refuses what is not a one-line name, saying why", async () => {
  const key = newFamilyKey();
  for (
    const [name, why] of [
      ["", /empty/],
      ["a".repeat(81), /longer than 80/],
      [" Ada", /white space/],
      ["Ada\u00a0", /white space/],
      ["Ada\u3000", /white space/],
      ["A\tda", /control/],
      ["A\u007fda", /control/],
      ["\ud800", /surrogate/],
    ] as const
  ) {
    await assert.rejects(
      sealName(name, key),
      (e) => e instanceof NameError && e.code === "text" && why.test(e.message),
      JSON.stringify(name),
    );
  }
});

Deno.test("decodeName() checks length, label, padding, UTF-8 and the text, in that order", () => {
  const plain = (body: Uint8Array, size = NAME_PLAINTEXT_SIZE) => {
    const out = new Uint8Array(size);
    out.set(body.subarray(0, size));
    return out;
  };
  const code = (p: Uint8Array) => {
    try {
      decodeName(p);
      return "success";
    } catch (e) {
      assert.ok(e instanceof NameError, String(e));
      return e.code;
    }
  };
  assert.equal(code(encodeName("Ada")), "success");
  assert.equal(code(plain(concatBytes(NAME_LABEL, utf8Encode("Ada")), 255)), "length");
  assert.equal(code(plain(concatBytes(NAME_LABEL, utf8Encode("Ada")), 257)), "length");
  assert.equal(code(plain(concatBytes(utf8Encode("p2pos-name-v2\n"), utf8Encode("Ada")))), "label");
  assert.equal(code(plain(concatBytes(NAME_LABEL, utf8Encode("Ada\0x")))), "padding");
  assert.equal(code(plain(concatBytes(NAME_LABEL, Uint8Array.of(0xc0, 0xaf)))), "utf8");
  assert.equal(code(plain(NAME_LABEL)), "text", "an empty name");
  assert.equal(code(plain(concatBytes(NAME_LABEL, utf8Encode(" Ada")))), "text");
  assert.equal(code(plain(concatBytes(NAME_LABEL, utf8Encode("a".repeat(242))))), "text");
});

Deno.test("A name never leaks into an error message", () => {
  const secret = "Zelda\u0007";
  const p = new Uint8Array(NAME_PLAINTEXT_SIZE);
  p.set(concatBytes(NAME_LABEL, utf8Encode(secret)));
  assert.throws(() => decodeName(p), (e: Error) => !e.message.includes("Zelda"));
});

Deno.test("openName() keeps the blob's own failure for a wrong key, and refuses other blobs", async () => {
  const key = newFamilyKey();
  const sealed = await sealName("Ada", key);
  await assert.rejects(
    openName(sealed, newFamilyKey()),
    (e) => e instanceof HeaderError && e.code === "header_mac",
  );
  const other = await encryptBytes(key, utf8Encode("Ada"));
  await assert.rejects(openName(other, key), (e) => e instanceof NameError && e.code === "length");
});
