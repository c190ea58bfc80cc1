/**
 * The read loop behind `BlobStore.put()`: pulls a stream one chunk at a time, hashing and
 * counting, and hands the bytes to a {@link ByteSink} before asking for more.
 * Awaiting the writer is the backpressure that keeps memory bounded whatever the blob size.
 *
 * A byte stream (an HTTP request or response body in Deno) is read with a BYOB reader
 * straight into the writer's buffer; any other stream chunk by chunk, copied in.
 *
 * With `stallMs`, a source that delivers nothing for that long is cancelled and the put
 * fails with {@link StalledError}: a sender that vanished without closing its connection,
 * or a body that never ends, cannot hold a transfer (and what waits on it) forever. Only
 * the wait for the source counts, never the writer's wait for the disk.
 */

import { createHash } from "node:crypto";
import { StalledError, TooLargeError } from "../core/errors.ts";
import { faultArmed } from "../core/faults.ts";
import type { HashResult } from "./hash_file.ts";

/**
 * Where {@link consumeStream} puts the bytes: a {@link BufferedWriter} (a file) or the S3
 * store's part writer. `space()` lends the free part of a buffer for a BYOB read, which
 * `filled()` takes back; `write()` copies a chunk in. Awaiting either is the backpressure.
 */
export interface ByteSink {
  space(): Uint8Array<ArrayBuffer> | Promise<Uint8Array<ArrayBuffer>>;
  filled(view: Uint8Array | undefined): Promise<void>;
  write(chunk: Uint8Array): Promise<void>;
}

export interface ConsumeOptions {
  /** Fail with {@link TooLargeError} as soon as more bytes than this arrive. */
  maxBytes?: number;
  signal?: AbortSignal;
  /** Fail with {@link StalledError} when the source delivers nothing for this long. */
  stallMs?: number;
  /** Names the operation in error messages. */
  what: string;
}

type Reader = ReadableStreamBYOBReader | ReadableStreamDefaultReader<Uint8Array>;

/**
 * Workaround for a Deno bug (seen in Deno 2.9.6): a BYOB read of a *chunked* request body
 * of `Deno.serve` never resolves when its view is shorter than the next chunk-size line
 * (`10000\r\n` is 7 bytes; the closing `0\r\n\r\n` is 5). A `Content-Length` body and
 * fetch response bodies are not affected. So when the writer's buffer has less room than
 * this left, the read goes into a scratch buffer of this size and is copied in (at most
 * 1/16 of the bytes). Remove when Deno reads small views of chunked bodies;
 * tests/integration/edge_sizes_test.ts pushes and uploads every size around the buffer
 * edges in both encodings and would hang again.
 */
export const MIN_BYOB_VIEW = 64 * 1024;

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
  writer: ByteSink,
  options: ConsumeOptions,
): Promise<HashResult> {
  const { maxBytes, stallMs, what } = options;
  const { reader, byob } = readerFor(source);
  const stall = stallMs === undefined ? undefined : new AbortController();
  const signal = stall
    ? (options.signal ? AbortSignal.any([options.signal, stall.signal]) : stall.signal)
    : options.signal;
  // Cancelling makes a pending read() resolve as `done`; the check after each read turns
  // that into the abort it really is, so a cut-off upload is never taken for a short blob.
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  const hash = createHash("sha256");
  let size = 0;
  let scratch: Uint8Array<ArrayBuffer> | undefined;
  const minView = faultArmed("byob.no-workaround") ? 1 : MIN_BYOB_VIEW;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const read = async <T>(reading: Promise<T>): Promise<T> => {
    if (stall) {
      timer = setTimeout(
        () =>
          stall.abort(
            new StalledError(`Cannot ${what}: no bytes arrived for ${stallMs} ms (${size} so far)`),
          ),
        stallMs,
      );
    }
    try {
      return await reading;
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    signal?.throwIfAborted();
    while (true) {
      let done: boolean;
      let value: Uint8Array | undefined;
      let copy = !byob;
      if (byob) {
        let view = await writer.space();
        if (view.byteLength < minView) {
          view = scratch ?? new Uint8Array(MIN_BYOB_VIEW);
          copy = true;
        }
        ({ done, value } = await read((reader as ReadableStreamBYOBReader).read(view)));
        if (copy && value) scratch = new Uint8Array(value.buffer as ArrayBuffer);
      } else {
        ({ done, value } = await read((reader as ReadableStreamDefaultReader<Uint8Array>).read()));
      }
      signal?.throwIfAborted();
      if (done) {
        // A closed byte stream hands the (empty) view back: the writer needs its buffer.
        if (byob && !copy) await writer.filled(value);
        break;
      }
      size += value!.byteLength;
      if (maxBytes !== undefined && size > maxBytes) {
        throw new TooLargeError(`Cannot ${what}: it exceeds the limit of ${maxBytes} bytes`);
      }
      hash.update(value!);
      await (copy ? writer.write(value!) : writer.filled(value));
    }
    return { hex: hash.digest("hex"), size };
  } catch (err) {
    // Rejects when the source itself errored; the original error is the one that matters.
    await reader.cancel(err).catch(() => {});
    throw err;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
}
