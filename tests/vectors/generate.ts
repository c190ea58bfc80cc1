/**
 * Regenerates the test vector files in this folder (docs/FORMAT.md §9). Deterministic: every
 * key, salt and ephemeral secret is SHA-256 of a fixed label, so running it twice writes the
 * same bytes, and a diff after a code change shows exactly which encodings moved.
 *
 *   deno run --allow-read=tests/vectors --allow-write=tests/vectors tests/vectors/generate.ts
 *
 * Invalid vectors are built by hand from the format's own primitives (header encoding, chunk
 * sealing), not by a buggy encoder, so each one breaks exactly one rule.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { sealChunk } from "../../lib/crypto/_chunk.ts";
import {
  CHUNK_SIZE,
  deriveBlobKeys,
  encodeHeader,
  HEADER_SIZE,
  SEALED_CHUNK_SIZE,
} from "../../lib/crypto/blob_format.ts";
import { blobId } from "../../lib/crypto/blob_id.ts";
import { concatBytes, toBase64Url, toHex, utf8Encode } from "../../lib/crypto/bytes.ts";
import { canonicalJson } from "../../lib/crypto/canonical_json.ts";
import { deriveIdentity, seedToMnemonic, sign } from "../../lib/crypto/identity.ts";
import { loginMessage } from "../../lib/crypto/login.ts";
import { encodeMetadata } from "../../lib/crypto/metadata.ts";
import { signRecord } from "../../lib/crypto/records.ts";
import { encryptBytesWithSalt } from "../../lib/crypto/stream_encrypt.ts";
import { vectorPlaintext } from "../../lib/crypto/vectors.ts";
import { wrapKeyWithEphemeral } from "../../lib/crypto/wrap.ts";

const HERE = new URL(".", import.meta.url);

/** 32 deterministic bytes per label. */
const det = (label: string) => sha256(utf8Encode(`p2pos test vector: ${label}`));

const FILE_KEY = det("file key");
const SALT = det("salt");
const OTHER_SALT = det("other salt");
const WRONG_KEY = det("wrong key");

type Fields = [string, string][];
const files = new Map<string, string>();

function vector(name: string, kind: string, expect: string, comment: string, fields: Fields) {
  const lines = [
    "# p2pos crypto test vector, one case per file: docs/FORMAT.md §9",
    `kind: ${kind}`,
    `expect: ${expect}`,
    `comment: ${comment}`,
    ...fields.map(([k, v]) => `${k}: ${v}`),
  ];
  files.set(`${name}.txt`, lines.join("\n") + "\n");
}

const encrypt = (size: number, salt = SALT, key = FILE_KEY) =>
  encryptBytesWithSalt(key, salt, vectorPlaintext(size));

/** Header ‖ chunks, each chunk sealed as told: the tool for breaking exactly one rule. */
async function craft(chunks: { counter: number; final: boolean; size: number }[], salt = SALT) {
  const keys = await deriveBlobKeys(FILE_KEY, salt);
  const parts = [encodeHeader(keys.headerKey, salt)];
  for (const c of chunks) {
    parts.push(await sealChunk(keys.payloadKey, c.counter, c.final, vectorPlaintext(c.size)));
  }
  return concatBytes(...parts);
}

function blobFailure(
  name: string,
  expect: string,
  comment: string,
  ct: Uint8Array,
  key = FILE_KEY,
) {
  vector(name, "blob", expect, comment, [
    ["file-key", toHex(key)],
    ["ciphertext", toBase64Url(ct)],
  ]);
}

// --- Blob successes (FORMAT §3, §4) -------------------------------------------------------
for (const size of [0, 1, 65535, 65536, 65537, 131073]) {
  const ct = await encrypt(size);
  vector(
    `blob_success_size_${size}`,
    "blob",
    "success",
    `plaintext of ${size} byte${size === 1 ? "" : "s"}: byte[i] = i mod 251`,
    [
      ["file-key", toHex(FILE_KEY)],
      ["plaintext-size", String(size)],
      ["plaintext-sha256", toHex(sha256(vectorPlaintext(size)))],
      ["blob-id", await blobId(ct)],
      ["ciphertext", toBase64Url(ct)],
    ],
  );
}

