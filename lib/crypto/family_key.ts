/**
 * The family key (FORMAT §14): one random 32-byte key per epoch, under which the family's name
 * and its members' names are sealed (sealed_name.ts). Members hold it wrapped to their X25519
 * key (§5); an invite link carries a secret from which the invite's own X25519 key derives, so
 * the invited person can unwrap it before she has a key of her own. Removing a member starts
 * a new epoch; the current key opens a keychain holding every earlier one. Browser-compatible:
 * no I/O, no Deno or Node APIs.
 *
 * @module
 */

import { x25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { FILE_KEY_SIZE } from "./blob_format.ts";
import {
  assertBytes,
  concatBytes,
  equalBytes,
  fromBase64UrlOrNull,
  toHex,
  utf8Encode,
} from "./bytes.ts";
import { InviteError, KeychainError } from "./errors.ts";
import { hkdfSha256 } from "./hkdf.ts";
import { randomBytes } from "./random.ts";
import { decryptBytes } from "./stream_decrypt.ts";
import { encryptBytes } from "./stream_encrypt.ts";

/** Length of a family key and of an invite secret. */
export const FAMILY_KEY_SIZE = 32;
const KEY_ID_PREFIX = utf8Encode("p2pos-family-key-id-v1\n");
/** FORMAT §14.4: the keychain plaintext's first bytes. */
export const KEYCHAIN_LABEL: Uint8Array = utf8Encode("p2pos-family-keys-v1\n");
const INFO_INVITE = "p2pos invite v1 x25519";

/** A fresh family key, from the platform CSPRNG. */
export function newFamilyKey(): Uint8Array {
  return randomBytes(FAMILY_KEY_SIZE);
}

/**
 * FORMAT §14.2: lowercase hex SHA-256("p2pos-family-key-id-v1\n" ‖ key). Names a key in records
 * without revealing it, so anyone can tell which wraps hold the key in force.
 */
export function familyKeyId(key: Uint8Array): string {
  assertBytes(key, "key", FAMILY_KEY_SIZE);
  return toHex(sha256(concatBytes(KEY_ID_PREFIX, key)));
}

/** FORMAT §14.4: the keychain plaintext of the keys of epochs 0 … n−1, in order. */
export function encodeKeychain(earlier: Uint8Array[]): Uint8Array {
  earlier.forEach((k, i) => assertBytes(k, `earlier[${i}]`, FAMILY_KEY_SIZE));
  return concatBytes(KEYCHAIN_LABEL, ...earlier);
}

/**
 * FORMAT §14.4 steps 2–3: the keys of epochs 0 … `epoch`−1 in a decrypted keychain; throws
 * {@link KeychainError}.
 */
export function decodeKeychain(plaintext: Uint8Array, epoch: number): Uint8Array[] {
  assertBytes(plaintext, "plaintext");
  if (!Number.isSafeInteger(epoch) || epoch < 1) {
    throw new RangeError(`"epoch" expected a whole number ≥ 1, got ${epoch}`);
  }
  if (!equalBytes(plaintext.subarray(0, KEYCHAIN_LABEL.length), KEYCHAIN_LABEL)) {
    throw new KeychainError("label", "Cannot read keychain: it does not start with its label");
  }
  const body = plaintext.subarray(KEYCHAIN_LABEL.length);
  if (body.length !== epoch * FAMILY_KEY_SIZE) {
    throw new KeychainError(
      "length",
      `Cannot read keychain: it holds ${body.length} bytes, not the ${epoch} keys of epochs ` +
        `0 … ${epoch - 1}`,
    );
  }
  return Array.from({ length: epoch }, (_, i) => body.slice(i * 32, i * 32 + 32));
}

/** Seals the keys of the earlier epochs under the current key (FORMAT §14.4). */
export async function sealKeychain(
  earlier: Uint8Array[],
  current: Uint8Array,
): Promise<Uint8Array> {
  assertBytes(current, "current", FILE_KEY_SIZE);
  if (earlier.length === 0) throw new RangeError("Epoch 0 has no keychain");
  return await encryptBytes(current, encodeKeychain(earlier));
}

/** Opens the keychain of epoch `epoch` with its key; blob failures keep their codes. */
export async function openKeychain(
  sealed: Uint8Array,
  current: Uint8Array,
  epoch: number,
): Promise<Uint8Array[]> {
  assertBytes(sealed, "sealed");
  assertBytes(current, "current", FILE_KEY_SIZE);
  return decodeKeychain(await decryptBytes(current, sealed), epoch);
}

/** A fresh invite secret: the part of an invite link after `#`, never sent to a node. */
export function newInviteSecret(): Uint8Array {
  return randomBytes(FAMILY_KEY_SIZE);
}

/**
 * FORMAT §14.5: the invite's X25519 key pair, from the secret as the link carries it (base64url
 * of 32 bytes). Throws {@link InviteError} `secret` for anything else.
 */
export function inviteKeyPair(secret: string): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const bytes = typeof secret === "string" ? fromBase64UrlOrNull(secret, FAMILY_KEY_SIZE) : null;
  if (bytes === null) {
    throw new InviteError(
      "secret",
      "Cannot read this invite link: the part after # is not its 43-character secret",
    );
  }
  const secretKey = hkdfSha256(bytes, new Uint8Array(0), INFO_INVITE, 32);
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}
