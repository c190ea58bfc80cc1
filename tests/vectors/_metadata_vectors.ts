/**
 * Metadata document vectors (FORMAT §10): the two documents the vault writes (§12.1, §12.3),
 * what readers must accept (repeated names, any trailing whitespace), and a failure for every
 * reading step but `too_large` (whose smallest case is a 1 MiB file; the differential test
 * covers it).
 *
 * @module
 */

import { concatBytes, toBase64Url, utf8Encode } from "../../lib/crypto/bytes.ts";
import { encodeMetadata } from "../../lib/crypto/metadata.ts";
import { det, sealedVectors, type VectorSet } from "./_vector_file.ts";

const KEY = det("metadata key");
const SALT = det("metadata salt");

/** A plaintext written by hand, padded with `pad` to 1 KiB as FORMAT §10.1 pads with spaces. */
function padded(bytes: Uint8Array, pad = " "): Uint8Array {
  const fill = utf8Encode(pad.repeat(1024));
  return concatBytes(bytes, fill.slice(0, 1024 - bytes.length));
}

/** Adds the metadata vectors to `set`. */
export async function metadataVectors(set: VectorSet): Promise<void> {
  const add = sealedVectors(set, {
    kind: "metadata",
    key: KEY,
    salt: SALT,
    keyField: "file-key",
    sealedField: "ciphertext",
  });
  const success = (name: string, comment: string, plaintext: Uint8Array, doc: object) =>
    add(name, "success", comment, plaintext, { before: [["document", JSON.stringify(doc)]] });
  const failure = (
    name: string,
    expect: string,
    comment: string,
    plaintext: Uint8Array,
    stated = KEY,
  ) => add(name, expect, comment, plaintext, { stated });

  const photo = {
    v: 1,
    filename: "IMG_2041.HEIC",
    type: "image/heic",
    size: 2481152,
    takenAt: 1717250580000,
    gps: { lat: 48.8584, lon: 2.2945 },
    orientation: 6,
    camera: "Apple iPhone 13",
    width: 4032,
    height: 3024,
  };
  await success(
    "metadata_success",
    "a photo's metadata document (FORMAT §12.3), padded to 1 KiB",
    encodeMetadata(photo),
    photo,
  );
  const album = {
    v: 1,
    name: "Grandma's 90th",
    dedupKey: toBase64Url(det("album dedup key")),
    createdAt: 1717250580000,
    keys: { "0": toBase64Url(det("album key epoch 0")) },
  };
  await success(
    "metadata_album_success",
    "an album document at epoch 1 (FORMAT §12.1), padded to 1 KiB",
    encodeMetadata(album),
    album,
  );
  await success(
    "metadata_repeated_name",
    'the member "name" written twice: the last value counts (FORMAT §2.4)',
    padded(utf8Encode('{"v":1,"name":"first","name":"Summer 2024"}')),
    { v: 1, name: "Summer 2024" },
  );
  await success(
    "metadata_whitespace_padding",
    "padded with tabs, line feeds and carriage returns instead of spaces",
    padded(utf8Encode('{"v":1}'), "\t\n\r "),
    { v: 1 },
  );
  const failures: [string, string, string, Uint8Array][] = [
    [
      "metadata_bad_utf8",
      "metadata failure (utf8)",
      "C0 AF (an overlong /) inside a string",
      padded(concatBytes(utf8Encode('{"a":"'), Uint8Array.of(0xc0, 0xaf), utf8Encode('"}'))),
    ],
    [
      "metadata_byte_order_mark",
      "metadata failure (json)",
      "EF BB BF before {}: U+FEFF is kept and is not JSON whitespace",
      padded(concatBytes(Uint8Array.of(0xef, 0xbb, 0xbf), utf8Encode("{}"))),
    ],
    [
      "metadata_trailing_comma",
      "metadata failure (json)",
      '{"a":1,} is not JSON',
      padded(utf8Encode('{"a":1,}')),
    ],
    [
      "metadata_lone_surrogate",
      "metadata failure (json)",
      "a string holding the lone-surrogate escape \\ud800",
      padded(utf8Encode('{"a":"\\ud800"}')),
    ],
    [
      "metadata_number_overflow",
      "metadata failure (json)",
      "a number, 1e400, that rounds to infinity",
      padded(utf8Encode('{"a":1e400}')),
    ],
    [
      "metadata_too_deep",
      "metadata failure (json)",
      "66 nested arrays: the innermost is at level 65; plain JSON is checked before the object",
      padded(utf8Encode("[".repeat(66) + "]".repeat(66))),
    ],
    [
      "metadata_not_object",
      "metadata failure (not_object)",
      "the document is an array",
      padded(utf8Encode("[]")),
    ],
  ];
  for (const row of failures) await failure(...row);
  await failure(
    "metadata_wrong_key",
    "header failure (header_mac)",
    "metadata_success opened with another key: the blob's own failure keeps its code",
    encodeMetadata(photo),
    det("wrong key"),
  );
}
