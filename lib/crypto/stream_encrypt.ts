/**
 * Encrypting into blob format v1 as a stream (FORMAT §3–§4). Browser-compatible: no I/O, no
 * Deno or Node APIs.
 *
 * Memory stays bounded whatever the input size: the encoder holds at most one plaintext chunk
 * plus one input piece, and produces one sealed chunk per pull, so a slow consumer (an upload)
 * pauses the producer (a file reader) through ordinary stream backpressure.
 *
 * @module
 */

import { ByteQueue } from "./_byte_queue.ts";
import { assertReadable, bytesToStream, gather } from "./_streams.ts";
import { sealChunk } from "./_chunk.ts";
import {
  type BlobKeys,
  CHUNK_SIZE,
  ciphertextSize,
  deriveBlobKeys,
  encodeHeader,
  FILE_KEY_SIZE,
  MAX_CHUNK_COUNTER,
  SALT_SIZE,
} from "./blob_format.ts";
import { assertBytes } from "./bytes.ts";
import { PayloadError } from "./errors.ts";
import { randomBytes } from "./random.ts";

/** A fresh random 32-byte file key (FORMAT §3.4). */
export function newFileKey(): Uint8Array {
  return randomBytes(FILE_KEY_SIZE);
}

/**
 * Encrypts `input` under `fileKey` into a blob: header, then sealed chunks. The output's chunks
 * are the header (75 bytes) followed by one sealed chunk each. A fresh random salt is drawn
 * per call, so encrypting the same bytes twice gives two different blobs (and blob ids).
 */
export function encryptStream(
  fileKey: Uint8Array,
  input: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  assertBytes(fileKey, "fileKey", FILE_KEY_SIZE);
  return encryptStreamWithSalt(fileKey, randomBytes(SALT_SIZE), input);
}

/**
 * {@link encryptStream} with a caller-chosen salt. Internal: only deterministic test vectors
 * may fix the salt; reusing a salt with the same file key reuses nonces (FORMAT §3.4).
 * Not re-exported from mod.ts.
 */
export function encryptStreamWithSalt(
  fileKey: Uint8Array,
  salt: Uint8Array,
  input: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  assertBytes(fileKey, "fileKey", FILE_KEY_SIZE);
  assertBytes(salt, "salt", SALT_SIZE);
  const reader = assertReadable(input, "input").getReader();
  const queue = new ByteQueue();
  let keys: BlobKeys | undefined;
  let counter = 0;
  let ended = false;

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (keys === undefined) {
          keys = await deriveBlobKeys(fileKey, salt);
          controller.enqueue(encodeHeader(keys.headerKey, salt));
          return;
        }
        // FORMAT §4.1: a chunk is final iff no byte follows it, so read until more than one
        // chunk is queued (then the first is certainly not final) or the input ends.
        while (!ended && queue.length <= CHUNK_SIZE) {
          const { value, done } = await reader.read();
          if (done) ended = true;
          else queue.push(assertBytes(value, "input chunk"));
        }
        const final = queue.length <= CHUNK_SIZE;
        if (counter > MAX_CHUNK_COUNTER) {
          throw new PayloadError("too_long", "Cannot encrypt blob: chunk counter overflow");
        }
        // An empty final chunk happens only when the whole plaintext is empty (FORMAT §4.3):
        // a plaintext of k × 64 KiB ends in a full final chunk because of the lookahead above.
        const sealed = await sealChunk(
          keys.payloadKey,
          counter,
          final,
          queue.take(Math.min(queue.length, CHUNK_SIZE)),
        );
        counter++;
        controller.enqueue(sealed);
        if (final) controller.close();
      } catch (error) {
        reader.cancel(error).catch(() => {});
        throw error;
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** Encrypts bytes in memory: {@link encryptStream} with the output gathered. */
export async function encryptBytes(
  fileKey: Uint8Array,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  assertBytes(fileKey, "fileKey", FILE_KEY_SIZE);
  assertBytes(plaintext, "plaintext");
  return await gather(
    encryptStream(fileKey, bytesToStream(plaintext, CHUNK_SIZE)),
    ciphertextSize(plaintext.length),
  );
}

/** @internal Same as {@link encryptBytes} with a fixed salt, for test vectors only. */
export async function encryptBytesWithSalt(
  fileKey: Uint8Array,
  salt: Uint8Array,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  assertBytes(plaintext, "plaintext");
  return await gather(
    encryptStreamWithSalt(fileKey, salt, bytesToStream(plaintext, CHUNK_SIZE)),
    ciphertextSize(plaintext.length),
  );
}
