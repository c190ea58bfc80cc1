/**
 * Blob format v1 (FORMAT §3, §4), written from the text with @noble/ciphers AES-GCM and
 * @noble/hashes HKDF/HMAC/SHA-256. Part of the second implementation: imports nothing from lib/.
 *
 * Whole-buffer, not streaming: the rules of §4.4 are stated over pieces of the input, and a
 * buffer is the plainest reading of them.
 *
 * @module
 */

import { gcm } from "@noble/ciphers/aes.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, hex, utf8 } from "./encoding.ts";
import { Failure } from "./failure.ts";

const MAGIC = utf8("P2POSBLB");
export const HEADER_LENGTH = 75;
export const CHUNK = 65536;
export const TAG = 16;
export const SEALED = CHUNK + TAG;

const header = (code: string, detail?: string) => new Failure("header", code, detail);
const payload = (code: string, detail?: string) => new Failure("payload", code, detail);

/** §3.4: the header key and the payload key of a blob. */
export function blobKeys(fileKey: Uint8Array, salt: Uint8Array) {
  return {
    headerKey: hkdf(sha256, fileKey, salt, utf8("p2pos blob v1 header"), 32),
    payloadKey: hkdf(sha256, fileKey, salt, utf8("p2pos blob v1 payload"), 32),
  };
}

/** §4.2: 11-byte big-endian chunk index ‖ last-chunk flag. */
export function nonce(index: number, final: boolean): Uint8Array {
  const out = new Uint8Array(12);
  let i = index;
  for (let at = 10; at >= 0 && i > 0; at--, i = Math.floor(i / 256)) out[at] = i % 256;
  out[11] = final ? 1 : 0;
  return out;
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** AES-256-GCM open, or null when the tag fails. */
function open(key: Uint8Array, index: number, final: boolean, sealed: Uint8Array) {
  try {
    return gcm(key, nonce(index, final)).decrypt(sealed);
  } catch {
    return null;
  }
}

/** §3.3: the header checks in order; returns the payload key. */
function readHeader(fileKey: Uint8Array, blob: Uint8Array): Uint8Array {
  const available = blob.subarray(0, HEADER_LENGTH);
  for (let i = 0; i < Math.min(available.length, MAGIC.length); i++) {
    if (available[i] !== MAGIC[i]) throw header("magic");
  }
  if (available.length > 8 && available[8] !== 1) throw header("unknown_version");
  if (available.length > 9 && available[9] !== 1) throw header("unknown_suite");
  if (available.length > 10 && available[10] !== 0) throw header("flags");
  if (available.length < HEADER_LENGTH) throw header("truncated");
  const { headerKey, payloadKey } = blobKeys(fileKey, available.subarray(11, 43));
  const mac = hmac(sha256, headerKey, available.subarray(0, 43));
  if (!constantTimeEqual(mac, available.subarray(43, 75))) throw header("header_mac");
  return payloadKey;
}

/** §3.3 then §4.4: the plaintext of `blob`, or a Failure with the code the text gives. */
export function openBlob(fileKey: Uint8Array, blob: Uint8Array): Uint8Array {
  if (fileKey.length !== 32) throw new RangeError("a file key is 32 bytes");
  const key = readHeader(fileKey, blob);
  const payload_ = blob.subarray(HEADER_LENGTH);
  if (payload_.length === 0) throw payload("truncated", "no chunk after the header");
  const parts: Uint8Array[] = [];
  for (let i = 0, at = 0;; i++, at += SEALED) {
    const piece = payload_.subarray(at, at + SEALED);
    const last = at + SEALED >= payload_.length;
    if (!last) {
      const plain = open(key, i, false, piece);
      if (plain !== null) {
        parts.push(plain);
        continue;
      }
      throw open(key, i, true, piece) !== null ? payload("trailing_data") : payload("tag");
    }
    if (piece.length < TAG) throw payload("truncated", "last piece shorter than a tag");
    const plain = open(key, i, true, piece);
    if (plain === null) {
      throw open(key, i, false, piece) !== null ? payload("truncated") : payload("tag");
    }
    if (plain.length === 0 && i > 0) throw payload("empty_final_chunk");
    parts.push(plain);
    break;
  }
  return concat(...parts);
}

/** §3, §4.1–§4.3: the blob of `plaintext` under `fileKey` with the given salt. */
export function sealBlob(fileKey: Uint8Array, salt: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (fileKey.length !== 32 || salt.length !== 32) throw new RangeError("key and salt: 32 bytes");
  const { headerKey, payloadKey } = blobKeys(fileKey, salt);
  const head = new Uint8Array(HEADER_LENGTH);
  head.set(MAGIC);
  head.set([1, 1, 0], 8);
  head.set(salt, 11);
  head.set(hmac(sha256, headerKey, head.subarray(0, 43)), 43);
  const count = Math.max(1, Math.ceil(plaintext.length / CHUNK));
  const out = new Uint8Array(HEADER_LENGTH + plaintext.length + TAG * count);
  out.set(head);
  for (let i = 0; i < count; i++) {
    const chunk = plaintext.subarray(i * CHUNK, (i + 1) * CHUNK);
    out.set(
      gcm(payloadKey, nonce(i, i === count - 1)).encrypt(chunk),
      HEADER_LENGTH + i * SEALED,
    );
  }
  return out;
}

/** §3.5: lowercase hex SHA-256 of the whole blob. */
export function blobIdOf(blob: Uint8Array): string {
  return hex(sha256(blob));
}

/** §4.1: the length of the blob of an n-byte plaintext. */
export function blobLength(n: number): number {
  return HEADER_LENGTH + n + TAG * Math.max(1, Math.ceil(n / CHUNK));
}
