/**
 * Invite tokens (DESIGN §4): 32 random bytes in the link, only their SHA-256 in the signed
 * invite record, so the node cannot redeem an invite before the invited person does.
 * Browser-compatible: @noble/hashes, no zod (see names.ts for why lib/core is not imported).
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes, toBase64Url, toHex, utf8Encode } from "../../crypto/mod.ts";

/** A fresh token: base64url of 32 random bytes (43 characters). */
export function newInviteToken(): string {
  return toBase64Url(randomBytes(32));
}

/** Lowercase hex SHA-256 of the token's UTF-8, as lib/core's inviteTokenHash computes it. */
export function inviteTokenHash(token: string): string {
  return toHex(sha256(utf8Encode(token)));
}
