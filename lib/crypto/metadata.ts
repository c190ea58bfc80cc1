/**
 * Encrypted metadata documents: album names, captions, file names, EXIF, dates, places
 * (FORMAT §10). Browser-compatible: no I/O, no Deno or Node APIs.
 *
 * A metadata document is a JSON object, encrypted as an ordinary blob (format v1, suite 1) so
 * there is one decoder to get right. Its plaintext is padded with spaces, which JSON.parse
 * ignores, to a multiple of 1 KiB: otherwise the blob's size would reveal the length of a
 * caption or file name to every node that stores it.
 *
 * @module
 */

import { FILE_KEY_SIZE, plaintextSize } from "./blob_format.ts";
import { assertBytes, utf8Decode, utf8Encode } from "./bytes.ts";
import { assertJson, type JsonObject } from "./canonical_json.ts";
import { decryptBytes } from "./stream_decrypt.ts";
import { encryptBytes } from "./stream_encrypt.ts";

/** FORMAT §10: plaintext is padded to a multiple of this many bytes. */
export const METADATA_PADDING = 1024;
/** FORMAT §10: largest metadata plaintext, padding included. */
export const MAX_METADATA_SIZE = 1024 * 1024;

/** Pads the UTF-8 JSON of `doc` with spaces to the next multiple of {@link METADATA_PADDING}. */
export function encodeMetadata(doc: object): Uint8Array {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new TypeError('"doc" expected a JSON object');
  }
  assertJson(doc, "doc");
  const json = utf8Encode(JSON.stringify(doc));
  const padded = Math.ceil(Math.max(json.length, 1) / METADATA_PADDING) * METADATA_PADDING;
  if (padded > MAX_METADATA_SIZE) {
    throw new RangeError(`Metadata is ${json.length} bytes; the limit is ${MAX_METADATA_SIZE}`);
  }
  const out = new Uint8Array(padded).fill(0x20);
  out.set(json);
  return out;
}

/** Parses a decrypted metadata plaintext: strict UTF-8, JSON, an object at the top. */
export function decodeMetadata(plaintext: Uint8Array): JsonObject {
  assertBytes(plaintext, "plaintext");
  const value: unknown = JSON.parse(utf8Decode(plaintext));
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SyntaxError("Cannot read metadata: the document is not a JSON object");
  }
  return value as JsonObject;
}

/**
 * Encrypts a metadata document (a plain JSON object, checked at run time) under `fileKey`. The vault gives each document its own random
 * key (`newFileKey()`), wrapped in the owning record exactly like a photo's file key.
 */
export async function encryptMetadata(doc: object, fileKey: Uint8Array): Promise<Uint8Array> {
  assertBytes(fileKey, "fileKey", FILE_KEY_SIZE);
  return await encryptBytes(fileKey, encodeMetadata(doc));
}

/** Decrypts and parses a metadata blob; refuses blobs too large to be metadata. */
export async function decryptMetadata(blob: Uint8Array, fileKey: Uint8Array): Promise<JsonObject> {
  assertBytes(blob, "blob");
  assertBytes(fileKey, "fileKey", FILE_KEY_SIZE);
  const size = plaintextSize(blob.length);
  if (size !== null && size > MAX_METADATA_SIZE) {
    throw new RangeError(`Metadata blob holds ${size} bytes; the limit is ${MAX_METADATA_SIZE}`);
  }
  return decodeMetadata(await decryptBytes(fileKey, blob));
}
