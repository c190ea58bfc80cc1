/**
 * A new person's key, made in the browser at setup or when joining (DESIGN §4): the identity
 * that signs their first records, and what those records chain on. Browser-compatible.
 *
 * @module
 */

import { deriveIdentity, recordHash, type SignedRecord, toBase64Url } from "../../crypto/mod.ts";
import type { IdentityMeta, UnlockedIdentity } from "./keystore.ts";
import type { MakeRecordOptions } from "./records.ts";

/** A new member's keys, ready to sign, with the public keys their records carry. */
export interface NewMember {
  identity: UnlockedIdentity;
  /** base64url Ed25519 public key: the member's id. */
  memberKey: string;
  /** base64url X25519 public key: what the family key is wrapped to. */
  x25519: string;
}

/** Derives the identity of `seed` (FORMAT §4) for a person described by `meta`. */
export function newMember(seed: Uint8Array, meta: Omit<IdentityMeta, "memberKey">): NewMember {
  const keys = deriveIdentity(seed);
  const memberKey = toBase64Url(keys.signingPublicKey);
  return {
    identity: { meta: { memberKey, ...meta }, seed, keys },
    memberKey,
    x25519: toBase64Url(keys.x25519PublicKey),
  };
}

/**
 * Options that sign the next record of a chain made in one go, before the node has seen any
 * of it: it follows `record` alone and is stamped after it.
 */
export function following(record: SignedRecord, identity: UnlockedIdentity): MakeRecordOptions {
  return { identity, prev: [recordHash(record)], after: record.hlc };
}
