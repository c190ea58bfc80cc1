/**
 * The small encrypted fields of a photo record (DESIGN §4): the file key and the taken-at
 * sort value, each sealed under the album key of the photo's epoch, and the dedup value.
 * Browser-compatible: lib/crypto only, no I/O.
 *
 * @module
 */

import {
  decryptBytes,
  encryptBytes,
  fromBase64Url,
  hmacSha256,
  toBase64Url,
  toHex,
} from "../../../crypto/mod.ts";

/** Taken-at as 8 bytes, big-endian milliseconds (clamped to 0 … 2^53). */
export function encodeTakenAt(ms: number): Uint8Array {
  if (typeof ms !== "number" || Number.isNaN(ms)) {
    throw new TypeError(`"ms" expected a number, got ${ms}`);
  }
  const clamped = Math.min(Math.max(Math.floor(ms), 0), Number.MAX_SAFE_INTEGER);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(clamped));
  return out;
}

export function decodeTakenAt(bytes: Uint8Array): number {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 8) {
    throw new RangeError(`A sort value is 8 bytes, got ${bytes?.length}`);
  }
  return Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0));
}

/** The `sort` field: taken-at sealed under the album key, so nodes cannot read dates. */
export async function sealSort(albumKey: Uint8Array, takenAt: number): Promise<string> {
  return toBase64Url(await encryptBytes(albumKey, encodeTakenAt(takenAt)));
}

export async function openSort(albumKey: Uint8Array, sort: string): Promise<number> {
  return decodeTakenAt(await decryptBytes(albumKey, fromBase64Url(sort)));
}

/** The `key` field: the photo's file key sealed under the album key. */
export async function sealFileKey(albumKey: Uint8Array, fileKey: Uint8Array): Promise<string> {
  return toBase64Url(await encryptBytes(albumKey, fileKey));
}

export async function openFileKey(albumKey: Uint8Array, sealed: string): Promise<Uint8Array> {
  const key = await decryptBytes(albumKey, fromBase64Url(sealed));
  if (key.length !== 32) throw new RangeError(`A file key is 32 bytes, got ${key.length}`);
  return key;
}

/**
 * The `dedup` field: HMAC-SHA-256(album dedup key, SHA-256(original plaintext)), hex. Equal
 * files give equal values within one album; the node, without the key, learns only that.
 */
export function dedupValue(dedupKey: Uint8Array, plaintextSha256: Uint8Array): string {
  if (plaintextSha256.length !== 32) {
    throw new RangeError(`"plaintextSha256" expected 32 bytes, got ${plaintextSha256.length}`);
  }
  return toHex(hmacSha256(dedupKey, plaintextSha256));
}
