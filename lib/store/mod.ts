/**
 * @module
 * Storage: the content-addressed blob store ({@link BlobStore}: files in the data dir,
 * `blobs/ab/cd/<id>`, or objects in an S3-compatible bucket; written atomically and
 * durably, verified against the id on the way in and by `scrub()`),
 * the index database (`node:sqlite` with numbered migrations) and the node's own key.
 *
 * ```ts
 * const blobs = await FsBlobStore.open("./data");
 * await blobs.put(id, request.body!, { maxBytes: 512 << 20 });
 * const { stream, size } = await blobs.get(id, { start: 0, end: 1023 });
 * ```
 */

export type { BlobStore, BlobStoreInfo } from "./blob_store.ts";
export { FsBlobStore, type FsBlobStoreOptions } from "./fs_blob_store.ts";
export type {
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
export { MAX_LIST_LIMIT } from "./blob_store_types.ts";
export { assertBlobId, type BlobId, isBlobId } from "./blob_id.ts";
export { hashFile, type HashResult, hashStream } from "./hash_file.ts";
export * from "./index_db.ts";
export * from "./node_key.ts";
export * from "./record_log.ts";
export * from "./upload_sessions.ts";
