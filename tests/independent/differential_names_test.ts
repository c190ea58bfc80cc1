// Differential property tests of sealed names (FORMAT §14.3): names and near-names written into
// 256-byte plaintexts by hand (white space at either end, control characters, overlong UTF-8,
// zero bytes in the middle, cut or lengthened plaintexts), sealed by either implementation, go
// to lib/crypto and to the second implementation, which must give the same verdict. Sealing is
// compared byte for byte too.

import assert from "node:assert/strict";
import fc from "fast-check";
import { encryptBytes, sealName as libSeal } from "../../lib/crypto/mod.ts";
import { encodeName } from "../../lib/crypto/sealed_name.ts";
import { encryptBytesWithSalt } from "../../lib/crypto/stream_encrypt.ts";
import { Coverage, names } from "./_lib_side.ts";
import { concat, hex, sealBlob, sealName, utf8 } from "./mod.ts";

const coverage = new Coverage();
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const LABEL = utf8("p2pos-name-v1\n");

/** Text that is sometimes a name and often almost one. */
const nearName = fc.oneof(
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom("Ada", " Ada", "Ada ", "Ada\u00a0", "\u3000Ada", "A\u0085da", "A\u180eda"),
  fc.constantFrom("", "a".repeat(80), "a".repeat(81), "🌊".repeat(40), "🌊".repeat(41)),
  fc.constantFrom("A\u0000da", "A\u007fda", "\ufeffAda", "Ada\u2028", "A\u200bda"),
);

/** Plaintext edits: none, a raw byte sequence, a cut, an extension, another label. */
const edit = fc.oneof(
  { weight: 5, arbitrary: fc.constant("none") },
  { weight: 4, arbitrary: fc.constantFrom("overlong", "cut", "extend", "label", "tail byte") },
);

function plaintext(text: string, how: string): Uint8Array | null {
  let body: Uint8Array;
  try {
    body = utf8(text);
  } catch {
    return null; // a lone surrogate has no UTF-8 form
  }
  if (how === "overlong") body = concat(body, Uint8Array.of(0xc0, 0xaf));
  const label = how === "label" ? utf8("p2pos-name-v0\n") : LABEL;
  const size = how === "cut" ? 200 : how === "extend" ? 300 : 256;
  const out = new Uint8Array(Math.max(size, label.length + body.length));
  out.set(concat(label, body));
  if (how === "tail byte") out[out.length - 1] = 0x41;
  return out.slice(0, size);
}

Deno.test("differential: names and near-names sealed by hand get the same verdict", async () => {
  await fc.assert(
    fc.asyncProperty(
      nearName,
      edit,
      key32,
      key32,
      fc.boolean(),
      fc.constantFrom("lib", "independent"),
      async (text, how, key, salt, wrongKey, by) => {
        const plain = plaintext(text, how);
        if (plain === null) return;
        const sealed = by === "lib" ? await encryptBytes(key, plain) : sealBlob(key, salt, plain);
        const opener = wrongKey ? salt : key;
        const independent = coverage.note("name", await names.independent(sealed, opener));
        assert.deepEqual(await names.lib(sealed, opener), independent);
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("differential: both seal a name into the same bytes, and agree on what is a name", async () => {
  await fc.assert(
    fc.asyncProperty(nearName, key32, key32, async (text, key, salt) => {
      let libPlain: Uint8Array | null;
      try {
        libPlain = encodeName(text);
      } catch {
        libPlain = null;
      }
      let independent: Uint8Array | null;
      try {
        independent = sealName(text, key, salt);
      } catch {
        independent = null;
      }
      assert.equal(libPlain === null, independent === null, JSON.stringify(text));
      if (libPlain === null || independent === null) {
        await assert.rejects(libSeal(text, key));
        return;
      }
      assert.equal(hex(await encryptBytesWithSalt(key, salt, libPlain)), hex(independent));
    }),
    { numRuns: 300 },
  );
});

Deno.test("differential: the sealed-name runs above reached every verdict", () => {
  coverage.expect([
    "name success",
    "name name failure (length)",
    "name name failure (label)",
    "name name failure (padding)",
    "name name failure (utf8)",
    "name name failure (text)",
    "name header failure (header_mac)",
  ]);
});
