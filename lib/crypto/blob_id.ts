/**
 * Blob ids: lowercase hex SHA-256 of the whole ciphertext, header included (FORMAT §3.5).
 * Browser-compatible: no I/O, no Deno or Node APIs.
 *
 * The id names ciphertext, not plaintext, so nodes can verify every copy they store without
 * any key, and equal photos encrypted twice get unrelated ids.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { assertBytes, bufferSource, toHex } from "./bytes.ts";

/** The shape of a blob id: 64 lowercase hex digits. */
export const BLOB_ID_PATTERN: RegExp = /^[0-9a-f]{64}$/;

/** True when `value` is a well-formed blob id (check before using it as a file name). */
export function isBlobId(value: unknown): value is string {
  return typeof value === "string" && BLOB_ID_PATTERN.test(value);
}

/** The blob id of `ciphertext`, hashed natively by WebCrypto. */
export async function blobId(ciphertext: Uint8Array): Promise<string> {
  assertBytes(ciphertext, "ciphertext");
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bufferSource(ciphertext))));
}

/**
 * Incremental blob id for ciphertext that flows through a stream (WebCrypto has no
 * incremental digest). Pure JS, so slower than {@link blobId}; on the server, prefer a native
 * hash over the same bytes.
 */
export class BlobIdHasher {
  #hash = sha256.create();
  #done = false;

  /** Feeds the next ciphertext bytes, in order. */
  update(bytes: Uint8Array): this {
    assertBytes(bytes, "bytes");
    if (this.#done) throw new TypeError("BlobIdHasher.update() called after digest()");
    this.#hash.update(bytes);
    return this;
  }

  /** The blob id of everything fed so far; the hasher cannot be used afterwards. */
  digest(): string {
    if (this.#done) throw new TypeError("BlobIdHasher.digest() called twice");
    this.#done = true;
    return toHex(this.#hash.digest());
  }
}