// --- Header failures (FORMAT §3.3) ----------------------------------------------------------
const one = await encrypt(1);
blobFailure(
  "blob_header_truncated",
  "header failure (truncated)",
  "only the first 40 bytes of the 75-byte header",
  one.slice(0, 40),
);
{
  const ct = one.slice();
  ct[20] ^= 0x01; // inside the salt
  blobFailure(
    "blob_header_flipped_byte",
    "header failure (header_mac)",
    "bit 0 of header byte 20 (in the salt) flipped; the header MAC no longer verifies",
    ct,
  );
}
{
  const ct = one.slice();
  ct[8] = 2;
  blobFailure(
    "blob_header_unknown_version",
    "header failure (unknown_version)",
    "version byte set to 2; checked before the MAC, since a v2 MAC cannot be computed",
    ct,
  );
}
{
  const ct = one.slice();
  ct[10] = 0x80;
  blobFailure(
    "blob_header_reserved_flags",
    "header failure (flags)",
    "reserved flags byte set to 0x80",
    ct,
  );
}
blobFailure(
  "blob_wrong_key",
  "header failure (header_mac)",
  "a valid 1-byte blob opened with a different file key; the header MAC fails first",
  one,
  WRONG_KEY,
);

// --- Payload failures (FORMAT §4.4) ---------------------------------------------------------
const two = await encrypt(65537); // chunk 0: full, non-final; chunk 1: 1 byte, final
const three = await encrypt(131073); // chunks 0, 1 full; chunk 2: 1 byte, final
blobFailure(
  "blob_payload_missing",
  "payload failure (truncated)",
  "a valid header with no chunk after it",
  one.slice(0, HEADER_SIZE),
);
blobFailure(
  "blob_truncated_at_chunk_boundary",
  "payload failure (truncated)",
  "65537-byte blob cut after chunk 0; chunk 0 opens only as non-final, so the end is missing",
  two.slice(0, HEADER_SIZE + SEALED_CHUNK_SIZE),
);
blobFailure(
  "blob_truncated_mid_chunk",
  "payload failure (tag)",
  "65537-byte blob cut 30000 bytes into chunk 0; a cut chunk cannot be told from an altered one",
  two.slice(0, HEADER_SIZE + 30000),
);
blobFailure(
  "blob_truncated_inside_tag",
  "payload failure (truncated)",
  "1-byte blob whose 17-byte final chunk is cut to 10 bytes, shorter than a tag",
  one.slice(0, HEADER_SIZE + 10),
);
{
  const full = await encrypt(65536); // a single full final chunk
  blobFailure(
    "blob_trailing_bytes",
    "payload failure (trailing_data)",
    "65536-byte blob (one full final chunk) followed by 3 extra bytes",
    concatBytes(full, Uint8Array.of(0, 1, 2)),
  );
}
blobFailure(
  "blob_trailing_bytes_after_short_final",
  "payload failure (tag)",
  "1-byte blob followed by 3 extra bytes; they join the final chunk, which then fails",
  concatBytes(one, Uint8Array.of(0, 1, 2)),
);
{
  const h = HEADER_SIZE;
  const s = SEALED_CHUNK_SIZE;
  const ct = concatBytes(
    three.subarray(0, h),
    three.subarray(h + s, h + 2 * s),
    three.subarray(h, h + s),
    three.subarray(h + 2 * s),
  );
  blobFailure(
    "blob_swapped_chunks",
    "payload failure (tag)",
    "131073-byte blob with chunks 0 and 1 swapped; each fails under the other's counter",
    ct,
  );
}
{
  const other = await encrypt(65537, OTHER_SALT);
  const ct = concatBytes(
    two.subarray(0, HEADER_SIZE),
    other.subarray(HEADER_SIZE, HEADER_SIZE + SEALED_CHUNK_SIZE),
    two.subarray(HEADER_SIZE + SEALED_CHUNK_SIZE),
  );
  blobFailure(
    "blob_chunk_from_other_blob",
    "payload failure (tag)",
    "chunk 0 taken from another blob under the same file key and another salt",
    ct,
  );
}
blobFailure(
  "blob_empty_final_chunk",
  "payload failure (empty_final_chunk)",
  "65536 bytes sealed as a full non-final chunk 0 then an empty final chunk 1",
  await craft([{ counter: 0, final: false, size: CHUNK_SIZE }, {
    counter: 1,
    final: true,
    size: 0,
  }]),
);
blobFailure(
  "blob_two_final_chunks",
  "payload failure (trailing_data)",
  "chunk 0 is a full chunk sealed as final, then a valid final chunk 1 of 1 byte",
  await craft([{ counter: 0, final: true, size: CHUNK_SIZE }, {
    counter: 1,
    final: true,
    size: 1,
  }]),
);
{
  const ct = one.slice();
  ct[ct.length - 1] ^= 0x80;
  blobFailure(
    "blob_flipped_tag",
    "payload failure (tag)",
    "1-byte blob with the top bit of the last tag byte flipped",
    ct,
  );
}

