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

import { ciphertextSize, FILE_KEY_SIZE } from "./blob_format.ts";
import { assertBytes, utf8Decode, utf8Encode } from "./bytes.ts";
import { assertJson, type JsonObject } from "./canonical_json.ts";
import { MetadataError } from "./errors.ts";
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

/**
 * FORMAT §10.2 steps 3–5: strict UTF-8, then JSON whose value is plain (the document at level 0,
 * as {@link encodeMetadata} requires), then an object. Throws {@link MetadataError}.
 */
export function decodeMetadata(plaintext: Uint8Array): JsonObject {
  assertBytes(plaintext, "plaintext");
  let text: string;
  try {
    text = utf8Decode(plaintext);
  } catch (cause) {
    throw new MetadataError("utf8", "Cannot read metadata: it is not valid UTF-8", { cause });
  }
  // No `cause` and no detail below: JSON.parse's and assertJson's messages quote the plaintext
  // (a snippet, a member name), and a decrypted document must not end up in an error report.
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MetadataError("json", "Cannot read metadata: it is not JSON text");
  }
  try {
    assertJson(value, "document");
  } catch {
    throw new MetadataError(
      "json",
      "Cannot read metadata: it holds a lone surrogate, a number out of range, or nesting " +
        "deeper than 64 levels",
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MetadataError("not_object", "Cannot read metadata: the document is not an object");
  }
  return value as JsonObject;
}

/**
 * Encrypts a metadata document (a plain JSON object, checked at run time) under `fileKey`: a
 * photo's file key for its metadata blob, the album key for an album's document (FORMAT §12).
 */
export async function encryptMetadata(doc: object, fileKey: Uint8Array): Promise<Uint8Array> {
  assertBytes(fileKey, "fileKey", FILE_KEY_SIZE);
  return await encryptBytes(fileKey, encodeMetadata(doc));
}

/** The longest blob that can hold a metadata plaintext (FORMAT §10.2 step 1). */
const MAX_METADATA_BLOB = ciphertextSize(MAX_METADATA_SIZE);

/**
 * Decrypts and parses a metadata blob (FORMAT §10.2). A blob longer than any metadata blob can
 * be is refused before decrypting (`too_large`); the blob's own failures keep their header and
 * payload codes; the rest are {@link MetadataError}.
 */
export async function decryptMetadata(blob: Uint8Array, fileKey: Uint8Array): Promise<JsonObject> {
  assertBytes(blob, "blob");
  assertBytes(fileKey, "fileKey", FILE_KEY_SIZE);
  if (blob.length > MAX_METADATA_BLOB) {
    throw new MetadataError(
      "too_large",
      `Cannot read metadata: the blob is ${blob.length} bytes; a metadata blob is at most ` +
        `${MAX_METADATA_BLOB}`,
    );
  }
  return decodeMetadata(await decryptBytes(fileKey, blob));
}
