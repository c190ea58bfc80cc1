/**
 * Key wrap (FORMAT §5) and member identity (FORMAT §7) vectors.
 *
 * @module
 */

import { x25519 } from "@noble/curves/ed25519.js";
import { concatBytes, toHex } from "../../lib/crypto/bytes.ts";
import { deriveIdentity, seedToMnemonic } from "../../lib/crypto/identity.ts";
import { wrapKeyWithEphemeral } from "../../lib/crypto/wrap.ts";
import { det, littleEndian32, type VectorSet } from "./_vector_file.ts";

const P = 2n ** 255n - 19n;
/** A point of order 8 on Curve25519: X25519 with any clamped scalar gives 0. */
const ORDER_8 = 325606250916557431795983626356110631294008115727848805560023387167927233504n;

/** The member whose seed every identity, record and login vector uses. */
export const MEMBER_SEED = det("member seed");

/** Adds the wrap vectors to `set`. */
export async function wrapVectors(set: VectorSet): Promise<void> {
  const secret = det("recipient x25519 secret");
  const albumKey = det("album key");
  const wrapped = await wrapKeyWithEphemeral(
    albumKey,
    x25519.getPublicKey(secret),
    det("ephemeral secret"),
  );
  set.add("wrap_success", "wrap", "success", "album key wrapped for the recipient", [
    ["recipient-secret", toHex(secret)],
    ["recipient-public", toHex(x25519.getPublicKey(secret))],
    ["key", toHex(albumKey)],
    ["wrapped", toHex(wrapped)],
  ]);
  const failure = (name: string, code: string, comment: string, bytes: Uint8Array, r = secret) =>
    set.add(name, "wrap", `wrap failure (${code})`, comment, [
      ["recipient-secret", toHex(r)],
      ["key", toHex(albumKey)],
      ["wrapped", toHex(bytes)],
    ]);
  const withEphemeral = (e: Uint8Array) => {
    const bad = wrapped.slice();
    bad.set(e, 1);
    return bad;
  };
  failure("wrap_empty", "length", "no bytes: there is no version byte to read", new Uint8Array(0));
  failure(
    "wrap_truncated",
    "length",
    "wrap_success without its last byte (80 bytes)",
    wrapped.slice(0, 80),
  );
  failure(
    "wrap_extended",
    "length",
    "wrap_success with one zero byte appended (82 bytes)",
    concatBytes(wrapped, Uint8Array.of(0)),
  );
  failure(
    "wrap_unknown_version",
    "unknown_version",
    "version byte 2 (reserved for the hybrid ML-KEM wrap)",
    concatBytes(Uint8Array.of(2), wrapped.subarray(1)),
  );
  failure(
    "wrap_low_order_point",
    "low_order_point",
    "ephemeral public key replaced by a point of order 8; the shared secret would be all zero",
    withEphemeral(littleEndian32(ORDER_8)),
  );
  failure(
    "wrap_low_order_point_bit_255",
    "low_order_point",
    "the order-8 point with bit 255 set, which RFC 7748 decoding clears",
    withEphemeral(littleEndian32(ORDER_8 | (1n << 255n))),
  );
  failure(
    "wrap_low_order_point_non_canonical",
    "low_order_point",
    "ephemeral key u = p + 1, a non-canonical encoding of u = 1 (order 4)",
    withEphemeral(littleEndian32(P + 1n)),
  );
  failure(
    "wrap_wrong_recipient",
    "tag",
    "a valid wrap opened with another member's X25519 secret",
    wrapped,
    det("someone else"),
  );
  const flipped = wrapped.slice();
  flipped[80] ^= 0x01;
  failure(
    "wrap_flipped_tag",
    "tag",
    "wrap_success with bit 0 of its last tag byte flipped",
    flipped,
  );
}

/** Adds the identity vectors to `set`. */
export function identityVectors(set: VectorSet): void {
  const identity = deriveIdentity(MEMBER_SEED);
  const phrase = seedToMnemonic(MEMBER_SEED);
  const words = phrase.split(" ");
  const success = (name: string, comment: string, typed: string) =>
    set.add(name, "identity", "success", comment, [
      ["mnemonic", typed],
      ["seed", toHex(MEMBER_SEED)],
      ["signing-secret-key", toHex(identity.signingSecretKey)],
      ["signing-public-key", toHex(identity.signingPublicKey)],
      ["x25519-secret-key", toHex(identity.x25519SecretKey)],
      ["x25519-public-key", toHex(identity.x25519PublicKey)],
    ]);
  const failure = (name: string, code: string, comment: string, typed: string) =>
    set.add(name, "identity", `identity failure (${code})`, comment, [["mnemonic", typed]]);

  success("identity_success", "seed → 24 words → keys", phrase);
  // What a person pastes: capitals, tabs, no-break, em and ideographic spaces, a byte order
  // mark, and the first word in fullwidth letters (NFKD makes them ASCII), spaces around.
  const fullwidth = (w: string) =>
    [...w].map((c) => String.fromCharCode(c.charCodeAt(0) - 0x41 + 0xff21)).join("");
  const separators = ["\t", "\u00a0", "\u3000", "  ", "\u2003", "\ufeff"];
  const typed = words.map((w, i) => i === 0 ? fullwidth(w.toUpperCase()) : w.toUpperCase())
    .reduce((text, w, i) => text + separators[i % separators.length] + w, " ") + "\u3000";
  success(
    "identity_success_typed",
    "the identity_success phrase as typed: upper case, the first word in fullwidth letters, tabs, U+00A0, U+3000, U+2003 and U+FEFF between words",
    typed,
  );
  failure(
    "identity_too_few_words",
    "mnemonic_length",
    "the first 23 words of the identity_success phrase",
    words.slice(0, 23).join(" "),
  );
  failure(
    "identity_unknown_word",
    "mnemonic_word",
    "word 5 replaced by bitcoinz, which is not in the BIP39 English list",
    words.map((w, i) => i === 4 ? "bitcoinz" : w).join(" "),
  );
  failure(
    "identity_nel_is_not_a_separator",
    "mnemonic_length",
    "words 1 and 2 joined by U+0085 (NEL), which FORMAT §7.1 does not split on: 23 words",
    words[0] + "\u0085" + words.slice(1).join(" "),
  );
  const swapped = [words[1], words[0], ...words.slice(2)];
  failure(
    "identity_bad_checksum",
    "mnemonic_checksum",
    "the first two words of the identity_success phrase swapped",
    swapped.join(" "),
  );
}
