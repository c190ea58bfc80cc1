/**
 * Blob vectors (FORMAT §3, §4): one success per interesting size, one failure per header and
 * payload rule. Invalid blobs are built by hand from the format's own primitives (header
 * encoding, chunk sealing), not by a buggy encoder, so each one breaks exactly one rule.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { sealChunk } from "../../lib/crypto/_chunk.ts";
import {
  CHUNK_SIZE,
  deriveBlobKeys,
  encodeHeader,
  HEADER_SIZE,
  SEALED_CHUNK_SIZE,
} from "../../lib/crypto/blob_format.ts";
import { blobId } from "../../lib/crypto/blob_id.ts";
import { concatBytes, toBase64Url, toHex } from "../../lib/crypto/bytes.ts";
import { encryptBytesWithSalt } from "../../lib/crypto/stream_encrypt.ts";
import { vectorPlaintext } from "../../lib/crypto/vectors.ts";
import { det, type VectorSet } from "./_vector_file.ts";

const FILE_KEY = det("file key");
const SALT = det("salt");
const OTHER_SALT = det("other salt");
const WRONG_KEY = det("wrong key");

const encrypt = (size: number, salt = SALT) =>
  encryptBytesWithSalt(FILE_KEY, salt, vectorPlaintext(size));

/** Header ‖ chunks, each chunk sealed as told: the tool for breaking exactly one rule. */
async function craft(chunks: { counter: number; final: boolean; size: number }[]) {
  const keys = await deriveBlobKeys(FILE_KEY, SALT);
  const parts = [encodeHeader(keys.headerKey, SALT)];
  for (const c of chunks) {
    parts.push(await sealChunk(keys.payloadKey, c.counter, c.final, vectorPlaintext(c.size)));
  }
  return concatBytes(...parts);
}

