/**
 * HKDF-SHA-256 (RFC 5869) and HMAC-SHA-256 with string info labels. Browser-compatible: no I/O,
 * no Deno or Node APIs.
 *
 * @noble/hashes rather than WebCrypto because these are synchronous and run on at most a few
 * hundred bytes per blob: the async WebCrypto round trip would cost more than the hash.
 * Every label used by the formats is listed in FORMAT §2.3; a new label is a new key.
 *
 * @module
 */

import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { assertBytes, assertString, utf8Encode } from "./bytes.ts";

/** HKDF-SHA-256 output is capped by RFC 5869 §2.3 at 255 hash lengths. */
const MAX_HKDF_LENGTH = 255 * 32;

/**
 * HKDF-SHA-256(ikm, salt, info) → `length` bytes (FORMAT §2.3). An empty `salt` means the
 * RFC 5869 default (32 zero bytes), which is what the identity derivation uses.
 */
export function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: string,
  length: number,
): Uint8Array {
  assertBytes(ikm, "ikm");
  assertBytes(salt, "salt");
  assertString(info, "info");
  if (!Number.isInteger(length) || length < 1 || length > MAX_HKDF_LENGTH) {
    throw new RangeError(`"length" expected an integer in 1..${MAX_HKDF_LENGTH}, got ${length}`);
  }
  return hkdf(sha256, ikm, salt, utf8Encode(info), length);
}

/** HMAC-SHA-256(key, message), 32 bytes. */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  assertBytes(key, "key");
  assertBytes(message, "message");
  return hmac(sha256, key, message);
}
