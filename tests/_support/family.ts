/**
 * Test members: real identities (BIP39 seed → Ed25519/X25519), real signed
 * records, real sign-in through the API of an in-process app. Names are sealed
 * under the family key (FORMAT §14) as a browser seals them: the family's keys
 * are kept per app, and a member's sealed name on the member.
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
import { issueSetupCode } from "../../lib/vault/setup_code.ts";
import type { SealedPersonName } from "../../lib/web/browser/api_types.ts";
import { FamilyKeys, foundingBodies, inviteBodies } from "../../lib/web/browser/family_keys.ts";
import type { TestApp } from "./test_app.ts";

export interface TestMember {
  seed: Uint8Array;
  key: string;
  x25519: string;
  signingSecretKey: Uint8Array;
  x25519SecretKey: Uint8Array;
  name: string;
  /** The name sealed under the family key, as the member's record carries it. */
  sealedName?: SealedPersonName;
  /** `Cookie` header value of this member's session, when signed in. */
  cookie?: string;
}

const familyKeys = new WeakMap<TestApp, FamilyKeys>();

/** The family keys of the family set up on `t` (as its members' browsers hold them). */
export function familyKeysOf(t: TestApp): FamilyKeys {
  const keys = familyKeys.get(t);
  if (!keys) throw new Error("This app's family was not set up by tests/_support/family.ts");
  return keys;
}

/** `t` holds the same family as `from` (a paired node): its helpers use the same keys. */
export function shareFamilyKeys(from: TestApp, t: TestApp): void {
  familyKeys.set(t, familyKeysOf(from));
}

/** Records that `t`'s family moved to `keys` (a rotation a test made). */
export function setFamilyKeys(t: TestApp, keys: FamilyKeys): void {
  familyKeys.set(t, keys);
}

/** Seals `member`'s name under `t`'s current family key and keeps it on the member. */
export async function sealMember(t: TestApp, member: TestMember): Promise<SealedPersonName> {
  return member.sealedName = await familyKeysOf(t).sealPersonName(member.name);
}

const clocks = new WeakMap<TestApp, HybridClock>();
/** Strictly increasing HLC stamps near the app's clock, after every record the app holds. */
export function nextHlc(t: TestApp, latest = t.records.heads().hlc): string {
  let clock = clocks.get(t);
  if (!clock) clocks.set(t, clock = new HybridClock(() => t.records.now()));
  if (latest) clock.observe(latest);
  return clock.next();
}

export function newMember(name: string): TestMember {
  const seed = newSeed();
  const id = deriveIdentity(seed);
  return {
    seed,
    key: toBase64Url(id.signingPublicKey),
    x25519: toBase64Url(id.x25519PublicKey),
    signingSecretKey: id.signingSecretKey,
    x25519SecretKey: id.x25519SecretKey,
    name,
  };
}

export function randomId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * A record signed by `author` as a browser on `t` makes it: following `t`'s heads in the
 * family log (or `prev`), stamped after them (or `hlc`).
 */
export function signed(
  t: TestApp,
  author: TestMember,
  kind: string,
  id: string,
  body: Record<string, unknown>,
  hlc?: string,
  prev?: string[],
) {
  const heads = hlc && prev ? undefined : t.records.heads();
  return signRecord(
    {
      v: 2,
      kind,
      id,
      author: author.key,
      hlc: hlc ?? nextHlc(t, heads!.hlc),
      prev: prev ?? heads!.prev,
      body,
    },
    author.signingSecretKey,
  );
}

/** A member record of `subject` (her sealed name, see {@link sealMember}) signed by `author`. */
export function memberRecord(
  t: TestApp,
  author: TestMember,
  subject: TestMember,
  body: Record<string, unknown>,
) {
  if (!subject.sealedName && !("name" in body)) {
    throw new Error(`${subject.name}'s name is not sealed yet: await sealMember(t, member)`);
  }
  return signed(t, author, "member", subject.key, {
    x25519: subject.x25519,
    name: subject.sealedName,
    role: "member",
    removed: false,
    ...body,
  });
}

function cookieOf(res: Response): string {
  const set = res.headers.get("set-cookie") ?? "";
  const m = /^([^=;]+=[^;]*)/.exec(set);
  if (!m) throw new Error(`No session cookie in response (${res.status})`);
  return m[1];
}

