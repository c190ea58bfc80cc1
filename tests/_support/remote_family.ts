/**
 * Drives a real node process over HTTP the way a browser does: creates the
 * family with the printed setup code, signs members in, and returns the
 * session cookie. Used by integration tests and benchmarks.
 */

import {
  deriveIdentity,
  loginMessage,
  newSeed,
  recordHash,
  sign,
  signRecord,
  toBase64Url,
} from "../../lib/crypto/mod.ts";
import { HybridClock } from "../../lib/core/hlc.ts";
import { type FamilyKeys, foundingBodies } from "../../lib/web/browser/family_keys.ts";

export interface RemoteMember {
  seed: Uint8Array;
  key: string;
  x25519: string;
  signingSecretKey: Uint8Array;
  x25519SecretKey: Uint8Array;
  name: string;
  cookie: string;
  /** A place in the family log to sign after: the founder's member record. */
  follows: { prev: string[]; hlc: string };
  /** The family keys the names are sealed under (FORMAT §14), as her browser holds them. */
  familyKeys: FamilyKeys;
}

const clock = new HybridClock();

function cookieFrom(res: Response): string {
  const m = /^([^=;]+=[^;]*)/.exec(res.headers.get("set-cookie") ?? "");
  if (!m) throw new Error(`No session cookie (HTTP ${res.status})`);
  return m[1];
}

export async function postJson(url: string, body: unknown, cookie?: string): Promise<Response> {
  return await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
}

/** Creates the family on a fresh node (`setupCode` as printed) and returns its founder. */
export async function setupRemoteFamily(
  baseUrl: string,
  setupCode: string,
  names: { family?: string; founder?: string } = {},
): Promise<RemoteMember> {
  const seed = newSeed();
  const id = deriveIdentity(seed);
  const key = toBase64Url(id.signingPublicKey);
  const x25519 = toBase64Url(id.x25519PublicKey);
  const name = names.founder ?? "Alice";
  const familyId = toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
  // As the setup page: the names sealed under a new family key, wrapped for the founder.
  const bodies = await foundingBodies({ key, x25519 }, {
    family: names.family ?? "River",
    founder: name,
  });
  const family = signRecord({
    v: 2,
    kind: "family",
    id: familyId,
    author: key,
    hlc: clock.next(),
    prev: [],
    body: bodies.family,
  }, id.signingSecretKey);
  const me = signRecord({
    v: 2,
    kind: "member",
    id: key,
    author: key,
    hlc: clock.next(),
    prev: [recordHash(family)],
    body: bodies.member,
  }, id.signingSecretKey);
  const familyKey = signRecord({
    v: 2,
    kind: "family_key",
    id: x25519,
    author: key,
    hlc: clock.next(),
    prev: [recordHash(me)],
    body: bodies.familyKey,
  }, id.signingSecretKey);
  // The node's own node record, as the setup page signs it: its key checks upload receipts.
  const ch = await (await postJson(`${baseUrl}/v1/auth/challenge`, {})).json();
  const node = signRecord({
    v: 2,
    kind: "node",
    id: ch.nodeId,
    author: key,
    hlc: clock.next(),
    prev: [recordHash(familyKey)],
    body: { publicKey: ch.nodePublicKey, url: ch.nodeUrl, name: "First node", removed: false },
  }, id.signingSecretKey);
  const res = await postJson(`${baseUrl}/v1/setup`, {
    code: setupCode,
    records: [family, me, familyKey, node],
  });
  if (res.status !== 201) throw new Error(`Setup failed: ${res.status} ${await res.text()}`);
  return {
    seed,
    key,
    x25519,
    signingSecretKey: id.signingSecretKey,
    x25519SecretKey: id.x25519SecretKey,
    name,
    cookie: cookieFrom(res),
    follows: { prev: [recordHash(node)], hlc: node.hlc },
    familyKeys: bodies.keys,
  };
}

/** Signs an existing member in (challenge → signature → verify); returns the new cookie. */
export async function remoteSignIn(
  baseUrl: string,
  member: Pick<RemoteMember, "key" | "signingSecretKey">,
): Promise<string> {
  const ch = await (await postJson(`${baseUrl}/v1/auth/challenge`, {})).json();
  const signature = sign(
    loginMessage({ origin: new URL(baseUrl).origin, nodeId: ch.nodeId, challenge: ch.challenge }),
    member.signingSecretKey,
  );
  const res = await postJson(`${baseUrl}/v1/auth/verify`, {
    member: member.key,
    challenge: ch.challenge,
    signature: toBase64Url(signature),
  });
  if (res.status !== 200) throw new Error(`Sign-in failed: ${res.status} ${await res.text()}`);
  return cookieFrom(res);
}
