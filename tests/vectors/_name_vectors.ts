/**
 * Family key vectors (FORMAT §14): sealed names (a success for ASCII, for the longest names and
 * for characters outside the BMP; a failure for every reading step), keychains, and the key pair
 * an invite secret gives.
 *
 * @module
 */

import { x25519 } from "@noble/curves/ed25519.js";
import { concatBytes, toBase64Url, toHex, utf8Encode } from "../../lib/crypto/bytes.ts";
import { encodeKeychain, familyKeyId } from "../../lib/crypto/family_key.ts";
import { hkdfSha256 } from "../../lib/crypto/hkdf.ts";
import { encodeName, NAME_LABEL, NAME_PLAINTEXT_SIZE } from "../../lib/crypto/sealed_name.ts";
import { det, sealedVectors, type VectorSet, withUnusedBitSet } from "./_vector_file.ts";

const KEY = det("family key epoch 2");
const SALT = det("sealed name salt");
const KEYCHAIN_SALT = det("keychain salt");

/** A name plaintext written by hand: label ‖ `body`, zero-padded (or cut) to `size` bytes. */
function namePlaintext(body: Uint8Array, size = NAME_PLAINTEXT_SIZE, label = NAME_LABEL) {
  const out = new Uint8Array(size);
  out.set(concatBytes(label, body).subarray(0, size));
  return out;
}

/** Adds the sealed-name, keychain and invite vectors to `set`. */
export async function nameVectors(set: VectorSet): Promise<void> {
  const add = sealedVectors(set, {
    kind: "name",
    key: KEY,
    salt: SALT,
    keyField: "family-key",
    sealedField: "sealed",
  });
  const success = (name: string, comment: string, text: string) =>
    add(name, "success", comment, encodeName(text), { before: [["name", JSON.stringify(text)]] });
  const failure = (
    name: string,
    code: string,
    comment: string,
    plaintext: Uint8Array,
    sealedUnder = KEY,
  ) =>
    add(name, code.includes(" ") ? code : `name failure (${code})`, comment, plaintext, {
      sealedUnder,
    });

  await success("name_success", "a member's name", "Alice");
  await success(
    "name_success_non_bmp",
    "a name with an accent, a CJK character and an emoji (two UTF-16 code units)",
    "Zoë 李 🌊",
  );
  await success(
    "name_success_longest",
    "80 code units of three-byte UTF-8: 240 bytes, the most a plaintext can hold",
    "一".repeat(80),
  );
  const failures: [string, string, string, Uint8Array][] = [
    [
      "name_too_long",
      "text",
      "81 code units of ASCII",
      namePlaintext(utf8Encode("a".repeat(81))),
    ],
    [
      "name_empty",
      "text",
      "the label followed by zeros only",
      namePlaintext(new Uint8Array()),
    ],
    [
      "name_leading_space",
      "text",
      "a name that starts with a space",
      namePlaintext(utf8Encode(" Alice")),
    ],
    [
      "name_trailing_no_break_space",
      "text",
      "a name that ends with U+00A0, white space to ECMAScript's \\s",
      namePlaintext(utf8Encode("Alice\u00a0")),
    ],
    [
      "name_control",
      "text",
      "a tab inside the name",
      namePlaintext(utf8Encode("Al\tice")),
    ],
    [
      "name_bad_utf8",
      "utf8",
      "C0 AF (an overlong /) inside the name",
      namePlaintext(concatBytes(utf8Encode("Al"), Uint8Array.of(0xc0, 0xaf))),
    ],
    [
      "name_padding",
      "padding",
      "a non-zero byte after the first zero byte",
      namePlaintext(utf8Encode("Alice\0x")),
    ],
    [
      "name_label",
      "label",
      "p2pos-name-v2 instead of p2pos-name-v1",
      namePlaintext(utf8Encode("Alice"), NAME_PLAINTEXT_SIZE, utf8Encode("p2pos-name-v2\n")),
    ],
    [
      "name_short_plaintext",
      "length",
      "a plaintext of 255 bytes",
      namePlaintext(utf8Encode("Alice"), 255),
    ],
  ];
  for (const row of failures) await failure(...row);
  await failure(
    "name_wrong_key",
    "header failure (header_mac)",
    "name_success sealed under another key: the blob's own failure keeps its code",
    encodeName("Alice"),
    det("another family key"),
  );

  const earlier = [det("family key epoch 0"), det("family key epoch 1")];
  const addKeychain = sealedVectors(set, {
    kind: "keychain",
    key: KEY,
    salt: KEYCHAIN_SALT,
    keyField: "family-key",
    sealedField: "keychain",
  });
  const keychain = (
    plaintext: Uint8Array,
    epoch: number,
    expect: string,
    name: string,
    c: string,
  ) =>
    addKeychain(name, expect, c, plaintext, {
      before: [["epoch", String(epoch)]],
      after: expect === "success"
        ? [["keys", toHex(concatBytes(...earlier))], ["key-id", familyKeyId(KEY)]]
        : [],
    });
  await keychain(
    encodeKeychain(earlier),
    2,
    "success",
    "keychain_success",
    "the keychain of epoch 2: the keys of epochs 0 and 1",
  );
  await keychain(
    encodeKeychain(earlier),
    3,
    "keychain failure (length)",
    "keychain_too_few_keys",
    "two keys for epoch 3",
  );
  await keychain(
    concatBytes(utf8Encode("p2pos-family-keys-v2\n"), ...earlier),
    2,
    "keychain failure (label)",
    "keychain_label",
    "p2pos-family-keys-v2 instead of v1",
  );

  const secret = det("invite secret");
  const inviteSecret = hkdfSha256(secret, new Uint8Array(), "p2pos invite v1 x25519", 32);
  set.add("invite_success", "invite", "success", "an invite link's secret", [
    ["secret", toBase64Url(secret)],
    ["x25519-secret-key", toHex(inviteSecret)],
    ["x25519-public-key", toHex(x25519.getPublicKey(inviteSecret))],
  ]);
  set.add("invite_short_secret", "invite", "invite failure (secret)", "a secret of 31 bytes", [
    ["secret", toBase64Url(secret.slice(0, 31))],
  ]);
  set.add(
    "invite_unused_bits",
    "invite",
    "invite failure (secret)",
    "a secret whose last character has a non-zero unused bit",
    [["secret", withUnusedBitSet(toBase64Url(secret))]],
  );
}
