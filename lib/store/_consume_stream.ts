/**
 * The read loop behind `BlobStore.put()`: pulls a stream one chunk at a time, hashing and
 * counting, and hands the bytes to a {@link BufferedWriter} before asking for more.
 * Awaiting the writer is the backpressure that keeps memory bounded whatever the blob size.
 *
 * A byte stream (an HTTP request or response body in Deno) is read with a BYOB reader
 * straight into the writer's buffer; any other stream chunk by chunk, copied in.
 */

import { createHash } from "node:crypto";
import { TooLargeError } from "../core/errors.ts";
import type { HashResult } from "./hash_file.ts";
import type { BufferedWriter } from "./_buffered_writer.ts";

export interface ConsumeOptions {
  /** Fail with {@link TooLargeError} as soon as more bytes than this arrive. */
  maxBytes?: number;
  signal?: AbortSignal;
  /** Names the operation in error messages. */
  what: string;
}

type Reader = ReadableStreamBYOBReader | ReadableStreamDefaultReader<Uint8Array>;

function readerFor(source: ReadableStream<Uint8Array>): { reader: Reader; byob: boolean } {
  try {
    return { reader: source.getReader({ mode: "byob" }), byob: true };
  } catch (err) {
    // Only a byte stream has a BYOB reader; anything else throws TypeError and is read
    // the ordinary way. A locked stream throws TypeError for both, and again below.
    if (!(err instanceof TypeError)) throw err;
    return { reader: source.getReader(), byob: false };
  }
}

/**
 * Reads `source` to the end into `writer` and returns its SHA-256 and size. On any failure
 * (the source errors, the limit is exceeded, the signal aborts, the writer throws) the
 * source is cancelled, so an HTTP body or generator stops producing, and the error is
 * rethrown.
 */
export async function consumeStream(
  source: ReadableStream<Uint8Array>,
  writer: BufferedWriter,
  options: ConsumeOptions,
): Promise<HashResult> {
  const { maxBytes, signal, what } = options;
  const { reader, byob } = readerFor(source);
  // Cancelling makes a pending read() resolve as `done`; the check after each read turns
  // that into the abort it really is, so a cut-off upload is never taken for a short blob.
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  const hash = createHash("sha256");
  let size = 0;
  try {
    signal?.throwIfAborted();
    while (true) {
      const { done, value } = byob
        ? await (reader as ReadableStreamBYOBReader).read(writer.space())
        : await (reader as ReadableStreamDefaultReader<Uint8Array>).read();
      signal?.throwIfAborted();
      if (done) {
        // A closed byte stream hands the (empty) view back: the writer needs its buffer.
        if (byob) await writer.filled(value);
        break;
      }
      size += value.byteLength;
      if (maxBytes !== undefined && size > maxBytes) {
        throw new TooLargeError(`Cannot ${what}: it exceeds the limit of ${maxBytes} bytes`);
      }
      hash.update(value);
      await (byob ? writer.filled(value) : writer.write(value));
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