// --- Key wrap (FORMAT §5) ---------------------------------------------------------------------
const RECIPIENT_SECRET = det("recipient x25519 secret");
const RECIPIENT_PUBLIC = x25519.getPublicKey(RECIPIENT_SECRET);
const ALBUM_KEY = det("album key");
const wrapped = await wrapKeyWithEphemeral(ALBUM_KEY, RECIPIENT_PUBLIC, det("ephemeral secret"));
vector("wrap_success", "wrap", "success", "album key wrapped for the recipient", [
  ["recipient-secret", toHex(RECIPIENT_SECRET)],
  ["recipient-public", toHex(RECIPIENT_PUBLIC)],
  ["key", toHex(ALBUM_KEY)],
  ["wrapped", toHex(wrapped)],
]);
{
  // u = 325606…504, a point of order 8 on Curve25519: X25519 with any clamped scalar gives 0.
  let u = 325606250916557431795983626356110631294008115727848805560023387167927233504n;
  const lowOrder = new Uint8Array(32);
  for (let i = 0; i < 32; i++, u >>= 8n) lowOrder[i] = Number(u & 0xffn);
  const bad = wrapped.slice();
  bad.set(lowOrder, 1);
  vector(
    "wrap_low_order_point",
    "wrap",
    "wrap failure (low_order_point)",
    "ephemeral public key replaced by a point of order 8; the shared secret would be all zero",
    [["recipient-secret", toHex(RECIPIENT_SECRET)], ["key", toHex(ALBUM_KEY)], [
      "wrapped",
      toHex(bad),
    ]],
  );
}
vector(
  "wrap_wrong_recipient",
  "wrap",
  "wrap failure (tag)",
  "a valid wrap opened with another member's X25519 secret",
  [["recipient-secret", toHex(det("someone else"))], ["key", toHex(ALBUM_KEY)], [
    "wrapped",
    toHex(wrapped),
  ]],
);
{
  const bad = wrapped.slice();
  bad[0] = 2;
  vector(
    "wrap_unknown_version",
    "wrap",
    "wrap failure (unknown_version)",
    "version byte 2 (reserved for the hybrid ML-KEM wrap)",
    [["recipient-secret", toHex(RECIPIENT_SECRET)], ["key", toHex(ALBUM_KEY)], [
      "wrapped",
      toHex(bad),
    ]],
  );
}

