/**
 * Decrypting blob format v1 as a stream (FORMAT §3.3, §4.4). Browser-compatible: no I/O, no
 * Deno or Node APIs.
 *
 * Guarantees:
 * - No plaintext byte is released before the tag of its chunk has verified.
 * - A chunk is decrypted as final only when the input has ended after it, and as non-final
 *   only when more bytes follow; so truncation, trailing data, reordering and splicing all end
 *   the stream with a {@link HeaderError} or {@link PayloadError} (FORMAT §4.4).
 * - Memory is bounded: at most one sealed chunk plus one input piece is held.
 *
 * Earlier chunks are authentic on their own but the blob is only complete when the stream
 * closes without error: consumers must write to a temporary place and commit on close.
 *
 * @module
 */

import { ByteQueue } from "./_byte_queue.ts";
import { openChunk } from "./_chunk.ts";
import { assertReadable } from "./_streams.ts";
import {
  type BlobKeys,
  deriveBlobKeys,
  FILE_KEY_SIZE,
  HEADER_SIZE,
  MAX_CHUNK_COUNTER,
  parseHeader,
  SEALED_CHUNK_SIZE,
  TAG_SIZE,
  verifyHeaderMac,
} from "./blob_format.ts";
import { assertBytes, concatBytes } from "./bytes.ts";
import { PayloadError } from "./errors.ts";

/** Decrypts a blob stream under `fileKey`; errors the output stream on any failed check. */
export function decryptStream(
  fileKey: Uint8Array,
  input: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  assertBytes(fileKey, "fileKey", FILE_KEY_SIZE);
  const reader = assertReadable(input, "input").getReader();
  const queue = new ByteQueue();
  let keys: BlobKeys | undefined;
  let counter = 0;
  let ended = false;

  /** Reads until more than `n` bytes are queued or the input ends. */
  async function fillBeyond(n: number): Promise<void> {
    while (!ended && queue.length <= n) {
      const { value, done } = await reader.read();
      if (done) ended = true;
      else queue.push(assertBytes(value, "input chunk"));
    }
  }

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        // Every pull must enqueue or close (a pull that does neither is never repeated), so
        // the header is checked in the same pull as the first chunk.
        keys ??= await openHeader(fileKey, queue, fillBeyond);
        await fillBeyond(SEALED_CHUNK_SIZE);
        if (counter > MAX_CHUNK_COUNTER) {
          throw new PayloadError("too_long", "Cannot decrypt blob: chunk counter overflow");
        }
        if (queue.length > SEALED_CHUNK_SIZE) {
          // More bytes follow, so this chunk must be a non-final one (FORMAT §4.4 rule 2).
          controller.enqueue(
            await openMiddle(keys.payloadKey, counter, queue.take(SEALED_CHUNK_SIZE)),
          );
          counter++;
          return;
        }
        const plaintext = await openLast(keys.payloadKey, counter, queue.take(queue.length));
        if (plaintext.length > 0) controller.enqueue(plaintext);
        controller.close();
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

/** FORMAT §3.3: parse the header, derive the blob keys, verify the MAC, in that order. */
async function openHeader(
  fileKey: Uint8Array,
  queue: ByteQueue,
  fillBeyond: (n: number) => Promise<void>,
): Promise<BlobKeys> {
  await fillBeyond(HEADER_SIZE - 1);
  return await openHeaderBytes(fileKey, queue.take(Math.min(queue.length, HEADER_SIZE)));
}

/** FORMAT §3.3 on the header's bytes (fewer than HEADER_SIZE when the blob is that short). */
async function openHeaderBytes(fileKey: Uint8Array, header: Uint8Array): Promise<BlobKeys> {
  const salt = parseHeader(header);
  const keys = await deriveBlobKeys(fileKey, salt);
  verifyHeaderMac(header, keys.headerKey);
  return keys;
}

/** A chunk followed by more bytes: must open with the non-final flag. */
async function openMiddle(key: CryptoKey, counter: number, sealed: Uint8Array) {
  const plaintext = await openChunk(key, counter, false, sealed);
  if (plaintext !== null) return plaintext;
  // Diagnose only after failing; nothing from this trial is released.
  if (await openChunk(key, counter, true, sealed) !== null) {
    throw new PayloadError(
      "trailing_data",
      `Cannot decrypt blob: data follows the final chunk (chunk ${counter})`,
    );
  }
  throw chunkTagError(counter);
}

/** The last piece of input: must open with the final flag. */
async function openLast(key: CryptoKey, counter: number, sealed: Uint8Array) {
  if (sealed.length < TAG_SIZE) {
    throw new PayloadError(
      "truncated",
      counter === 0 && sealed.length === 0
        ? "Cannot decrypt blob: the payload is missing (no chunk after the header)"
        : `Cannot decrypt blob: chunk ${counter} is ${sealed.length} bytes, shorter than a tag`,
    );
  }
  const plaintext = await openChunk(key, counter, true, sealed);
  if (plaintext === null) {
    if (await openChunk(key, counter, false, sealed) !== null) {
      throw new PayloadError(
        "truncated",
        `Cannot decrypt blob: it ends after chunk ${counter}, which is not the final chunk`,
      );
    }
    throw chunkTagError(counter);
  }
  if (plaintext.length === 0 && counter > 0) {
    // FORMAT §4.3: one plaintext, one chunking. Accepting this would let two encodings of the
    // same plaintext exist, and two implementations disagree about which blobs are valid.
    throw new PayloadError(
      "empty_final_chunk",
      `Cannot decrypt blob: final chunk ${counter} is empty but the payload is not`,
    );
  }
  return plaintext;
}

function chunkTagError(counter: number): PayloadError {
  return new PayloadError(
    "tag",
    `Cannot decrypt blob: chunk ${counter} does not authenticate ` +
      "(altered, reordered, from another blob, or cut short)",
  );
}

/**
 * Decrypts a blob held in memory, with exactly {@link decryptStream}'s checks and errors
 * (the vectors run both and require the same outcome), chunk by chunk over the array instead
 * of through streams: a thumbnail or a taken-at value is one chunk, and a stream's turns
 * cost more than its decryption (docs/BENCHMARKS.md, "The reload's profile").
 */
export async function decryptBytes(
  fileKey: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  assertBytes(fileKey, "fileKey", FILE_KEY_SIZE);
  assertBytes(ciphertext, "ciphertext");
  const keys = await openHeaderBytes(fileKey, ciphertext.subarray(0, HEADER_SIZE));
  const parts: Uint8Array[] = [];
  let offset = HEADER_SIZE;
  for (let counter = 0;; counter++) {
    if (counter > MAX_CHUNK_COUNTER) {
      throw new PayloadError("too_long", "Cannot decrypt blob: chunk counter overflow");
    }
    if (ciphertext.length - offset > SEALED_CHUNK_SIZE) {
      // More bytes follow, so this chunk must be a non-final one (FORMAT §4.4 rule 2).
      const end = offset + SEALED_CHUNK_SIZE;
      parts.push(await openMiddle(keys.payloadKey, counter, ciphertext.subarray(offset, end)));
      offset = end;
      continue;
    }
    parts.push(await openLast(keys.payloadKey, counter, ciphertext.subarray(offset)));
    return parts.length === 1 ? parts[0] : concatBytes(...parts);
  }
}
