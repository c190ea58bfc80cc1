// Differential property tests of the byte formats (FORMAT §3–§5, §10): random and mutated blobs,
// wrapped keys and metadata documents go to lib/crypto and to the second implementation, which
// must give the same verdict: the same plaintext, or the same failure kind and code.

import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeMetadata, encryptBytes, wrapKey } from "../../lib/crypto/mod.ts";
import { blobKeys, HEADER_LENGTH, nonce, SEALED } from "./blob.ts";
import { blobs, Coverage, metadata, wraps } from "./_lib_side.ts";
import { byteEdit, bytesOf, concat, editBytes } from "./_mutations.ts";
import { MAX_BLOB, padDocument, sealBlob, utf8, wrapWith, x25519PublicOf } from "./mod.ts";

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
/** Mostly no edit, so the layer behind the edited one is reached too. */
const seldomEdit = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: byteEdit },
);
const coverage = new Coverage();
const size = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 400 }) },
  { weight: 1, arbitrary: fc.constantFrom(65535, 65536, 65537, 131072, 131073) },
);

/** A blob sealed by either implementation: both must be able to read both. */
async function sealed(by: "lib" | "independent", key: Uint8Array, salt: Uint8Array, n: number) {
  const plain = bytesOf(n, salt[0]);
  return by === "lib" ? await encryptBytes(key, plain) : sealBlob(key, salt, plain);
}

async function sameBlobVerdict(key: Uint8Array, blob: Uint8Array, piece: number) {
  const independent = coverage.note("blob", await blobs.independent(key, blob));
  assert.deepEqual(await blobs.lib(key, blob), independent, "lib decryptBytes vs independent");
  assert.deepEqual(
    await blobs.libStream(key, blob, piece),
    independent,
    `lib decryptStream in ${piece}-byte pieces vs independent`,
  );
}

Deno.test("differential: mutated blobs get the same verdict from both implementations", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom("lib" as const, "independent" as const),
      key32,
      key32,
      size,
      byteEdit,
      fc.integer({ min: 1, max: 70_000 }),
      fc.boolean().chain((b) => b ? fc.boolean() : fc.constant(false)).chain((b) =>
        b ? fc.boolean() : fc.constant(false)
      ),
      async (by, key, salt, n, edit, piece, wrongKey) => {
        const blob = await sealed(by, key, salt, n);
        const other = await sealed(by, key, salt.map((b) => b ^ 1), n); // same key, other salt
        const mutated = editBytes(blob, edit, other);
        await sameBlobVerdict(wrongKey ? salt : key, mutated, piece);
      },
    ),
    { numRuns: 250 },
  );
});

/**
 * Blobs built chunk by chunk with chosen counters, final flags and sizes: every combination of
 * the §4.4 rules (missing, extra, reordered, duplicated, empty and double-final chunks).
 */
Deno.test("differential: hand-built chunk sequences get the same verdict", async () => {
  // Mostly the right counter and flag for the chunk's place, and full chunks before the last.
  const chunk = fc.record({
    counterOffset: fc.oneof(
      { weight: 8, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.constantFrom(-1, 1, 2 ** 40) },
    ),
    flag: fc.oneof(
      { weight: 6, arbitrary: fc.constant("right") },
      { weight: 1, arbitrary: fc.constantFrom("final", "not final") },
    ),
    fullSize: fc.oneof(
      { weight: 5, arbitrary: fc.constant(65536) },
      { weight: 1, arbitrary: fc.constantFrom(0, 1, 65535) },
    ),
    lastSize: fc.constantFrom(0, 0, 1, 65535, 65536, 17),
  });
  await fc.assert(
    fc.asyncProperty(
      key32,
      key32,
      fc.array(chunk, { minLength: 0, maxLength: 3 }),
      async (key, salt, chunks) => {
        const good = sealBlob(key, salt, new Uint8Array(0));
        const aes = await crypto.subtle.importKey(
          "raw",
          blobKeys(key, salt).payloadKey as Uint8Array<ArrayBuffer>,
          "AES-GCM",
          false,
          ["encrypt"],
        );
        const parts = [good.subarray(0, HEADER_LENGTH)];
        for (const [i, c] of chunks.entries()) {
          const last = i === chunks.length - 1;
          const final = c.flag === "right" ? last : c.flag === "final";
          const iv = nonce(Math.max(0, i + c.counterOffset), final) as Uint8Array<ArrayBuffer>;
          const plain = bytesOf(last ? c.lastSize : c.fullSize, 7) as Uint8Array<ArrayBuffer>;
          parts.push(
            new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aes, plain)),
          );
        }
        await sameBlobVerdict(key, concat(...parts), SEALED);
      },
    ),
    { numRuns: 150 },
  );
});

const P = 2n ** 255n - 19n;
const LOW_ORDER = [
  0n,
  1n,
  P - 1n,
  325606250916557431795983626356110631294008115727848805560023387167927233504n,
  39382357235489614581723060781553021112529911719440698176882885853963445705823n,
];
const littleEndian = (u: bigint) => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, u >>= 8n) out[i] = Number(u & 0xffn);
  return out;
};
/** Low-order u-coordinates and their non-canonical spellings (u + p, bit 255 set). */
const lowOrderE = fc.tuple(fc.constantFrom(...LOW_ORDER), fc.boolean(), fc.boolean()).map(
  ([u, plusP, bit255]) => {
    let v = plusP && u + P < 2n ** 255n ? u + P : u;
    if (bit255) v |= 1n << 255n;
    return littleEndian(v);
  },
);

