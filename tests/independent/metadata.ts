/**
 * Metadata documents (FORMAT §10), written from the text: the five reading steps in order, and
 * the padded writing. Part of the second implementation: imports nothing from lib/.
 *
 * @module
 */

import { blobLength, openBlob, sealBlob } from "./blob.ts";
import { fromUtf8, utf8 } from "./encoding.ts";
import { Failure } from "./failure.ts";
import { isObject, jcs, type JObject, parseJson, plainProblem } from "./json.ts";

/** §10: 1 MiB of plaintext at most; the longest blob that can hold it. */
export const MAX_PLAINTEXT = 1024 * 1024;
export const MAX_BLOB = blobLength(MAX_PLAINTEXT);

/** §10.2: the document inside a metadata blob, or a Failure. */
export function openMetadata(blob: Uint8Array, key: Uint8Array): JObject {
  if (blob.length > MAX_BLOB) throw new Failure("metadata", "too_large");
  const plaintext = openBlob(key, blob);
  const text = fromUtf8(plaintext, () => new Failure("metadata", "utf8"));
  let value;
  try {
    value = parseJson(text);
  } catch {
    throw new Failure("metadata", "json", "not JSON");
  }
  const problem = plainProblem(value, 0);
  if (problem) throw new Failure("metadata", "json", problem);
  if (!isObject(value)) throw new Failure("metadata", "not_object");
  return value;
}

/** §10.1: the padded plaintext of a JSON object text (JCS here; any JSON text is allowed). */
export function padDocument(json: string): Uint8Array {
  const bytes = utf8(json);
  const size = Math.max(1024, Math.ceil(bytes.length / 1024) * 1024);
  if (size > MAX_PLAINTEXT) throw new RangeError("a metadata plaintext is 1 MiB at most");
  const out = new Uint8Array(size).fill(0x20);
  out.set(bytes);
  return out;
}

/** §10.1: a metadata blob of `doc` under `key`, with the given salt. */
export function sealMetadata(doc: JObject, key: Uint8Array, salt: Uint8Array): Uint8Array {
  if (plainProblem(doc, 0)) throw new TypeError("a metadata document is plain JSON");
  return sealBlob(key, salt, padDocument(jcs(doc)));
}
