/**
 * Signing in and out of this node (DESIGN §6, FORMAT §8.1). Browser-only.
 *
 * Sign-in: the node hands out a single-use challenge; the browser signs the login message,
 * which names this page's origin and the node, so the signature is worthless to any other
 * site or node; the node answers with an HttpOnly session cookie that script never sees.
 *
 * @module
 */

import { deriveIdentity, loginMessage, sign, toBase64Url } from "../../crypto/mod.ts";
import { api, ApiError } from "./api.ts";
import type { ChallengeResponse, MemberSummary } from "./api_types.ts";
import { forgetIdentity, lockIdentity } from "./keystore.ts";
import { observeServerHlc } from "./records.ts";
import { timingStep } from "./timing.ts";

/** Proves possession of `seed`'s signing key to the node; resolves to the member signed in. */
export async function signIn(seed: Uint8Array): Promise<MemberSummary> {
  const keys = deriveIdentity(seed);
  try {
    const ch = await api<ChallengeResponse>("POST", "/v1/auth/challenge", {});
    timingStep("challenge");
    observeServerHlc(ch.serverHlc);
    const origin = location.origin;
    if (ch.origin && ch.origin !== origin) {
      // The node would reject the signature anyway; say why so the person can fix the address.
      throw new ApiError(
        400,
        "origin_mismatch",
        `This node expects to be opened at ${ch.origin}, but this page is ${origin}. ` +
          `Open ${ch.origin} instead, or fix the node's public URL.`,
      );
    }
    const message = loginMessage({ origin, nodeId: ch.nodeId, challenge: ch.challenge });
    const signature = toBase64Url(sign(message, keys.signingSecretKey));
    timingStep("signed");
    const res = await api<{ member: MemberSummary }>("POST", "/v1/auth/verify", {
      member: toBase64Url(keys.signingPublicKey),
      challenge: ch.challenge,
      signature,
    });
    return res.member;
  } finally {
    keys.signingSecretKey.fill(0);
    keys.x25519SecretKey.fill(0);
  }
}

/** Ends this browser's session on the node. A session that already ended is fine. */
export async function logout(): Promise<void> {
  try {
    await api("POST", "/v1/auth/logout", {});
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
  }
}

/** Locks: ends the session and drops the unsealed key from memory; the key stays on this device. */
export async function lock(): Promise<void> {
  lockIdentity();
  await logout();
}

/** Signs out and forgets this device: deletes the stored key first, then ends the session. */
export async function signOut(): Promise<void> {
  await forgetIdentity();
  await logout();
}

/** `next` when it is a same-site path ("/x", not "//evil.example" or "/\\evil"), else "/". */
export function safeNext(next: unknown): string {
  if (typeof next !== "string" || !next.startsWith("/") || next.startsWith("//")) return "/";
  // deno-lint-ignore no-control-regex
  if (next.includes("\\") || /[\u0000-\u001f]/.test(next)) return "/";
  return next;
}
