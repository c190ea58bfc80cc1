/**
 * Blob ids at the store's door: the check is lib/core/blob_id.ts (the web layer checks ids
 * from URLs with it too); ids become file names here, so every store entry point asserts them
 * before touching the filesystem.
 */

export { assertBlobId, type BlobId, isBlobId } from "../core/blob_id.ts";
