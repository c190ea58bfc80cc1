/**
 * What the vault code needs from the page: JSON calls, raw fetch (blobs, upload chunks),
 * record signing, the member's keys and a clock. In the browser {@link browserVaultDeps}
 * builds them from the keystore and `/v1`; tests pass their own (an in-process node).
 * Browser-compatible.
 *
 * @module
 */

import { deriveIdentity, recordHash, type SignedRecord, toBase64Url } from "../../../crypto/mod.ts";
import { api, ApiError } from "../api.ts";
import { loadIdentity } from "../keystore.ts";
import { forgetHeads, makeSignedRecord } from "../records.ts";

export type Method = "GET" | "POST" | "PUT" | "DELETE";

export interface VaultMe {
  /** base64url Ed25519 public key: the member's id. */
  key: string;
  x25519PublicKey: Uint8Array;
  x25519SecretKey: Uint8Array;
}

export interface VaultDeps {
  /** A JSON call to `/v1`; failures are {@link ApiError}s with a message a person can act on. */
  call<T>(method: Method, path: string, body?: unknown): Promise<T>;
  /** Plain fetch for blob bytes and upload chunks (same origin, session cookie). */
  fetch: typeof fetch;
  /**
   * Signs a new version of record `kind`/`id` as the member. It follows the node's heads in
   * the family log, or `after` — the record before it in the same batch, so that a batch is
   * a chain and does not leave the log with as many loose ends as records.
   */
  sign<B>(kind: string, id: string, body: B, after?: SignedRecord): Promise<SignedRecord<B>>;
  me: VaultMe;
  now(): number;
}

/** This browser's deps: the key held in IndexedDB, the page's session. */
export async function browserVaultDeps(): Promise<VaultDeps> {
  const identity = await loadIdentity();
  if (!identity) throw new NoKeyError();
  // A private copy: Keystore.lock() zeroes the keys it hands out.
  const keys = deriveIdentity(identity.seed);
  return {
    call: (method, path, body) => api(method, path, body),
    fetch: (input, init) => globalThis.fetch(input, { credentials: "same-origin", ...init }),
    sign: (kind, id, body, after) =>
      makeSignedRecord(kind, id, body, {
        identity,
        ...(after ? { prev: [recordHash(after)], after: after.hlc } : {}),
      }),
    me: {
      key: toBase64Url(keys.signingPublicKey),
      x25519PublicKey: keys.x25519PublicKey,
      x25519SecretKey: keys.x25519SecretKey,
    },
    now: () => Date.now(),
  };
}

/** Signed in, but this browser does not hold the key (it was forgotten or locked). */
export class NoKeyError extends ApiError {
  constructor() {
    super(
      401,
      "no_key",
      "This browser does not hold your key, so it cannot open albums. Sign in again.",
    );
    this.name = "NoKeyError";
  }
}

const REFUSED = /^(rejected|refused|forbidden|invalid|error|conflict)/;

/** POST /v1/records; throws when the node refused any of them. */
export async function postRecords(
  deps: Pick<VaultDeps, "call">,
  records: SignedRecord[],
): Promise<void> {
  const res = await deps.call<{ results?: { kind: string; status: string; message?: string }[] }>(
    "POST",
    "/v1/records",
    { records },
  );
  forgetHeads();
  const refused = res?.results?.find((r) => REFUSED.test(r.status));
  if (refused) {
    throw new ApiError(
      200,
      "record_refused",
      refused.message ?? `The node refused the ${refused.kind} change.`,
    );
  }
}
