/**
 * FORMAT §2.2 text encodings, written from the text: lowercase hex, strict unpadded base64url,
 * strict UTF-8 (RFC 3629). Part of the second implementation: imports nothing from lib/.
 *
 * @module
 */

import { Failure } from "./failure.ts";

const HEX_DIGITS = "0123456789abcdef";

/** The concatenation of `parts`. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Lowercase hex of `bytes`. */
export function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX_DIGITS[b >> 4] + HEX_DIGITS[b & 15];
  return out;
}

/** Parses lowercase hex (FORMAT §9.1: vector files use lowercase). Throws SyntaxError. */
export function unhex(text: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(text)) throw new SyntaxError("not lowercase hex");
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** base64url without padding (FORMAT §2.2). */
export function b64(bytes: Uint8Array): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += ALPHABET[(acc >> bits) & 63];
    }
    acc &= (1 << bits) - 1;
  }
  return bits > 0 ? out + ALPHABET[(acc << (6 - bits)) & 63] : out;
}

/**
 * Decodes base64url, or returns null when FORMAT §2.2 says to reject: `=`, a character outside
 * the alphabet, a length ≡ 1 (mod 4), or non-zero unused bits in the last character.
 */
export function unb64(text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  const values: number[] = [];
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0 || ch.length !== 1) return null;
    values.push(v);
  }
  const out = new Uint8Array(Math.floor((values.length * 6) / 8));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (const v of values) {
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
      acc &= (1 << bits) - 1;
    }
  }
  return acc === 0 ? out : null; // the unused bits, if any, must be zero
}

/** UTF-8 of a string; a lone surrogate has no UTF-8 form (FORMAT §2.2). */
export function utf8(text: string): Uint8Array {
  if (hasLoneSurrogate(text)) throw new TypeError("a lone surrogate has no UTF-8 form");
  return new TextEncoder().encode(text);
}

/** True when `text` holds a UTF-16 surrogate that is not half of a high-low pair. */
export function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return true;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/**
 * Strict UTF-8 decoding (RFC 3629 §3, §4): shortest form only, no encoded surrogates, nothing
 * above U+10FFFF, no cut-off sequence. A leading EF BB BF stays as U+FEFF (FORMAT §10.2).
 * Throws `failure` when the bytes are not UTF-8.
 */
export function fromUtf8(bytes: Uint8Array, failure: () => Failure): string {
  const units: number[] = [];
  let out = "";
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    let cp: number;
    let need: number;
    let min: number;
    if (b < 0x80) [cp, need, min] = [b, 0, 0];
    else if (b >= 0xc2 && b <= 0xdf) [cp, need, min] = [b & 0x1f, 1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [cp, need, min] = [b & 0x0f, 2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [cp, need, min] = [b & 0x07, 3, 0x10000];
    else throw failure();
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) throw failure();
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw failure();
    units.push(cp);
    i += need + 1;
    if (units.length >= 4096) {
      out += String.fromCodePoint(...units);
      units.length = 0;
    }
  }
  return out + String.fromCodePoint(...units);
}
