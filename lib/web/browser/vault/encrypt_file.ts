/**
 * Encrypting a picked file into a blob ready to upload, hashing as it goes (FORMAT §3.5), and
 * hashing plaintext for dedup. Browser-compatible: streams, Blob and WebCrypto only.
 *
 * The ciphertext is gathered into a `Blob` in segments of a few MiB, so script memory holds
 * at most one segment: the browser may keep the finished segments on disk. The blob id must
 * be known before an upload session opens, hence encrypt first, upload second.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { blobId, BlobIdHasher, encryptBytes, encryptStream } from "../../../crypto/mod.ts";

export interface SealedBlob {
  blob: Blob;
  /** Blob id: hex SHA-256 of the ciphertext. */
  id: string;
  size: number;
}

const SEGMENT = 4 * 1024 * 1024;
/** Up to this size, plaintext is hashed natively in one piece; above it, streamed. */
const NATIVE_HASH_LIMIT = 64 * 1024 * 1024;

/** Counts bytes flowing through, for progress. */
function counting(onBytes: (n: number) => void): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(chunk, controller) {
      onBytes(chunk.length);
      controller.enqueue(chunk);
    },
  });
}

function throwIfAborted(signal?: AbortSignal) {
  if (signal?.aborted) throw signal.reason ?? new DOMException("Cancelled", "AbortError");
}

/** Encrypts `input` under `fileKey` into a Blob, hashing the ciphertext on the way. */
export async function encryptToBlob(
  fileKey: Uint8Array,
  input: ReadableStream<Uint8Array>,
  options: { onPlainBytes?: (n: number) => void; signal?: AbortSignal } = {},
): Promise<SealedBlob> {
  const plain = options.onPlainBytes ? input.pipeThrough(counting(options.onPlainBytes)) : input;
  const reader = encryptStream(fileKey, plain).getReader();
  const hasher = new BlobIdHasher();
  const segments: Blob[] = [];
  let parts: Uint8Array<ArrayBuffer>[] = [];
  let pending = 0;
  let size = 0;
  try {
    for (;;) {
      throwIfAborted(options.signal);
      const { value, done } = await reader.read();
      if (done) break;
      hasher.update(value);
      parts.push(value as Uint8Array<ArrayBuffer>);
      pending += value.length;
      size += value.length;
      if (pending >= SEGMENT) {
        segments.push(new Blob(parts));
        parts = [];
        pending = 0;
      }
    }
  } catch (err) {
    await reader.cancel(err).catch(() => {});
    throw err;
  }
  if (parts.length) segments.push(new Blob(parts));
  return { blob: new Blob(segments), id: hasher.digest(), size };
}

/** Encrypts small bytes (a thumbnail, a metadata document) in memory. */
export async function sealBytes(fileKey: Uint8Array, plaintext: Uint8Array): Promise<SealedBlob> {
  const bytes = await encryptBytes(fileKey, plaintext);
  return {
    blob: new Blob([bytes as Uint8Array<ArrayBuffer>]),
    id: await blobId(bytes),
    size: bytes.length,
  };
}

/** SHA-256 of a file's plaintext (for dedup), natively when it fits in memory comfortably. */
export async function sha256OfBlob(
  blob: Blob,
  options: { onBytes?: (n: number) => void; signal?: AbortSignal } = {},
): Promise<Uint8Array> {
  if (blob.size <= NATIVE_HASH_LIMIT) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
    options.onBytes?.(blob.size);
    return digest;
  }
  const hash = sha256.create();
  const reader = blob.stream().getReader();
  for (;;) {
    throwIfAborted(options.signal);
    const { value, done } = await reader.read();
    if (done) break;
    hash.update(value);
    options.onBytes?.(value.length);
  }
  return hash.digest();
}
