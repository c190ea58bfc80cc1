/**
 * Blob ids where they come in (URLs, peers, stores). The shape is defined once, in
 * `lib/crypto/blob_id.ts` (FORMAT §3.5: lowercase hex SHA-256 of the ciphertext); this is the
 * check with an error a person can act on. Ids become file names in lib/store, so every store
 * entry point asserts them before touching the filesystem.
 *
 * Browser-compatible: no I/O.
 */

import { isBlobId } from "../crypto/blob_id.ts";
import { ValidationError } from "./errors.ts";

export { isBlobId };

/** Lowercase hex SHA-256, exactly 64 characters. */
export type BlobId = string;

/**
 * Throws {@link ValidationError} unless `value` is a well-formed blob id.
 *
 * @param what names the value in the message, e.g. `"list cursor"`.
 */
export function assertBlobId(value: unknown, what = "blob id"): asserts value is BlobId {
  if (isBlobId(value)) return;
  throw new ValidationError(
    `Invalid ${what}: expected 64 lowercase hex characters, got ${describe(value)}`,
  );
}

// Ids come from URLs and peers: never echo a 10 KB string or raw control characters.
function describe(value: unknown): string {
  if (typeof value !== "string") return value === null ? "null" : typeof value;
  const shown = JSON.stringify(value.slice(0, 16)) + (value.length > 16 ? "…" : "");
  return `${value.length} characters ${shown}`;
}