export async function json(
  t: TestApp,
  path: string,
  init: { method?: string; body?: unknown; cookie?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  if (init.cookie) headers.cookie = init.cookie;
  return await t.app.request(path, {
    method: init.method ?? (init.body !== undefined ? "POST" : "GET"),
    headers,
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
}

/**
 * The first records of a family's log: its family record, the founder's member record and
 * the family key wrapped for the founder, with the names sealed under a new family key (kept
 * for `t`).
 */
export async function founderRecords(t: TestApp, founder: TestMember, familyName = "River") {
  const bodies = await foundingBodies(founder, { family: familyName, founder: founder.name });
  familyKeys.set(t, bodies.keys);
  founder.sealedName = bodies.member.name;
  const family = signed(t, founder, "family", randomId(), { ...bodies.family }, nextHlc(t), []);
  const me = signed(t, founder, "member", founder.key, { ...bodies.member }, nextHlc(t), [
    recordHash(family),
  ]);
  const key = signed(
    t,
    founder,
    "family_key",
    founder.x25519,
    { ...bodies.familyKey },
    nextHlc(t),
    [
      recordHash(me),
    ],
  );
  return [family, me, key] as const;
}

/**
 * Creates the family through the setup API and returns its signed-in founder. Like the setup
 * page, it signs this node's own node record too (its key checks upload receipts), unless
 * `nodeRecord` is false: a node set up that way works alone.
 */
export async function setupFamily(
  t: TestApp,
  familyName = "River",
  { nodeRecord = true } = {},
): Promise<TestMember> {
  const founder = newMember("Alice");
  const code = issueSetupCode(t.db);
  const [family, me, key] = await founderRecords(t, founder, familyName);
  // This node's own node record, as the setup page signs it: its key checks upload receipts.
  const node = signed(
    t,
    founder,
    "node",
    t.nodeKey.nodeId,
    {
      publicKey: toBase64Url(t.nodeKey.publicKey),
      name: "Oak",
      removed: false,
    },
    nextHlc(t),
    [recordHash(key)],
  );
  const records = nodeRecord ? [family, me, key, node] : [family, me, key];
  const res = await json(t, "/v1/setup", { body: { code, records } });
  if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${await res.text()}`);
  founder.cookie = cookieOf(res);
  return founder;
}

/** Signs in through challenge → signature → verify; returns the response. */
export async function signIn(
  t: TestApp,
  member: TestMember,
  origin = "http://localhost",
): Promise<Response> {
  const ch = await (await json(t, "/v1/auth/challenge", { body: {} })).json();
  const signature = sign(
    loginMessage({ origin, nodeId: t.nodeKey.nodeId, challenge: ch.challenge }),
    member.signingSecretKey,
  );
  const res = await json(t, "/v1/auth/verify", {
    body: { member: member.key, challenge: ch.challenge, signature: toBase64Url(signature) },
  });
  if (res.status === 200) member.cookie = cookieOf(res);
  return res;
}

/** An invite made by `admin` on `t` and the family key wrapped for it, both signed, and its link's parts. */
export async function makeInvite(
  t: TestApp,
  admin: TestMember,
  role = "member",
  expiresAt = t.records.now() + 3600_000,
) {
  const made = await inviteBodies(familyKeysOf(t), role as "member" | "admin", expiresAt);
  const invite = signed(t, admin, "invite", randomId(), { ...made.invite });
  const wrap = signed(
    t,
    admin,
    "family_key",
    made.invite.x25519,
    { ...made.familyKey },
    nextHlc(t, invite.hlc),
    [recordHash(invite)],
  );
  return { token: made.token, secret: made.secret, invite, wrap };
}

/**
 * The self-signed records of a join with `token`: her member record (name sealed) and the
 * family key wrapped for herself.
 */
export async function joinRecords(t: TestApp, joiner: TestMember, token: string, role: string) {
  await sealMember(t, joiner);
  const record = memberRecord(t, joiner, joiner, { role, invite: token });
  const familyKey = signed(
    t,
    joiner,
    "family_key",
    joiner.x25519,
    { ...await familyKeysOf(t).wrapFor(joiner.x25519) },
    nextHlc(t, record.hlc),
    [recordHash(record)],
  );
  return { record, familyKey };
}

/** An admin invites, the new member joins with the token, and is signed in. */
export async function inviteAndJoin(
  t: TestApp,
  admin: TestMember,
  name: string,
  role = "member",
): Promise<TestMember> {
  const { token, invite, wrap } = await makeInvite(t, admin, role);
  const made = await json(t, "/v1/records", {
    body: { records: [invite, wrap] },
    cookie: admin.cookie,
  });
  if (made.status !== 200) throw new Error(`invite failed: ${made.status} ${await made.text()}`);
  const joiner = newMember(name);
  const res = await json(t, "/v1/join", { body: await joinRecords(t, joiner, token, role) });
  if (res.status !== 201) throw new Error(`join failed: ${res.status} ${await res.text()}`);
  joiner.cookie = cookieOf(res);
  return joiner;
}

/** `app.request` with a member's session cookie added. */
export function authed(t: TestApp, member: TestMember) {
  return (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (member.cookie) headers.set("cookie", member.cookie);
    return Promise.resolve(t.app.request(path, { ...init, headers }));
  };
}
