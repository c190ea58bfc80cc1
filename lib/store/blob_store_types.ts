/**
 * Option and result shapes of {@link BlobStore}, with the argument checks that run before
 * any filesystem access.
 */

import type { BlobId } from "./blob_id.ts";

export interface PutOptions {
  /** Reject with `TooLargeError` once more than this many bytes arrive. */
  maxBytes?: number;
  /** Aborting stops the upload and removes its partial file. */
  signal?: AbortSignal;
  /** Fail with `StalledError` (nothing kept) when the stream delivers nothing for this long. */
  stallMs?: number;
  /**
   * Called once every byte has arrived and hashed to the id, before the bytes are made
   * durable: the put has not succeeded yet, but the source is done with. Not called for a
   * blob that was already stored.
   */
  onReceived?: () => void;
}

export interface PutResult {
  id: BlobId;
  size: number;
  /** `false` when the blob was already stored (the stream was verified, not written). */
  created: boolean;
}

export interface BlobStat {
  size: number;
  mtime: Date | null;
}

/** Inclusive byte range, as in an HTTP `Range: bytes=start-end` header. */
export interface ByteRange {
  start: number;
  /** Inclusive; defaults to the last byte, and is clamped to it. */
  end?: number;
}

export interface BlobRead {
  stream: ReadableStream<Uint8Array>;
  /** Size of the whole blob, for `Content-Range: bytes start-end/size`. */
  size: number;
  start: number;
  /** Inclusive; `-1` for an empty blob read whole. */
  end: number;
}

export interface ListOptions {
  /** Return ids greater than this one: the previous page's `next`. */
  after?: BlobId;
  /** @default 1000 */
  limit?: number;
}

export interface ListPage {
  ids: BlobId[];
  /** Present when more ids follow; pass it as `after`. */
  next?: BlobId;
}

export interface ScrubOptions {
  onProgress?(done: number, total: number): void;
  signal?: AbortSignal;
}

export interface ScrubReport {
  checked: number;
  /** Ids whose stored bytes no longer hash to the id. */
  corrupt: BlobId[];
}

/** Largest page `list()` returns, so one call stays cheap. */
export const MAX_LIST_LIMIT = 10_000;

export function checkPutOptions(options: PutOptions): void {
  const { maxBytes, stallMs } = options;
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
    throw new RangeError(`"maxBytes" expected a non-negative integer, got ${maxBytes}`);
  }
  if (stallMs !== undefined && !(stallMs > 0 && stallMs <= 2 ** 31 - 1)) {
    throw new RangeError(`"stallMs" expected a positive number of milliseconds, got ${stallMs}`);
  }
}

export function checkRange(range: ByteRange): void {
  const { start, end } = range;
  if (!(Number.isSafeInteger(start) && start >= 0)) {
    throw new RangeError(`"start" expected a non-negative integer, got ${start}`);
  }
  if (end !== undefined && !(Number.isSafeInteger(end) && end >= start)) {
    throw new RangeError(`"end" expected an integer >= start (${start}), got ${end}`);
  }
}

/** @returns the effective limit. */
export function checkListOptions(options: ListOptions): number {
  const limit = options.limit ?? 1000;
  if (!(Number.isSafeInteger(limit) && limit >= 1 && limit <= MAX_LIST_LIMIT)) {
    throw new RangeError(`"limit" expected an integer from 1 to ${MAX_LIST_LIMIT}, got ${limit}`);
  }
  return limit;
}
