/**
 * The blob store contract (DESIGN §10): content-addressed, immutable blobs keyed by the
 * SHA-256 of their bytes. Replication and the vault see only this interface; `main.ts`
 * picks a backend: {@link FsBlobStore} (files in the data dir) or `S3BlobStore` (objects
 * in an S3-compatible bucket).
 *
 * Every backend keeps the same promises, and the one test suite (`blob_store_test.ts`)
 * holds each to them:
 * - `put()` resolves only once the backend has durably accepted the complete blob whose
 *   bytes hash to its id; nothing half-written or mis-hashed is ever visible under an id.
 * - Ids are validated before any I/O (ValidationError).
 * - `list()` yields ids in ascending byte order, in pages of the same shape.
 * - A missing blob is `NotFoundError` from a read, `null` from `stat()`, `false` from
 *   `has()` and `delete()`.
 * - A backend that cannot be reached fails with `StoreUnavailableError`, never by
 *   pretending a blob is absent.
 */

import type { BlobId } from "./blob_id.ts";
import type {
  BlobRead,
  BlobStat,
  ByteRange,
  ListOptions,
  ListPage,
  PutOptions,
  PutResult,
  ScrubOptions,
  ScrubReport,
} from "./blob_store_types.ts";

/** What the Nodes page shows about a store: no credentials, ever. */
export interface BlobStoreInfo {
  backend: "fs" | "s3";
  /** Where the blobs are, for an operator: a directory, or `endpoint/bucket/prefix`. */
  location: string;
  /** Bytes in total and free, where the backend reports them (object stores do not). */
  capacity?: { totalBytes: number; freeBytes: number };
  /** Why the store cannot be used right now (an object store that is down), if it cannot. */
  problem?: string;
}

export interface BlobStore {
  /**
   * The node's data directory on local disk. Whatever the backend, resumable uploads are
   * staged under it (`uploads/`) until they are finished and moved into the store.
   */
  readonly root: string;
  /** Prepares the backend and removes what a crash left half-done. Idempotent. */
  open(): Promise<this>;
  /**
   * Stores the bytes of `stream` as blob `id`, resolving once they are durable. Throws
   * IntegrityError if they do not hash to `id`, TooLargeError past `maxBytes`, or the
   * stream's own error / the abort reason; in every case nothing is kept. A blob already
   * stored: the stream is still read and verified, nothing is written (`created: false`).
   */
  put(id: BlobId, stream: ReadableStream<Uint8Array>, options?: PutOptions): Promise<PutResult>;
  /**
   * Stores a finished local file (a resumable upload) as blob `id` after hashing it. The
   * file is consumed when it is stored or already was; on an IntegrityError it is left for
   * the caller to remove.
   */
  importFile(id: BlobId, path: string): Promise<PutResult>;
  stat(id: BlobId): Promise<BlobStat | null>;
  has(id: BlobId): Promise<boolean>;
  /**
   * Which of `ids` are stored, in the order given: for inventories, where a peer lists
   * thousands at once. An object store answers from a listing of the id range rather than
   * a request per id.
   */
  hasMany(ids: BlobId[]): Promise<boolean[]>;
  /**
   * Streams a blob or an inclusive byte range of it (RFC 9110 §14.1.2: `end` is clamped, a
   * `start` at or past the size is RangeNotSatisfiableError). Read to the end or cancel.
   */
  get(id: BlobId, range?: ByteRange): Promise<BlobRead>;
  /** A whole small blob in memory; RangeError when it is larger than `maxBytes`. */
  readBytes(id: BlobId, maxBytes: number): Promise<Uint8Array<ArrayBuffer>>;
  /** A whole blob as a stream to send as it is. */
  readable(id: BlobId): Promise<{ stream: ReadableStream<Uint8Array>; size: number }>;
  /** Ids in ascending order, `limit` at a time; pass `next` as `after` for the next page. */
  list(options?: ListOptions): Promise<ListPage>;
  /** Removes a blob durably; `false` if it was not stored. */
  delete(id: BlobId): Promise<boolean>;
  /** Re-hashes every stored blob, streaming; reports (never deletes) corrupt ones. */
  scrub(options?: ScrubOptions): Promise<ScrubReport>;
  count(): Promise<number>;
  totalBytes(): Promise<number>;
  describe(): Promise<BlobStoreInfo>;
}
