/**
 * Family keys (FORMAT §14), written from the text: sealed names read step by step, keychains,
 * key ids and the key pair of an invite secret. Part of the second implementation: imports
 * nothing from lib/.
 *
 * @module
 */

import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { openBlob, sealBlob } from "./blob.ts";
import { concat, fromUtf8, hex, unb64, utf8 } from "./encoding.ts";
import { Failure } from "./failure.ts";

const NAME_LABEL = utf8("p2pos-name-v1\n");
const KEYCHAIN_LABEL = utf8("p2pos-family-keys-v1\n");
/** §14.3 step 6, listed code point by code point (the set of §7.1). */
const WHITE = new Set([
  0x09,
  0x0a,
  0x0b,
  0x0c,
  0x0d,
  0x20,
  0xa0,
  0x1680,
  0x2000,
  0x2001,
  0x2002,
  0x2003,
  0x2004,
  0x2005,
  0x2006,
  0x2007,
  0x2008,
  0x2009,
  0x200a,
  0x2028,
  0x2029,
  0x202f,
  0x205f,
  0x3000,
  0xfeff,
]);

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/** §14.3 step 6: a one-line name of 1 … 80 UTF-16 code units. */
function isName(text: string): boolean {
  if (text.length < 1 || text.length > 80) return false;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || cp === 0x7f) return false;
  }
  const first = text.codePointAt(0)!;
  const last = [...text].at(-1)!.codePointAt(0)!;
  return !WHITE.has(first) && !WHITE.has(last);
}

/** §14.3: the name inside a sealed name, or a Failure. */
export function openSealedName(sealed: Uint8Array, key: Uint8Array): string {
  const plain = openBlob(key, sealed);
  if (plain.length !== 256) throw new Failure("name", "length", `${plain.length} bytes`);
  if (!startsWith(plain, NAME_LABEL)) throw new Failure("name", "label");
  const rest = plain.slice(NAME_LABEL.length);
  let end = 0;
  while (end < rest.length && rest[end] !== 0) end++;
  for (let i = end; i < rest.length; i++) {
    if (rest[i] !== 0) throw new Failure("name", "padding");
  }
  const text = fromUtf8(rest.slice(0, end), () => new Failure("name", "utf8"));
  if (!isName(text)) throw new Failure("name", "text");
  return text;
}

/** §14.3: a sealed name with the given salt. */
export function sealName(name: string, key: Uint8Array, salt: Uint8Array): Uint8Array {
  if (!isName(name)) throw new TypeError("not a name");
  const plain = new Uint8Array(256);
  plain.set(concat(NAME_LABEL, utf8(name)));
  return sealBlob(key, salt, plain);
}

/** §14.4: the keys of epochs 0 … epoch−1, or a Failure. */
export function openKeychainOf(sealed: Uint8Array, key: Uint8Array, epoch: number): Uint8Array[] {
  const plain = openBlob(key, sealed);
  if (!startsWith(plain, KEYCHAIN_LABEL)) throw new Failure("keychain", "label");
  const body = plain.slice(KEYCHAIN_LABEL.length);
  if (body.length !== 32 * epoch) throw new Failure("keychain", "length");
  const out: Uint8Array[] = [];
  for (let i = 0; i < epoch; i++) out.push(body.slice(32 * i, 32 * (i + 1)));
  return out;
}

/** §14.2: lowercase hex SHA-256 of the prefix and the key. */
export function keyIdOf(key: Uint8Array): string {
  return hex(sha256(concat(utf8("p2pos-family-key-id-v1\n"), key)));
}

/** §14.5: the invite's X25519 key pair, from the link's secret (base64url), or a Failure. */
export function inviteKeysOf(secret: string): { secret: Uint8Array; public: Uint8Array } {
  const bytes = unb64(secret);
  if (bytes === null || bytes.length !== 32) throw new Failure("invite", "secret");
  const x = hkdf(sha256, bytes, new Uint8Array(0), utf8("p2pos invite v1 x25519"), 32);
  return { secret: x, public: x25519.getPublicKey(x) };
}
