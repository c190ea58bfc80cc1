/**
 * Member key wrap v1: a 32-byte key encrypted to a member's X25519 public key (FORMAT §5). The
 * vault wraps album keys; file keys travel encrypted under the album key instead (§12.3).
 * Browser-compatible: no I/O, no Deno or Node APIs.
 *
 * Construction (like age's X25519 recipient): a fresh ephemeral X25519 key per wrap, the shared
 * secret through HKDF-SHA-256 bound to both public keys, then AES-256-GCM of the key. The
 * leading version byte leaves room for a hybrid X25519 + ML-KEM-768 wrap (version 2).
 *
 * @module
 */

import { x25519 } from "@noble/curves/ed25519.js";
import { assertBytes, bufferSource, concatBytes } from "./bytes.ts";
import { WrapError } from "./errors.ts";
import { hkdfSha256 } from "./hkdf.ts";
import { randomBytes } from "./random.ts";

/** FORMAT §5.1: version byte of an X25519 wrap. */
export const WRAP_VERSION_X25519 = 1;
/** version (1) ‖ ephemeral public key (32) ‖ encrypted key (32) ‖ tag (16). */
export const WRAPPED_KEY_SIZE = 81;
/** Length of the key being wrapped. */
export const WRAPPABLE_KEY_SIZE = 32;

const INFO_WRAP = "p2pos wrap v1";
/**
 * FORMAT §5.2: the nonce is fixed at zero. Safe because every wrap derives a fresh AES key
 * from a fresh ephemeral key, so no (key, nonce) pair is ever used twice.
 */
const ZERO_NONCE = new Uint8Array(12);

/** Wraps `key` for the holder of `recipientPublicKey` (an X25519 public key). */
export async function wrapKey(
  key: Uint8Array,
  recipientPublicKey: Uint8Array,
): Promise<Uint8Array> {
  return await wrapKeyWithEphemeral(key, recipientPublicKey, randomBytes(32));
}

/**
 * @internal {@link wrapKey} with a caller-chosen ephemeral secret, for deterministic test
 * vectors only. Reusing an ephemeral secret for the same recipient reuses the AES key and
 * nonce. Not re-exported from mod.ts.
 */
export async function wrapKeyWithEphemeral(
  key: Uint8Array,
  recipientPublicKey: Uint8Array,
  ephemeralSecretKey: Uint8Array,
): Promise<Uint8Array> {
  assertBytes(key, "key", WRAPPABLE_KEY_SIZE);
  assertBytes(recipientPublicKey, "recipientPublicKey", 32);
  assertBytes(ephemeralSecretKey, "ephemeralSecretKey", 32);
  const ephemeralPublicKey = x25519.getPublicKey(ephemeralSecretKey);
  const shared = sharedSecret(ephemeralSecretKey, recipientPublicKey);
  const aesKey = await deriveWrapKey(shared, ephemeralPublicKey, recipientPublicKey);
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv: ZERO_NONCE }, aesKey, bufferSource(key)),
  );
  return concatBytes(Uint8Array.of(WRAP_VERSION_X25519), ephemeralPublicKey, sealed);
}

/** Recovers the key wrapped by {@link wrapKey}; throws {@link WrapError} on any failure. */
export async function unwrapKey(
  wrapped: Uint8Array,
  recipientSecretKey: Uint8Array,
): Promise<Uint8Array> {
  assertBytes(wrapped, "wrapped");
  assertBytes(recipientSecretKey, "recipientSecretKey", 32);
  // FORMAT §5.3: the version decides the length, so it is checked first.
  if (wrapped.length > 0 && wrapped[0] !== WRAP_VERSION_X25519) {
    throw new WrapError("unknown_version", `Cannot unwrap key: version ${wrapped[0]} is unknown`);
  }
  if (wrapped.length !== WRAPPED_KEY_SIZE) {
    throw new WrapError(
      "length",
      `Cannot unwrap key: ${wrapped.length} bytes, expected ${WRAPPED_KEY_SIZE}`,
    );
  }
  const ephemeralPublicKey = wrapped.subarray(1, 33);
  const recipientPublicKey = x25519.getPublicKey(recipientSecretKey);
  const shared = sharedSecret(recipientSecretKey, ephemeralPublicKey);
  const aesKey = await deriveWrapKey(shared, ephemeralPublicKey, recipientPublicKey);
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: ZERO_NONCE },
        aesKey,
        bufferSource(wrapped.subarray(33)),
      ),
    );
  } catch (cause) {
    throw new WrapError(
      "tag",
      "Cannot unwrap key: it was not wrapped for this member, or it was altered",
      { cause },
    );
  }
}

/**
 * X25519 with low-order points rejected (FORMAT §5.3). A low-order public key forces the shared
 * secret to zero whatever the secret key, so a wrap made with one would be readable by anyone.
 * @noble rejects the known low-order encodings before the ladder; the all-zero check is a
 * second line that does not depend on that.
 */
function sharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(secretKey, publicKey);
  } catch (cause) {
    throw new WrapError("low_order_point", "Cannot use X25519 key: it is a low-order point", {
      cause,
    });
  }
  if (shared.every((b) => b === 0)) {
    throw new WrapError("low_order_point", "Cannot use X25519 key: shared secret is all zero");
  }
  return shared;
}

/** FORMAT §5.2: HKDF-SHA-256(shared, salt = ephemeral pub ‖ recipient pub, "p2pos wrap v1"). */
async function deriveWrapKey(
  shared: Uint8Array,
  ephemeralPublicKey: Uint8Array,
  recipientPublicKey: Uint8Array,
): Promise<CryptoKey> {
  const raw = hkdfSha256(
    shared,
    concatBytes(ephemeralPublicKey, recipientPublicKey),
    INFO_WRAP,
    32,
  );
  const key = await crypto.subtle.importKey("raw", bufferSource(raw), "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  raw.fill(0);
  shared.fill(0);
  return key;
}
