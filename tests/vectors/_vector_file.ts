/**
 * What the vector generators share: deterministic bytes, the file layout of FORMAT §9.1, and
 * the set of files being written. Test tooling, Deno only.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { toBase64Url, toHex, utf8Encode } from "../../lib/crypto/bytes.ts";
import { encryptBytesWithSalt } from "../../lib/crypto/stream_encrypt.ts";

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

/** A kind of vector whose document is sealed as a one-chunk blob (FORMAT §10, §14). */
export interface SealedKind {
  kind: string;
  /** The key the vector states, and seals under unless told otherwise. */
  key: Uint8Array;
  salt: Uint8Array;
  /** The field names of the stated key (hex) and of the sealed bytes (base64url). */
  keyField: string;
  sealedField: string;
}

export interface SealedVectorOptions {
  /** Fields between the key and the sealed bytes. */
  before?: Fields;
  /** Fields after the sealed bytes. */
  after?: Fields;
  /** The key the vector states. @default kind.key */
  stated?: Uint8Array;
  /** The key `plaintext` is sealed under. @default kind.key */
  sealedUnder?: Uint8Array;
}

/** Adds vectors of `kind` to `set`: the key, `before`, `plaintext` sealed, then `after`. */
export function sealedVectors(set: VectorSet, kind: SealedKind) {
  return async (
    name: string,
    expect: string,
    comment: string,
    plaintext: Uint8Array,
    { before = [], after = [], stated = kind.key, sealedUnder = kind.key }: SealedVectorOptions =
      {},
  ): Promise<void> => {
    const sealed = await encryptBytesWithSalt(sealedUnder, kind.salt, plaintext);
    set.add(name, kind.kind, expect, comment, [
      [kind.keyField, toHex(stated)],
      ...before,
      [kind.sealedField, toBase64Url(sealed)],
      ...after,
    ]);
  };
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
