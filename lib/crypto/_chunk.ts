/**
 * Sealing and opening one payload chunk with WebCrypto AES-256-GCM (FORMAT §4.2). Private to
 * lib/crypto; the vector generator also uses it to build deliberately invalid blobs.
 * Browser-compatible: no I/O, no Deno or Node APIs.
 *
 * @module
 */

import { chunkNonce } from "./blob_format.ts";
import { bufferSource } from "./bytes.ts";

/** Encrypts one chunk: ciphertext ‖ 16-byte tag. No associated data (FORMAT §4.2). */
export async function sealChunk(
  key: CryptoKey,
  counter: number,
  final: boolean,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  const iv = chunkNonce(counter, final);
  return new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, bufferSource(plaintext)),
  );
}

/**
 * Decrypts one chunk, or returns `null` when its tag does not verify under this counter and
 * flag. WebCrypto only returns plaintext after the tag has verified, which is what lets the
 * stream decoder promise it never releases unauthenticated bytes.
 */
export async function openChunk(
  key: CryptoKey,
  counter: number,
  final: boolean,
  sealed: Uint8Array,
): Promise<Uint8Array | null> {
  const iv = chunkNonce(counter, final);
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, bufferSource(sealed)),
    );
  } catch (error) {
    // OperationError is WebCrypto's only signal for a failed tag; anything else is a bug.
    if (error instanceof DOMException && error.name === "OperationError") return null;
    throw error;
  }
}
