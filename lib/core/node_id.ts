/**
 * Node ids, Syncthing-style: base32 (RFC 4648, no padding) of SHA-256 of the
 * node's Ed25519 public key, split into four groups of 13 characters each
 * followed by a Luhn mod 32 check character, shown in eight groups of seven
 * separated by dashes: `ABCDEFG-HIJKLMN-…`.
 *
 * The check characters catch a mistyped or truncated id when a person copies
 * it from one screen to another. Browser-compatible: no I/O.
 */

import { base32nopad } from "@scure/base";

/** RFC 4648 base32's alphabet, which the check characters are computed over. */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Luhn mod N over the base32 alphabet (the algorithm Syncthing uses for device ids). */
export function luhn32(s: string): string {
  let factor = 1;
  let sum = 0;
  const n = ALPHABET.length;
  for (const ch of s) {
    const code = ALPHABET.indexOf(ch);
    if (code < 0) throw new SyntaxError(`Cannot compute check character: "${ch}" is not base32`);
    let addend = factor * code;
    factor = factor === 2 ? 1 : 2;
    addend = Math.floor(addend / n) + (addend % n);
    sum += addend;
  }
  return ALPHABET[(n - (sum % n)) % n];
}

/** Formats the 32-byte SHA-256 digest of a node public key as a grouped node id. */
export function nodeIdFromDigest(digest: Uint8Array): string {
  if (digest.length !== 32) {
    throw new RangeError(`Node id digest expected 32 bytes, got ${digest.length}`);
  }
  const raw = base32nopad.encode(digest); // 52 characters
  let withChecks = "";
  for (let i = 0; i < 4; i++) {
    const group = raw.slice(i * 13, i * 13 + 13);
    withChecks += group + luhn32(group);
  }
  return withChecks.match(/.{7}/g)!.join("-");
}

/** Node id of an Ed25519 public key: SHA-256 via WebCrypto, then {@link nodeIdFromDigest}. */
export async function nodeIdFromPublicKey(publicKey: Uint8Array): Promise<string> {
  if (publicKey.length !== 32) {
    throw new RangeError(`Node public key expected 32 bytes, got ${publicKey.length}`);
  }
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", publicKey as Uint8Array<ArrayBuffer>),
  );
  return nodeIdFromDigest(digest);
}

/**
 * Parses a node id typed or pasted by a person: case-insensitive, dashes and
 * spaces optional. Returns the canonical grouped form, or throws SyntaxError
 * naming what is wrong (length, a character, a check character).
 */
export function parseNodeId(input: string): string {
  const compact = input.toUpperCase().replace(/[\s-]/g, "");
  if (compact.length !== 56) {
    throw new SyntaxError(`Node id must have 56 characters, got ${compact.length}`);
  }
  for (let i = 0; i < 4; i++) {
    const group = compact.slice(i * 14, i * 14 + 13);
    const check = compact[i * 14 + 13];
    if (luhn32(group) !== check) {
      throw new SyntaxError(`Node id check character ${i + 1} does not match: mistyped?`);
    }
  }
  return compact.match(/.{7}/g)!.join("-");
}
