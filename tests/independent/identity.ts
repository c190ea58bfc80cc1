/**
 * Member identity (FORMAT §7), written from the text: the 24-word phrase read and written bit by
 * bit (only the BIP39 English word list comes from @scure/bip39, as data), keys by HKDF.
 * Part of the second implementation: imports nothing from lib/.
 *
 * @module
 */

import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { utf8 } from "./encoding.ts";
import { Failure } from "./failure.ts";

const INDEX = new Map(wordlist.map((w, i) => [w, i]));
/** §7.1 step 2, listed code point by code point rather than as `\s`. */
const SEPARATORS = /[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+/;

/** §7.1: the phrase of a 32-byte seed. */
export function writePhrase(seed: Uint8Array): string {
  if (seed.length !== 32) throw new RangeError("a seed is 32 bytes");
  const bits = [...seed, sha256(seed)[0]].map((b) => b.toString(2).padStart(8, "0")).join("");
  const words: string[] = [];
  for (let i = 0; i < 24; i++) words.push(wordlist[parseInt(bits.slice(i * 11, i * 11 + 11), 2)]);
  return words.join(" ");
}

/** §7.1 steps 1–2: the words of a typed phrase. */
export function phraseWords(typed: string): string[] {
  return typed.normalize("NFKD").toLowerCase().split(SEPARATORS).filter((w) => w !== "");
}

/** §7.1 steps 1–5: the seed of a typed phrase, or a Failure. */
export function readPhrase(typed: string): Uint8Array {
  const words = phraseWords(typed);
  if (words.length !== 24) throw new Failure("identity", "mnemonic_length", `${words.length}`);
  const indices = words.map((w) => INDEX.get(w));
  if (indices.includes(undefined)) throw new Failure("identity", "mnemonic_word");
  const bits = indices.map((i) => i!.toString(2).padStart(11, "0")).join("");
  const seed = new Uint8Array(32);
  for (let i = 0; i < 32; i++) seed[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  if (parseInt(bits.slice(256), 2) !== sha256(seed)[0]) {
    throw new Failure("identity", "mnemonic_checksum");
  }
  return seed;
}

/** §7.2: the member's four keys. */
export function keysOf(seed: Uint8Array) {
  const empty = new Uint8Array(0);
  const signingSecret = hkdf(sha256, seed, empty, utf8("p2pos identity v1 ed25519"), 32);
  const x25519Secret = hkdf(sha256, seed, empty, utf8("p2pos identity v1 x25519"), 32);
  return {
    signingSecret,
    signingPublic: ed25519.getPublicKey(signingSecret),
    x25519Secret,
    x25519Public: x25519.getPublicKey(x25519Secret),
  };
}
