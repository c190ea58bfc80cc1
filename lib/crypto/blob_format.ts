/**
 * Blob format v1: constants, key schedule, header encoding and decoding, chunk nonces
 * (FORMAT §3–§4). Browser-compatible: no I/O, no Deno or Node APIs.
 *
 * The header carries no key material (DESIGN §5): only what a holder of the file key needs to
 * derive the blob's keys, plus a MAC that proves the key is right before any chunk is touched.
 *
 * @module
 */

import { assertBytes, bufferSource, concatBytes, equalBytes, utf8Encode } from "./bytes.ts";
import { HeaderError } from "./errors.ts";
import { hkdfSha256, hmacSha256 } from "./hkdf.ts";

/** FORMAT §3.1: the 8 ASCII bytes every blob starts with. */
export const BLOB_MAGIC: Uint8Array = utf8Encode("P2POSBLB");
/** FORMAT §3.1: the only version this code reads and writes. */
export const BLOB_VERSION = 1;
/** FORMAT §3.2: suite 1 = HKDF-SHA-256, AES-256-GCM, 64 KiB chunks. */
export const SUITE_AES256GCM_64K = 1;
/** Length of a file key (FORMAT §3.4). */
export const FILE_KEY_SIZE = 32;
/** Length of the per-blob random salt (FORMAT §3.1). */
export const SALT_SIZE = 32;
/** Length of the header MAC, HMAC-SHA-256 untruncated (FORMAT §3.3). */
export const HEADER_MAC_SIZE = 32;
/** magic ‖ version ‖ suite ‖ flags ‖ salt ‖ mac = 8 + 1 + 1 + 1 + 32 + 32 (FORMAT §3.1). */
export const HEADER_SIZE = 75;
/** Plaintext bytes per chunk; only the final chunk may be shorter (FORMAT §4.1). */
export const CHUNK_SIZE = 65536;
/** AES-GCM tag length (FORMAT §4.2). */
export const TAG_SIZE = 16;
/** Ciphertext bytes of a full chunk. */
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
/**
 * FORMAT §4.2 allows an 11-byte counter; this implementation stops at 2^53 - 1 chunks
 * (over 500 EiB), where JavaScript integers stop being exact, and says so (`too_long`).
 */
export const MAX_CHUNK_COUNTER = Number.MAX_SAFE_INTEGER;

/** HKDF info labels (FORMAT §2.3). */
const INFO_HEADER = "p2pos blob v1 header";
const INFO_PAYLOAD = "p2pos blob v1 payload";

/** Offsets inside the header (FORMAT §3.1). */
const OFF_VERSION = 8;
const OFF_SUITE = 9;
const OFF_FLAGS = 10;
const OFF_SALT = 11;
const OFF_MAC = OFF_SALT + SALT_SIZE;

/** The two keys of one blob, both derived from the file key and the blob's salt. */
export interface BlobKeys {
  /** HMAC-SHA-256 key of the header MAC (FORMAT §3.3). */
  headerKey: Uint8Array;
  /** AES-256-GCM key of every payload chunk, non-extractable (FORMAT §4.2). */
  payloadKey: CryptoKey;
}

/**
 * FORMAT §3.4: header key and payload key = HKDF-SHA-256(file key, salt, label). The random
 * salt makes the payload key unique per blob, so one file key may encrypt several blobs (a
 * photo, its thumbnail, its metadata) while the counter nonces never repeat under one key.
 */