Deno.test("differential: mutated wrapped keys get the same verdict", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom("lib", "independent"),
      key32,
      key32,
      key32,
      fc.oneof(
        { weight: 3, arbitrary: byteEdit.map((edit) => ({ edit })) },
        { weight: 1, arbitrary: lowOrderE.map((e) => ({ e })) },
        { weight: 1, arbitrary: fc.constant({ otherRecipient: true }) },
      ),
      async (by, secret, key, ephemeral, change) => {
        const recipient = x25519PublicOf(secret);
        let wrapped = by === "lib"
          ? await wrapKey(key, recipient)
          : wrapWith(key, recipient, ephemeral);
        let reader = secret;
        if ("edit" in change) wrapped = editBytes(wrapped, change.edit, ephemeral);
        if ("e" in change) wrapped.set(change.e, 1);
        if ("otherRecipient" in change) reader = ephemeral;
        const independent = coverage.note("wrap", await wraps.independent(wrapped, reader));
        assert.deepEqual(await wraps.lib(wrapped, reader), independent);
      },
    ),
    { numRuns: 300 },
  );
});

/** JSON texts a metadata reader may meet: documents, near-documents and garbage. */
const documentText = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify({ v: 1, data: v })),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), // any top-level value
  fc.constantFrom(
    '{"a":1,}',
    '{"a":"\\ud800"}',
    '{"a":"\\ud83d\\ude00"}',
    '{"a":1e400}',
    '{"a":-1e-400}',
    '{"a":1,"a":2}',
    '{"__proto__":{"x":1}}',
    "\ufeff{}",
    "{}\u00a0",
    "[".repeat(65) + "]".repeat(65),
    "[".repeat(66) + "]".repeat(66),
    '{"a":' + "[".repeat(64) + "]".repeat(64) + "}",
    '{"a":' + "[".repeat(63) + "]".repeat(63) + "}",
    "{'a':1}",
    '{"a":01}',
    '{"a":.5}',
    '{"a":"tab\tin"}',
    '{"a":NaN}',
  ),
  fc.string({ unit: "binary", maxLength: 40 }),
);

Deno.test("differential: metadata documents and damaged ones get the same verdict", async () => {
  await fc.assert(
    fc.asyncProperty(
      documentText,
      fc.constantFrom(" ", "\t\n\r ", " \u00a0", "\u2028"),
      seldomEdit,
      seldomEdit,
      key32,
      key32,
      fc.constantFrom("lib", "independent"),
      async (text, pad, plainEdit, blobEdit, key, salt, by) => {
        let plain: Uint8Array;
        try {
          plain = padDocument(text);
        } catch {
          return; // a lone surrogate has no UTF-8 form: not a document anyone can write
        }
        if (pad !== " ") plain = utf8(text + pad.repeat(4));
        if (plainEdit) plain = editBytes(plain, plainEdit, salt);
        let blob = by === "lib" ? await encryptBytes(key, plain) : sealBlob(key, salt, plain);
        if (blobEdit) blob = editBytes(blob, blobEdit, salt);
        const independent = coverage.note("metadata", await metadata.independent(blob, key));
        assert.deepEqual(await metadata.lib(blob, key), independent);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("differential: both refuse a metadata blob one byte too long before decrypting", async () => {
  const key = new Uint8Array(32).fill(1);
  const doc = encodeMetadata({ v: 1, note: "x".repeat(1024 * 1024 - 20) }); // 1 MiB exactly
  const atLimit = sealBlob(key, new Uint8Array(32), doc);
  assert.equal(atLimit.length, MAX_BLOB);
  assert.deepEqual(await metadata.lib(atLimit, key), await metadata.independent(atLimit, key));
  assert.equal((await metadata.lib(atLimit, key)).ok, true);
  for (const blob of [new Uint8Array(MAX_BLOB + 1), concat(atLimit, Uint8Array.of(0))]) {
    const verdict = await metadata.independent(blob, key);
    assert.deepEqual(verdict, { ok: false, failure: "metadata failure (too_large)" });
    assert.deepEqual(await metadata.lib(blob, key), verdict);
  }
});

Deno.test("differential: the byte-format runs above reached every common verdict", () => {
  // If a generator weakens so that a rule is no longer reached, the agreement above proves less;
  // this says so. Only verdicts that a few hundred runs reach with near certainty are listed.
  coverage.expect([
    "blob success",
    "blob header failure (magic)",
    "blob header failure (truncated)",
    "blob header failure (header_mac)",
    "blob payload failure (truncated)",
    "blob payload failure (tag)",
    "blob payload failure (trailing_data)",
    "blob payload failure (empty_final_chunk)",
    "wrap success",
    "wrap wrap failure (unknown_version)",
    "wrap wrap failure (length)",
    "wrap wrap failure (low_order_point)",
    "wrap wrap failure (tag)",
    "metadata success",
    "metadata metadata failure (utf8)",
    "metadata metadata failure (json)",
    "metadata metadata failure (not_object)",
    "metadata header failure (header_mac)",
  ]);
});
