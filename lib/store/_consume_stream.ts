/**
 * The read loop behind `BlobStore.put()`: pulls a stream one chunk at a time, hashing and
 * counting, and hands each chunk to a sink before asking for the next. Awaiting the sink is
 * the backpressure that keeps memory bounded whatever the blob size.
 */

import { createHash } from "node:crypto";
import { TooLargeError } from "../core/errors.ts";
import type { HashResult } from "./hash_file.ts";

export interface ConsumeOptions {
  /** Fail with {@link TooLargeError} as soon as more bytes than this arrive. */
  maxBytes?: number;
  signal?: AbortSignal;
  /** Names the operation in error messages. */
  what: string;
}

/**
 * Reads `source` to the end and returns its SHA-256 and size. On any failure (the source
 * errors, the limit is exceeded, the signal aborts, the sink throws) the source is cancelled,
 * so an HTTP body or generator stops producing, and the error is rethrown.
 */
export async function consumeStream(
  source: ReadableStream<Uint8Array>,
  sink: (chunk: Uint8Array) => Promise<void> | void,
  options: ConsumeOptions,
): Promise<HashResult> {
  const { maxBytes, signal, what } = options;
  const reader = source.getReader();
  // Cancelling makes a pending read() resolve as `done`; the check after each read turns
  // that into the abort it really is, so a cut-off upload is never taken for a short blob.
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  const hash = createHash("sha256");
  let size = 0;
  try {
    signal?.throwIfAborted();
    while (true) {
      const { done, value } = await reader.read();
      signal?.throwIfAborted();
      if (done) break;
      size += value.byteLength;
      if (maxBytes !== undefined && size > maxBytes) {
        throw new TooLargeError(`Cannot ${what}: it exceeds the limit of ${maxBytes} bytes`);
      }
      hash.update(value);
      await sink(value);
    }
    return { hex: hash.digest("hex"), size };
  } catch (err) {
    // Rejects when the source itself errored; the original error is the one that matters.
    await reader.cancel(err).catch(() => {});
    throw err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
}
