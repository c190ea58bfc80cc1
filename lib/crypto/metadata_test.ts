// Deno-only test; the code under test is browser-compatible.

import assert from "node:assert/strict";
import fc from "fast-check";
import { ciphertextSize } from "./blob_format.ts";
import { HeaderError } from "./errors.ts";
import {
  decryptMetadata,
  encodeMetadata,
  encryptMetadata,
  MAX_METADATA_SIZE,
  METADATA_PADDING,
} from "./metadata.ts";
import { newFileKey } from "./stream_encrypt.ts";
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
