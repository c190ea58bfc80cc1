/**
 * What the vector generators share: deterministic bytes, the file layout of FORMAT §9.1, and
 * the set of files being written. Test tooling, Deno only.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { utf8Encode } from "../../lib/crypto/bytes.ts";

/** 32 deterministic bytes per label: the same files on every run. */
export const det = (label: string): Uint8Array => sha256(utf8Encode(`p2pos test vector: ${label}`));

/** `name: value` lines after `kind`, `expect` and `comment`. */
export type Fields = [string, string][];

/** Collects vector files by name. */
export class VectorSet {
  readonly files = new Map<string, string>();

  /** Adds `<name>.txt`; a name used twice is a bug in a generator. */
  add(name: string, kind: string, expect: string, comment: string, fields: Fields): void {
    if (this.files.has(`${name}.txt`)) throw new Error(`vector ${name} made twice`);
    for (const [k, v] of [["comment", comment], ...fields]) {
      if (/[\n\r]/.test(v)) throw new Error(`vector ${name}: ${k} holds a line break`);
    }
    const lines = [
      "# p2pos crypto test vector, one case per file: docs/FORMAT.md §9",
      `kind: ${kind}`,
      `expect: ${expect}`,
      `comment: ${comment}`,
      ...fields.map(([k, v]) => `${k}: ${v}`),
    ];
    this.files.set(`${name}.txt`, lines.join("\n") + "\n");
  }
}

/** Adds L = 2^252 + 27742317777372353535851937790883648493 to S (bytes 32..63, little-endian). */
export function unreducedS(signature: Uint8Array): Uint8Array {
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]);
  s += L;
  const out = signature.slice();
  for (let i = 32; i < 64; i++, s >>= 8n) out[i] = Number(s & 0xffn);
  return out;
}

/** base64url text whose last character has a non-zero unused bit (FORMAT §2.2 refuses it). */
export function withUnusedBitSet(text: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const last = alphabet.indexOf(text.at(-1)!);
  return text.slice(0, -1) + alphabet[last | 1];
}

/** A little-endian 32-byte encoding of `u`. */
export function littleEndian32(u: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, u >>= 8n) out[i] = Number(u & 0xffn);
  return out;
}
