/**
 * Member identity: a 32-byte seed, its 24-word recovery phrase, and the Ed25519 and X25519
 * keys derived from it (FORMAT §7). Browser-compatible: no I/O, no Deno or Node APIs.
 *
 * The seed is the BIP39 *entropy*: the phrase encodes the seed itself, and BIP39's
 * PBKDF2 "seed" step is not used. The keys come from HKDF with distinct labels, so the signing
 * key and the key-agreement key are independent even though one seed backs both.
 *
 * @module
 */

import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { entropyToMnemonic, mnemonicToEntropy } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { assertBytes, assertString, fromBase64UrlOrNull } from "./bytes.ts";
import { MnemonicError } from "./errors.ts";
import { hkdfSha256 } from "./hkdf.ts";
import { randomBytes } from "./random.ts";

/** Length of a member seed. */
export const SEED_SIZE = 32;
/** Words in a recovery phrase: 256 bits of seed + 8 bits of checksum = 24 × 11 bits. */
export const MNEMONIC_WORDS = 24;

const INFO_ED25519 = "p2pos identity v1 ed25519";
const INFO_X25519 = "p2pos identity v1 x25519";
const WORDS = new Set(wordlist);
/**
 * FORMAT §7.1 step 2: the separators, listed rather than written `\s` so the set cannot move
 * with an engine's Unicode version (today they are the same set).
 */
const SEPARATORS = /[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+/;

/** The four keys of a member. Secret keys are 32 bytes, as RFC 8032 and RFC 7748 define. */
export interface Identity {
  signingPublicKey: Uint8Array;
  signingSecretKey: Uint8Array;
  x25519PublicKey: Uint8Array;
  x25519SecretKey: Uint8Array;
}

/** A fresh random member seed. */
export function newSeed(): Uint8Array {
  return randomBytes(SEED_SIZE);
}

/** The 24-word English BIP39 phrase of `seed`, words separated by single spaces (FORMAT §7.1). */
export function seedToMnemonic(seed: Uint8Array): string {
  assertBytes(seed, "seed", SEED_SIZE);
  return entropyToMnemonic(seed, wordlist);
}

/** FORMAT §7.1 steps 1–2: the words of a typed phrase (NFKD, lower case, split, no empties). */
export function mnemonicWords(mnemonic: string): string[] {
  assertString(mnemonic, "mnemonic");
  return mnemonic.normalize("NFKD").toLowerCase().split(SEPARATORS).filter((w) => w !== "");
}

/**
 * The seed of a recovery phrase (FORMAT §7.1, checks in its order). Tolerates what people type
 * (case, extra spaces, line breaks) and says precisely what is wrong otherwise, since a person
 * is reading the error.
 */
export function mnemonicToSeed(mnemonic: string): Uint8Array {
  const words = mnemonicWords(mnemonic);
  if (words.length !== MNEMONIC_WORDS) {
    throw new MnemonicError(
      "mnemonic_length",
      `Recovery phrase has ${words.length} words; it needs exactly ${MNEMONIC_WORDS}`,
    );
  }
  const unknown = words.findIndex((w) => !WORDS.has(w));
  if (unknown !== -1) {
    throw new MnemonicError(
      "mnemonic_word",
      `Word ${unknown + 1} ("${words[unknown]}") is not in the BIP39 English word list`,
    );
  }
  try {
    return mnemonicToEntropy(words.join(" "), wordlist);
  } catch (cause) {
    throw new MnemonicError(
      "mnemonic_checksum",
      "Recovery phrase checksum does not match: a word is wrong or two words are swapped",
      { cause },
    );
  }
}

/** FORMAT §7.2: derives the member's keys from the seed. */
export function deriveIdentity(seed: Uint8Array): Identity {
  assertBytes(seed, "seed", SEED_SIZE);
  const empty = new Uint8Array(0);
  const signingSecretKey = hkdfSha256(seed, empty, INFO_ED25519, 32);
  const x25519SecretKey = hkdfSha256(seed, empty, INFO_X25519, 32);
  return {
    signingPublicKey: ed25519.getPublicKey(signingSecretKey),
    signingSecretKey,
    x25519PublicKey: x25519.getPublicKey(x25519SecretKey),
    x25519SecretKey,
  };
}

/** The Ed25519 public key of a 32-byte Ed25519 secret key. */
export function signingPublicKeyOf(signingSecretKey: Uint8Array): Uint8Array {
  assertBytes(signingSecretKey, "signingSecretKey", 32);
  return ed25519.getPublicKey(signingSecretKey);
}

/** Ed25519 signature (RFC 8032, pure, no context) of `message`: 64 bytes. */
export function sign(message: Uint8Array, signingSecretKey: Uint8Array): Uint8Array {
  assertBytes(message, "message");
  assertBytes(signingSecretKey, "signingSecretKey", 32);
  return ed25519.sign(message, signingSecretKey);
}

/**
 * Verifies an Ed25519 signature with the strict RFC 8032 rules (FORMAT §6.3): non-canonical
 * encodings and small-order public keys are rejected, so every node and browser agrees on
 * exactly which signatures are valid.
 */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  assertBytes(signature, "signature", 64);
  assertBytes(message, "message");
  assertBytes(publicKey, "publicKey", 32);
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false; // an undecodable point is an invalid signature, not a crash
  }
}

/**
 * Whether `publicKey` is an Ed25519 public key a signature can be checked against at all: the
 * canonical encoding of a point that is not of small order (FORMAT §6.3). For a small-order
 * key, signatures verify that nobody made (R = identity, S = 0 passes for every message in
 * cofactorless verifiers, WebCrypto's among them), so such a key must never be trusted.
 */
export function isStrongSigningKey(publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
  try {
    return !ed25519.Point.fromBytes(publicKey, false).isSmallOrder();
  } catch {
    return false; // not a canonical point encoding
  }
}

/**
 * {@link verify} for a signature written as base64url (FORMAT §2.2): false unless the text
 * decodes to 64 bytes and the signature verifies strictly (§6.3). For messages whose every
 * signature fault has one failure code (login §8.1, upload receipts §13).
 */
export function verifyBase64Url(
  signature: string,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  assertString(signature, "signature");
  const sig = fromBase64UrlOrNull(signature, 64);
  return sig !== null && verify(sig, message, publicKey);
}
