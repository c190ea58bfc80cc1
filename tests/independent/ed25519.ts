/**
 * Strict Ed25519 verification (FORMAT §6.3), step by step from the text on @noble/curves'
 * point arithmetic and @noble/hashes' SHA-512, rather than through `ed25519.verify`, so that a
 * lax option in lib/crypto's call (ZIP-215, cofactorless) would show up as a disagreement.
 * Part of the second implementation: imports nothing from lib/.
 *
 * @module
 */

import { ed25519 } from "@noble/curves/ed25519.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { unb64 } from "./encoding.ts";

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const Point = ed25519.Point;
type EdPoint = InstanceType<typeof Point>;

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

/** §6.3 step 2: RFC 8032 §5.1.3 decoding with its checks, or null. */
function decodePoint(bytes: Uint8Array): EdPoint | null {
  const signBit = (bytes[31] & 0x80) !== 0;
  const y = littleEndian(bytes) & ((1n << 255n) - 1n);
  if (y >= P) return null;
  let point: EdPoint;
  try {
    point = Point.fromBytes(bytes, true); // lax here; the strict checks are ours, above and below
  } catch {
    return null; // x² has no square root
  }
  if (point.toAffine().x === 0n && signBit) return null;
  return point;
}

/** §6.3: true only if every strict rule holds. */
export function verifyStrict(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  const rBytes = signature.subarray(0, 32);
  const s = littleEndian(signature.subarray(32));
  if (s >= L) return false; // step 1
  const a = decodePoint(publicKey);
  const r = decodePoint(rBytes);
  if (a === null || r === null) return false; // step 2
  if (a.multiplyUnsafe(8n).is0()) return false; // step 3: small-order A
  const joined = new Uint8Array(64 + message.length);
  joined.set(rBytes);
  joined.set(publicKey, 32);
  joined.set(message, 64);
  const k = littleEndian(sha512(joined)) % L; // step 4, over the received bytes
  const sb = Point.BASE.multiplyUnsafe(s);
  const rhs = r.add(a.multiplyUnsafe(k));
  return sb.subtract(rhs).multiplyUnsafe(8n).is0(); // cofactored: [8]([S]B − R − [k]A) = 0
}

/** §6.3 for a signature written as base64url: it must decode (§2.2) to 64 bytes. */
export function verifyStrictText(
  signature: string,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  const sig = unb64(signature);
  return sig !== null && verifyStrict(sig, message, publicKey);
}

/** RFC 8032 signing, for building inputs in tests. */
export function signWith(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

/** The Ed25519 public key of a 32-byte secret key (RFC 8032 §5.1.5). */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(secretKey);
}