/** Adds every blob vector to `set`. */
export async function blobVectors(set: VectorSet): Promise<void> {
  const failure = (name: string, expect: string, comment: string, ct: Uint8Array, key = FILE_KEY) =>
    set.add(name, "blob", expect, comment, [
      ["file-key", toHex(key)],
      ["ciphertext", toBase64Url(ct)],
    ]);
  const edited = (blob: Uint8Array, edit: (b: Uint8Array) => void) => {
    const copy = blob.slice();
    edit(copy);
    return copy;
  };

  // Successes (FORMAT §3, §4).
  for (const size of [0, 1, 65535, 65536, 65537, 131073]) {
    const ct = await encrypt(size);
    set.add(
      `blob_success_size_${size}`,
      "blob",
      "success",
      `plaintext of ${size} byte${size === 1 ? "" : "s"}: byte[i] = i mod 251`,
      [
        ["file-key", toHex(FILE_KEY)],
        ["plaintext-size", String(size)],
        ["plaintext-sha256", toHex(sha256(vectorPlaintext(size)))],
        ["blob-id", await blobId(ct)],
        ["ciphertext", toBase64Url(ct)],
      ],
    );
  }

  // Header failures (FORMAT §3.3), one per step.
  const one = await encrypt(1);
  failure(
    "blob_empty",
    "header failure (truncated)",
    "no bytes at all: nothing contradicts the magic, and 75 bytes are missing",
    new Uint8Array(0),
  );
  failure(
    "blob_header_bad_magic",
    "header failure (magic)",
    "a valid 1-byte blob whose first byte is Q instead of P",
    edited(one, (b) => b[0] = 0x51),
  );
  failure(
    "blob_header_truncated",
    "header failure (truncated)",
    "only the first 40 bytes of the 75-byte header",
    one.slice(0, 40),
  );
  failure(
    "blob_header_flipped_byte",
    "header failure (header_mac)",
    "bit 0 of header byte 20 (in the salt) flipped; the header MAC no longer verifies",
    edited(one, (b) => b[20] ^= 0x01),
  );
  failure(
    "blob_header_unknown_version",
    "header failure (unknown_version)",
    "version byte set to 2; checked before the MAC, since a v2 MAC cannot be computed",
    edited(one, (b) => b[8] = 2),
  );
  failure(
    "blob_header_unknown_suite",
    "header failure (unknown_suite)",
    "suite byte set to 2; checked before the flags and the MAC",
    edited(one, (b) => b[9] = 2),
  );
  failure(
    "blob_header_reserved_flags",
    "header failure (flags)",
    "reserved flags byte set to 0x80",
    edited(one, (b) => b[10] = 0x80),
  );
  failure(
    "blob_wrong_key",
    "header failure (header_mac)",
    "a valid 1-byte blob opened with a different file key; the header MAC fails first",
    one,
    WRONG_KEY,
  );

  // Payload failures (FORMAT §4.4).
  const two = await encrypt(65537); // chunk 0: full, non-final; chunk 1: 1 byte, final
  const three = await encrypt(131073); // chunks 0, 1 full; chunk 2: 1 byte, final
  const h = HEADER_SIZE;
  const s = SEALED_CHUNK_SIZE;
  failure(
    "blob_payload_missing",
    "payload failure (truncated)",
    "a valid header with no chunk after it",
    one.slice(0, h),
  );
  failure(
    "blob_truncated_at_chunk_boundary",
    "payload failure (truncated)",
    "65537-byte blob cut after chunk 0; chunk 0 opens only as non-final, so the end is missing",
    two.slice(0, h + s),
  );
  failure(
    "blob_truncated_mid_chunk",
    "payload failure (tag)",
    "65537-byte blob cut 30000 bytes into chunk 0; a cut chunk cannot be told from an altered one",
    two.slice(0, h + 30000),
  );
  failure(
    "blob_truncated_inside_tag",
    "payload failure (truncated)",
    "1-byte blob whose 17-byte final chunk is cut to 10 bytes, shorter than a tag",
    one.slice(0, h + 10),
  );
  failure(
    "blob_trailing_bytes",
    "payload failure (trailing_data)",
    "65536-byte blob (one full final chunk) followed by 3 extra bytes",
    concatBytes(await encrypt(65536), Uint8Array.of(0, 1, 2)),
  );
  failure(
    "blob_trailing_bytes_after_short_final",
    "payload failure (tag)",
    "1-byte blob followed by 3 extra bytes; they join the final chunk, which then fails",
    concatBytes(one, Uint8Array.of(0, 1, 2)),
  );
  failure(
    "blob_swapped_chunks",
    "payload failure (tag)",
    "131073-byte blob with chunks 0 and 1 swapped; each fails under the other's counter",
    concatBytes(
      three.subarray(0, h),
      three.subarray(h + s, h + 2 * s),
      three.subarray(h, h + s),
      three.subarray(h + 2 * s),
    ),
  );
  const other = await encrypt(65537, OTHER_SALT);
  failure(
    "blob_chunk_from_other_blob",
    "payload failure (tag)",
    "chunk 0 taken from another blob under the same file key and another salt",
    concatBytes(two.subarray(0, h), other.subarray(h, h + s), two.subarray(h + s)),
  );
  failure(
    "blob_empty_final_chunk",
    "payload failure (empty_final_chunk)",
    "65536 bytes sealed as a full non-final chunk 0 then an empty final chunk 1",
    await craft([
      { counter: 0, final: false, size: CHUNK_SIZE },
      { counter: 1, final: true, size: 0 },
    ]),
  );
  failure(
    "blob_two_final_chunks",
    "payload failure (trailing_data)",
    "chunk 0 is a full chunk sealed as final, then a valid final chunk 1 of 1 byte",
    await craft([
      { counter: 0, final: true, size: CHUNK_SIZE },
      { counter: 1, final: true, size: 1 },
    ]),
  );
  failure(
    "blob_flipped_tag",
    "payload failure (tag)",
    "1-byte blob with the top bit of the last tag byte flipped",
    edited(one, (b) => b[b.length - 1] ^= 0x80),
  );
}
