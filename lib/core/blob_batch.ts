/**
 * The framed body of `POST /v1/blobs/batch` (PROTOCOL.md §9): for each asked id, in the order
 * asked, one frame — a status byte, a 4-byte big-endian length, then that many bytes. Status 0
 * carries the blob's bytes; status 1 says "not readable" (not allowed, unknown, or not stored on
 * this node yet, alike) and always has length 0, so the answer tells nothing of blobs the member
 * may not read, not even their sizes. Browser-compatible: the node writes frames, the album page
 * parses them as they arrive.
 *
 * @module
 */

/** At most this many ids per batch. */
export const BLOB_BATCH_MAX_IDS = 100;
/** At most this many blob bytes in one answer (a thumbnail is about 60 kB). */
export const BLOB_BATCH_MAX_BYTES = 16 * 1024 * 1024;
/** The blob's bytes follow. */
export const FRAME_BYTES = 0;
/** Not readable by this member here; length 0. */
export const FRAME_NOT_READABLE = 1;
/** Status byte + 4-byte big-endian length. */
export const FRAME_HEADER_BYTES = 5;

/** A frame's header: status, then the length of what follows (PROTOCOL.md §9). */
export function frameHeader(status: number, length: number): Uint8Array<ArrayBuffer> {
  if (status !== FRAME_BYTES && status !== FRAME_NOT_READABLE) {
    throw new RangeError(`Frame status expected 0 or 1, got ${status}`);
  }
  if (!Number.isInteger(length) || length < 0 || length > BLOB_BATCH_MAX_BYTES) {
    throw new RangeError(`Frame length expected 0…${BLOB_BATCH_MAX_BYTES}, got ${length}`);
  }
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  header[0] = status;
  new DataView(header.buffer).setUint32(1, length, false);
  return header;
}

/** One answered id: its bytes, or null when it is not readable. */
export interface BatchItem {
  index: number;
  bytes: Uint8Array | null;
}

/**
 * Reads frames from chunks split anywhere. `push()` returns the items a chunk completed;
 * `end()` throws if the body stopped inside a frame or before every expected item.
 */
export class BlobBatchParser {
  readonly #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerFill = 0;
  #body: Uint8Array | null = null;
  #bodyFill = 0;
  #index = 0;

  constructor(readonly expected: number) {
    if (!Number.isInteger(expected) || expected < 0) {
      throw new RangeError(`"expected" must be a count of ids, got ${expected}`);
    }
  }

  push(chunk: Uint8Array): BatchItem[] {
    const out: BatchItem[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.#index >= this.expected) {
        throw new SyntaxError(`Cannot read blob batch: data after its ${this.expected} frames`);
      }
      if (!this.#body) {
        const take = Math.min(FRAME_HEADER_BYTES - this.#headerFill, chunk.length - at);
        this.#header.set(chunk.subarray(at, at + take), this.#headerFill);
        this.#headerFill += take;
        at += take;
        if (this.#headerFill < FRAME_HEADER_BYTES) break;
        this.#headerFill = 0;
        const status = this.#header[0];
        const length = new DataView(this.#header.buffer).getUint32(1, false);
        if (status === FRAME_NOT_READABLE && length === 0) {
          out.push({ index: this.#index++, bytes: null });
        } else if (status !== FRAME_BYTES && status !== FRAME_NOT_READABLE) {
          throw new SyntaxError(`Cannot read blob batch: frame status ${status} is unknown`);
        } else if (status === FRAME_NOT_READABLE) {
          throw new SyntaxError("Cannot read blob batch: a not-readable frame carries bytes");
        } else if (length > BLOB_BATCH_MAX_BYTES) {
          throw new SyntaxError(`Cannot read blob batch: a frame of ${length} bytes is too long`);
        } else if (length === 0) {
          out.push({ index: this.#index++, bytes: new Uint8Array(0) });
        } else {
          this.#body = new Uint8Array(length);
          this.#bodyFill = 0;
        }
        continue;
      }
      const take = Math.min(this.#body.length - this.#bodyFill, chunk.length - at);
      this.#body.set(chunk.subarray(at, at + take), this.#bodyFill);
      this.#bodyFill += take;
      at += take;
      if (this.#bodyFill === this.#body.length) {
        out.push({ index: this.#index++, bytes: this.#body });
        this.#body = null;
      }
    }
    return out;
  }

  end(): void {
    if (this.#body || this.#headerFill > 0 || this.#index < this.expected) {
      throw new SyntaxError(
        `Cannot read blob batch: the body ended after ${this.#index} of ${this.expected} frames`,
      );
    }
  }
}

/** Yields each item as soon as its last byte arrived; throws on a damaged or cut body. */
export async function* readBlobBatch(
  body: ReadableStream<Uint8Array>,
  expected: number,
): AsyncGenerator<BatchItem> {
  const parser = new BlobBatchParser(expected);
  const reader = body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(value);
    }
    parser.end();
  } finally {
    await reader.cancel().catch(() => {});
  }
}
