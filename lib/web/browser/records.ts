/**
 * Signing records in the browser (DESIGN §4): the envelope, the records it follows in the
 * family log (`prev`: the node's heads, docs/SECURITY.md "The family log"), a hybrid logical
 * clock that has seen the node's clock and those records, and the signature of the member's
 * key. Browser-only (uses the page's keystore and fetch).
 *
 * @module
 */

import { randomBytes, type SignedRecord, signRecord, toBase64Url } from "../../crypto/mod.ts";
import { HybridClock, isHlc } from "../../core/hlc.ts";
import { api, ApiError } from "./api.ts";
import type {
  ChallengeResponse,
  HeadsResponse,
  RecordsResponse,
  SessionResponse,
} from "./api_types.ts";
import { loadIdentity, type UnlockedIdentity } from "./keystore.ts";

const clock = new HybridClock();
let observed = false;

/** Takes in the node's clock so this page's next stamp sorts after everything the node has. */
export function observeServerHlc(stamp: unknown): void {
  if (!isHlc(stamp)) return;
  clock.observe(stamp);
  observed = true;
}

/**
 * Makes sure the clock has seen the node's once in this page: from the session when signed
 * in, otherwise from a login challenge (which needs no session). When the node cannot say,
 * the local clock is used; the node refuses stamps too far ahead, with a message.
 */
export async function syncClock(): Promise<void> {
  if (observed) return;
  try {
    observeServerHlc((await api<SessionResponse>("GET", "/v1/session")).serverHlc);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) return;
    try {
      observeServerHlc((await api<ChallengeResponse>("POST", "/v1/auth/challenge", {})).serverHlc);
    } catch { /* the node will judge the stamp */ }
  }
}

/** A random record id: base64url of 16 bytes (RandomId in lib/core/schemas.ts). */
export function randomId(): string {
  return toBase64Url(randomBytes(16));
}

export interface MakeRecordOptions {
  /** Who signs; defaults to the identity held by this device. */
  identity?: UnlockedIdentity;
  /**
   * What the record follows, when not the node's current heads: the family's first records
   * at setup, the invite's place in the log when joining (no session yet).
   */
  prev?: string[];
  /** With `prev`: the greatest stamp among those records. */
  after?: string;
}

/** Heads are asked again after this long, or after this page stored records. */
const HEADS_TTL_MS = 1_000;
let heads: { value: Promise<HeadsResponse>; at: number } | undefined;

/** The node's heads (shared by records signed in one go, e.g. a batch of re-wrapped photos). */
function currentHeads(): Promise<HeadsResponse> {
  if (!heads || Date.now() - heads.at > HEADS_TTL_MS) {
    const value = api<HeadsResponse>("GET", "/v1/heads");
    heads = { value, at: Date.now() };
    value.catch(() => (heads = undefined));
  }
  return heads.value;
}

/** Records were stored: the next record follows them. */
export function forgetHeads(): void {
  heads = undefined;
}

/** Signs a new version of record `kind`/`id` with `body`, stamped later than anything seen. */
export async function makeSignedRecord<B>(
  kind: string,
  id: string,
  body: B,
  options: MakeRecordOptions = {},
): Promise<SignedRecord<B>> {
  const identity = options.identity ?? await loadIdentity();
  if (!identity) {
    throw new Error(
      "This browser does not hold your key, so it cannot sign changes. Sign in again with your 24 words.",
    );
  }
  await syncClock();
  const follows = options.prev ? { prev: options.prev, hlc: options.after } : await currentHeads();
  if (follows.hlc) observeServerHlc(follows.hlc);
  return signRecord({
    v: 2 as const,
    kind,
    id,
    author: toBase64Url(identity.keys.signingPublicKey),
    hlc: clock.next(),
    prev: [...follows.prev].sort(),
    body,
  }, identity.keys.signingSecretKey);
}

const REFUSED = /^(rejected|refused|forbidden|invalid|error|conflict)/;

/** Sends signed records to the node; throws when it refuses any of them. */
export async function postRecords(records: SignedRecord[]): Promise<RecordsResponse> {
  const res = await api<RecordsResponse>("POST", "/v1/records", { records });
  forgetHeads();
  const refused = res?.results?.find((r) => REFUSED.test(r.status));
  if (refused) {
    const why = (refused as { message?: string }).message;
    throw new ApiError(
      200,
      "record_refused",
      why ?? `The node refused the ${refused.kind} change.`,
    );
  }
  return res;
}
