/**
 * Linking a device from a signed-in one (issue #16; SECURITY.md "Linking a device"): the
 * signed-in device makes a one-time secret, shows it as a code and a QR code, and leaves the
 * member's seed on its node sealed under a key derived from that secret, for 10 minutes. The new
 * device, given the code (typed, or in the QR link's fragment, which browsers never send), fetches
 * the sealed seed once, opens it, and signs in as usual. The node holds only ciphertext and a
 * hash of the secret; nothing secret passes through it in the clear. Browser-compatible.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import {
  concatBytes,
  decryptBytes,
  encryptBytes,
  fromBase64Url,
  hkdfSha256,
  randomBytes,
  toBase64Url,
  toHex,
  utf8Decode,
  utf8Encode,
} from "../../crypto/mod.ts";

/** Crockford's base32: no I, L, O or U, so a code reads and types without mistakes. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const SECRET_BYTES = 16;
const CODE_CHARS = 26; // ⌈128 / 5⌉
const LABEL = "p2pos-device-link-v1";

/** What a linked device receives: the seed and what the sign-in page shows about it. */
export interface LinkPayload {
  v: 1;
  seed: string;
  memberKey: string;
  name: string;
  familyName: string;
}

export function newLinkSecret(): Uint8Array {
  return randomBytes(SECRET_BYTES);
}

/** The secret as people see it: 26 characters in groups, e.g. `7K2M-…`. */
export function formatLinkCode(secret: Uint8Array): string {
  if (secret.length !== SECRET_BYTES) throw new RangeError(`"secret" expected 16 bytes`);
  let bits = 0;
  let acc = 0;
  let out = "";
  for (const b of secret) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  out += ALPHABET[(acc << (5 - bits)) & 31];
  return out.match(/.{1,4}/g)!.join("-");
}

/** Reads a code as typed: spaces, dashes and case do not matter; I/L read as 1, O as 0. */
export function parseLinkCode(text: string): Uint8Array {
  const clean = text.toUpperCase().replace(/[\s-]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0");
  if (clean.length !== CODE_CHARS) {
    throw new SyntaxError(
      `A link code has ${CODE_CHARS} letters and digits; this one has ${clean.length}`,
    );
  }
  const out = new Uint8Array(SECRET_BYTES);
  let bits = 0;
  let acc = 0;
  let n = 0;
  for (const ch of clean) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new SyntaxError(`"${ch}" cannot be part of a link code`);
    acc = ((acc << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8 && n < SECRET_BYTES) {
      out[n++] = (acc >> (bits - 8)) & 255;
      bits -= 8;
    }
  }
  return out;
}

/** What the node files the sealed seed under: a hash of the secret, not the secret. */
export function linkLookup(secret: Uint8Array): string {
  return toHex(sha256(concatBytes(utf8Encode(`${LABEL}\nlookup\n`), secret)));
}

function linkKey(secret: Uint8Array): Uint8Array {
  return hkdfSha256(secret, utf8Encode(LABEL), "seal", 32);
}

export async function sealLink(secret: Uint8Array, payload: LinkPayload): Promise<string> {
  return toBase64Url(await encryptBytes(linkKey(secret), utf8Encode(JSON.stringify(payload))));
}

export async function openLink(secret: Uint8Array, sealed: string): Promise<LinkPayload> {
  const plain = await decryptBytes(linkKey(secret), fromBase64Url(sealed));
  const p = JSON.parse(utf8Decode(plain)) as Partial<LinkPayload>;
  if (p.v !== 1 || typeof p.seed !== "string" || typeof p.memberKey !== "string") {
    throw new SyntaxError("Cannot read the linked key: it is not a p2pos device link (v1)");
  }
  return p as LinkPayload;
}