// --- Identity (FORMAT §7) ---------------------------------------------------------------------
const SEED = det("member seed");
const identity = deriveIdentity(SEED);
const mnemonic = seedToMnemonic(SEED);
vector("identity_success", "identity", "success", "seed → 24 words → keys", [
  ["mnemonic", mnemonic],
  ["seed", toHex(SEED)],
  ["signing-secret-key", toHex(identity.signingSecretKey)],
  ["signing-public-key", toHex(identity.signingPublicKey)],
  ["x25519-secret-key", toHex(identity.x25519SecretKey)],
  ["x25519-public-key", toHex(identity.x25519PublicKey)],
]);
{
  const words = mnemonic.split(" ");
  [words[0], words[1]] = [words[1], words[0]];
  vector(
    "identity_bad_checksum",
    "identity",
    "identity failure (mnemonic_checksum)",
    "the first two words of the identity_success phrase swapped",
    [["mnemonic", words.join(" ")]],
  );
}

// --- Signed records (FORMAT §6) ---------------------------------------------------------------
const author = toBase64Url(identity.signingPublicKey);
const record = signRecord({
  v: 1 as const,
  kind: "album",
  id: "alb_01",
  author,
  hlc: "0000018f2b3c4d5e-0000-oak",
  body: { name: "Café ☕ 2024", z: [1, 2.5, -0, 1e21, 'tab\t \u0001 "q" é'], a: null },
}, identity.signingSecretKey);
const { sig: _sig, ...unsigned } = record;
vector("record_success", "record", "success", "an album record signed by its author", [
  ["public-key", toHex(identity.signingPublicKey)],
  ["canonical", canonicalJson(unsigned)],
  ["record", JSON.stringify(record)],
]);
vector(
  "record_altered_body",
  "record",
  "record failure (signature)",
  "record_success with body.name changed after signing",
  [
    ["public-key", toHex(identity.signingPublicKey)],
    ["record", JSON.stringify({ ...record, body: { ...record.body, name: "Cafe 2024" } })],
  ],
);

// --- Login (FORMAT §8.1) ----------------------------------------------------------------------
{
  const challenge = toBase64Url(det("login challenge"));
  const message = loginMessage({
    origin: "https://oak.example:8443",
    nodeId: "ABCDEFG-HIJKLMN",
    challenge,
  });
  vector("login_success", "login", "success", "the login message and its signature", [
    ["origin", "https://oak.example:8443"],
    ["node-id", "ABCDEFG-HIJKLMN"],
    ["challenge", challenge],
    ["public-key", toHex(identity.signingPublicKey)],
    ["message-hex", toHex(message)],
    ["signature", toBase64Url(sign(message, identity.signingSecretKey))],
  ]);
}

// --- Metadata (FORMAT §10) --------------------------------------------------------------------
{
  const doc = {
    filename: "IMG_2041.HEIC",
    caption: "Grandma's 90th",
    takenAt: "2024-06-01T14:03:00Z",
  };
  const key = det("metadata key");
  const ct = await encryptBytesWithSalt(key, det("metadata salt"), encodeMetadata(doc));
  vector("metadata_success", "metadata", "success", "a photo metadata document, padded to 1 KiB", [
    ["file-key", toHex(key)],
    ["document", JSON.stringify(doc)],
    ["ciphertext", toBase64Url(ct)],
  ]);
}

// --- Write ------------------------------------------------------------------------------------
for (const entry of Deno.readDirSync(HERE)) {
  if (entry.isFile && entry.name.endsWith(".txt")) Deno.removeSync(new URL(entry.name, HERE));
}
const names = [...files.keys()].sort();
for (const name of names) Deno.writeTextFileSync(new URL(name, HERE), files.get(name)!);
Deno.writeTextFileSync(new URL("index.json", HERE), JSON.stringify(names, null, 2) + "\n");
console.log(`Wrote ${names.length} vectors and index.json to ${HERE.pathname}`);
