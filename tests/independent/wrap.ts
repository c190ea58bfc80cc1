/**
 * Member key wrap v1 (FORMAT §5), written from the text with @noble/curves X25519 and
 * @noble/ciphers AES-GCM. Part of the second implementation: imports nothing from lib/.
 *
 * @module
 */

import { gcm } from "@noble/ciphers/aes.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8 } from "./encoding.ts";
import { Failure } from "./failure.ts";

const P = 2n ** 255n - 19n;
/** §5.3 step 4: the five low-order u-coordinates of Curve25519 and its twist. */
const LOW_ORDER = new Set([
  0n,
  1n,
  P - 1n,
  325606250916557431795983626356110631294008115727848805560023387167927233504n,
  39382357235489614581723060781553021112529911719440698176882885853963445705823n,
]);
const ZERO_NONCE = new Uint8Array(12);

/** RFC 7748 §5 decodeUCoordinate: little-endian, bit 255 cleared, reduced mod p. */
function decodeU(bytes: Uint8Array): bigint {
  let u = 0n;
  for (let i = 31; i >= 0; i--) u = (u << 8n) | BigInt(bytes[i]);
  return (u & ((1n << 255n) - 1n)) % P;
}

/** X25519(secret, pub), refusing low-order points both ways §5.3 allows. */
function shared(secret: Uint8Array, pub: Uint8Array): Uint8Array {
  if (LOW_ORDER.has(decodeU(pub))) throw new Failure("wrap", "low_order_point");
  const out = x25519.getSharedSecret(secret, pub);
  if (out.every((b) => b === 0)) throw new Failure("wrap", "low_order_point");
  return out;
}

function wrapKeyOf(sharedSecret: Uint8Array, e: Uint8Array, r: Uint8Array): Uint8Array {
  const salt = new Uint8Array(64);
  salt.set(e);
  salt.set(r, 32);
  return hkdf(sha256, sharedSecret, salt, utf8("p2pos wrap v1"), 32);
}

/** §5.3: the 32-byte key inside `wrapped`, or a Failure. */
export function unwrap(wrapped: Uint8Array, recipientSecret: Uint8Array): Uint8Array {
  if (wrapped.length === 0) throw new Failure("wrap", "length", "empty");
  if (wrapped[0] !== 1) throw new Failure("wrap", "unknown_version");
  if (wrapped.length !== 81) throw new Failure("wrap", "length");
  const e = wrapped.subarray(1, 33);
  const k = wrapKeyOf(shared(recipientSecret, e), e, x25519.getPublicKey(recipientSecret));
  try {
    return gcm(k, ZERO_NONCE).decrypt(wrapped.subarray(33));
  } catch {
    throw new Failure("wrap", "tag");
  }
}

/** §5.2 with a given ephemeral secret, for building inputs in tests. */
export function wrapWith(key: Uint8Array, recipientPublic: Uint8Array, ephemeral: Uint8Array) {
  const e = x25519.getPublicKey(ephemeral);
  const k = wrapKeyOf(shared(ephemeral, recipientPublic), e, recipientPublic);
  const out = new Uint8Array(81);
  out[0] = 1;
  out.set(e, 1);
  out.set(gcm(k, ZERO_NONCE).encrypt(key), 33);
  return out;
}

/** The X25519 public key of a secret (RFC 7748). */
export function x25519PublicOf(secret: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secret);
}
