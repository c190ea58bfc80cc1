// Deno-only test; the code under test is browser-compatible.

import assert from "node:assert/strict";
import fc from "fast-check";
import { ciphertextSize } from "./blob_format.ts";
import { HeaderError, MetadataError } from "./errors.ts";
import {
  decryptMetadata,
  encodeMetadata,
  encryptMetadata,
  MAX_METADATA_SIZE,
  METADATA_PADDING,
} from "./metadata.ts";
import { encryptBytes, newFileKey } from "./stream_encrypt.ts";
import { utf8Encode } from "./bytes.ts";
import type { JsonObject } from "./canonical_json.ts";

Deno.test("decryptMetadata() returns the document encryptMetadata() was given", async () => {
  await fc.assert(
    fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), async (doc) => {
      const key = newFileKey();
      const normalized = JSON.parse(JSON.stringify(doc)) as JsonObject; // -0 becomes 0
      assert.deepEqual(
        await decryptMetadata(await encryptMetadata(normalized, key), key),
        normalized,
      );
    }),
    { numRuns: 60 },
  );
});

Deno.test("encryptMetadata() hides the length of a caption within 1 KiB buckets", async () => {
  const key = newFileKey();
  const short = await encryptMetadata({ caption: "Hi" }, key);
  const long = await encryptMetadata({ caption: "x".repeat(900) }, key);
  assert.equal(short.length, long.length);
  assert.equal(short.length, ciphertextSize(METADATA_PADDING));
});

Deno.test("decryptMetadata() refuses a wrong key and oversized documents", async () => {
  const blob = await encryptMetadata({ a: 1 }, newFileKey());
  await assert.rejects(decryptMetadata(blob, newFileKey()), HeaderError);
  assert.throws(() => encodeMetadata({ big: "x".repeat(MAX_METADATA_SIZE) }), RangeError);
  assert.throws(() => encodeMetadata([] as unknown as JsonObject), TypeError);
});

const isCode = (code: string) => (e: unknown) => e instanceof MetadataError && e.code === code;

Deno.test("decryptMetadata() names what is wrong with a decrypted document (FORMAT §10.2)", async () => {
  const key = newFileKey();
  const open = async (text: string | Uint8Array) =>
    await decryptMetadata(
      await encryptBytes(key, typeof text === "string" ? utf8Encode(text) : text),
      key,
    );
  await assert.rejects(open(Uint8Array.of(0x7b, 0xff, 0x7d)), isCode("utf8"));
  await assert.rejects(open('{"a":1,}'), isCode("json"));
  await assert.rejects(open('{"a":"\\ud800"}'), isCode("json")); // a lone surrogate
  await assert.rejects(open('{"a":1e400}'), isCode("json")); // rounds to infinity
  await assert.rejects(open("[".repeat(66) + "]".repeat(66)), isCode("json")); // level 65
  await assert.rejects(open("[]"), isCode("not_object"));
  assert.deepEqual(await open('{"a":[' + "[".repeat(62) + "]".repeat(62) + "]}\t\n "), {
    a: [JSON.parse("[".repeat(62) + "]".repeat(62))],
  }); // the innermost array at level 64 is allowed, and any trailing whitespace
  assert.deepEqual(await open('{"a":1,"a":2}'), { a: 2 }); // a repeated name: the last counts
});

Deno.test("decryptMetadata() refuses a blob longer than any metadata blob before decrypting", async () => {
  const limit = ciphertextSize(MAX_METADATA_SIZE);
  // Not a blob at all: the length alone decides, so no header check runs.
  await assert.rejects(
    decryptMetadata(new Uint8Array(limit + 1), newFileKey()),
    isCode("too_large"),
  );
  await assert.rejects(decryptMetadata(new Uint8Array(limit), newFileKey()), HeaderError);
});