export async function deriveBlobKeys(fileKey: Uint8Array, salt: Uint8Array): Promise<BlobKeys> {
  assertBytes(fileKey, "fileKey", FILE_KEY_SIZE);
  assertBytes(salt, "salt", SALT_SIZE);
  const headerKey = hkdfSha256(fileKey, salt, INFO_HEADER, 32);
  const raw = hkdfSha256(fileKey, salt, INFO_PAYLOAD, 32);
  const payloadKey = await crypto.subtle.importKey("raw", bufferSource(raw), "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  raw.fill(0); // best effort: the CryptoKey holds the only copy we need
  return { headerKey, payloadKey };
}

/** Builds the 75-byte header for `salt` under `headerKey` (FORMAT §3.1, §3.3). */
export function encodeHeader(headerKey: Uint8Array, salt: Uint8Array): Uint8Array {
  assertBytes(headerKey, "headerKey", 32);
  assertBytes(salt, "salt", SALT_SIZE);
  const body = concatBytes(
    BLOB_MAGIC,
    Uint8Array.of(BLOB_VERSION, SUITE_AES256GCM_64K, 0),
    salt,
  );
  return concatBytes(body, hmacSha256(headerKey, body));
}

/**
 * Checks the fields that need no key, in the order of FORMAT §3.3: magic, version, suite,
 * flags, then length. `bytes` is everything available, at most {@link HEADER_SIZE} bytes;
 * fewer means the input ended early. Returns the salt.
 */
export function parseHeader(bytes: Uint8Array): Uint8Array {
  assertBytes(bytes, "bytes");
  const n = Math.min(bytes.length, BLOB_MAGIC.length);
  if (!equalBytes(bytes.subarray(0, n), BLOB_MAGIC.subarray(0, n))) {
    throw new HeaderError("magic", "Cannot decode blob header: magic bytes are not P2POSBLB");
  }
  if (bytes.length > OFF_VERSION && bytes[OFF_VERSION] !== BLOB_VERSION) {
    throw new HeaderError(
      "unknown_version",
      `Cannot decode blob header: version ${bytes[OFF_VERSION]} is unknown`,
    );
  }
  if (bytes.length > OFF_SUITE && bytes[OFF_SUITE] !== SUITE_AES256GCM_64K) {
    throw new HeaderError(
      "unknown_suite",
      `Cannot decode blob header: suite ${bytes[OFF_SUITE]} is unknown`,
    );
  }
  if (bytes.length > OFF_FLAGS && bytes[OFF_FLAGS] !== 0) {
    throw new HeaderError(
      "flags",
      `Cannot decode blob header: reserved flags are 0x${bytes[OFF_FLAGS].toString(16)}, not 0`,
    );
  }
  if (bytes.length < HEADER_SIZE) {
    throw new HeaderError(
      "truncated",
      `Cannot decode blob header: ${bytes.length} bytes, expected ${HEADER_SIZE}`,
    );
  }
  return bytes.slice(OFF_SALT, OFF_MAC);
}

/**
 * FORMAT §3.3: verifies the header MAC. A wrong file key and an altered header are
 * indistinguishable here by design, hence one code, `header_mac`. The MAC also commits the
 * blob to its file key (AES-GCM alone does not): no blob opens under two different keys.
 */
export function verifyHeaderMac(header: Uint8Array, headerKey: Uint8Array): void {
  assertBytes(header, "header", HEADER_SIZE);
  const expected = hmacSha256(headerKey, header.subarray(0, OFF_MAC));
  if (!equalBytes(expected, header.subarray(OFF_MAC))) {
    throw new HeaderError(
      "header_mac",
      "Cannot decrypt blob: header MAC does not verify (wrong file key, or the header was altered)",
    );
  }
}

/**
 * FORMAT §4.2: nonce = 11-byte big-endian chunk counter ‖ last-chunk flag (0x01 final,
 * 0x00 otherwise). The flag makes "this is the end" authenticated, which is what lets the
 * decoder tell a complete blob from one cut at a chunk boundary.
 */
export function chunkNonce(counter: number, final: boolean): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(counter) || counter < 0) {
    throw new RangeError(`"counter" expected a safe non-negative integer, got ${counter}`);
  }
  const nonce = new Uint8Array(12);
  let c = counter;
  for (let i = 10; i >= 0 && c > 0; i--) {
    nonce[i] = c % 256;
    c = Math.floor(c / 256);
  }
  nonce[11] = final ? 1 : 0;
  return nonce;
}

/** Ciphertext length of a plaintext of `plaintextSize` bytes (FORMAT §4.1). */
export function ciphertextSize(plaintextSize: number): number {
  if (!Number.isSafeInteger(plaintextSize) || plaintextSize < 0) {
    throw new RangeError(`"plaintextSize" expected a non-negative integer, got ${plaintextSize}`);
  }
  const chunks = Math.max(1, Math.ceil(plaintextSize / CHUNK_SIZE));
  return HEADER_SIZE + plaintextSize + chunks * TAG_SIZE;
}

/**
 * Plaintext length of a well-formed ciphertext of `size` bytes, or `null` when no plaintext
 * encrypts to that length (e.g. a payload ending in a piece shorter than a tag).
 */
export function plaintextSize(size: number): number | null {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`"size" expected a non-negative integer, got ${size}`);
  }
  const payload = size - HEADER_SIZE;
  if (payload < TAG_SIZE) return null;
  const full = Math.floor(payload / SEALED_CHUNK_SIZE);
  const rest = payload % SEALED_CHUNK_SIZE;
  if (rest === 0) return full * CHUNK_SIZE; // last chunk is a full final chunk
  if (rest < TAG_SIZE || (rest === TAG_SIZE && full > 0)) return null; // FORMAT §4.3
  return full * CHUNK_SIZE + rest - TAG_SIZE;
}
