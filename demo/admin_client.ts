/**
 * A family admin driving nodes over HTTP exactly as Alice's browser does (signed records,
 * sign-in, join codes): creating a family, pairing and removing nodes. Used by the demo
 * (demo.ts), the benchmarks and the tests.
 */

import {
  deriveIdentity,
  loginMessage,
  newSeed,
  recordHash,
  sign,
  type SignedRecord,
  signRecord,
  toBase64Url,
} from "../lib/crypto/mod.ts";
import { HybridClock } from "../lib/core/hlc.ts";
import { type FamilyKeys, foundingBodies } from "../lib/web/browser/family_keys.ts";

export interface Admin {
  seed: Uint8Array;
  name: string;
  key: string;
  x25519: string;
  signingSecretKey: Uint8Array;
  x25519SecretKey: Uint8Array;
  /** Session cookie per node URL. */
  cookies: Map<string, string>;
  /**
   * The family keys, as this member's browser holds them once unlocked: names are sealed
   * under them (FORMAT §14), so no node ever reads the family's or a member's name.
   */
  familyKeys?: FamilyKeys;
}

const clock = new HybridClock();

function cookieFrom(res: Response): string {
  const m = /^([^=;]+=[^;]*)/.exec(res.headers.get("set-cookie") ?? "");
  if (!m) throw new Error(`No session cookie (HTTP ${res.status})`);
  return m[1];
}

export async function call(
  url: string,
  method: string,
  body?: unknown,
  cookie?: string,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (cookie) headers.cookie = cookie;
  return await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function expectOk(res: Response, what: string): Promise<unknown> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what} failed: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** What a record follows in the family log: link hashes, and the greatest stamp among them. */
export interface Follows {
  prev: string[];
  hlc?: string;
}

/** Signs a record that follows `follows` (a node's heads, see {@link headsAt}). */
export function signAs(
  admin: Admin,
  kind: string,
  id: string,
  body: unknown,
  follows: Follows,
): SignedRecord {
  if (follows.hlc) clock.observe(follows.hlc);
  return signRecord(
    { v: 2, kind, id, author: admin.key, hlc: clock.next(), prev: [...follows.prev].sort(), body },
    admin.signingSecretKey,
  );
}

/** The heads of the node at `url` (GET /v1/heads), as `admin`. */
export async function headsAt(admin: Admin, url: string): Promise<Follows> {
  return await expectOk(
    await call(`${url}/v1/heads`, "GET", undefined, await cookieFor(admin, url)),
    "Heads",
  ) as Follows;
}

/** What the next record of a batch follows: the record before it. */
export function after(record: SignedRecord): Follows {
  return { prev: [recordHash(record)], hlc: record.hlc };
}

interface Challenge {
  challenge: string;
  nodeId: string;
  nodePublicKey: string;
  nodeUrl: string;
  serverHlc: string;
}

async function challenge(url: string): Promise<Challenge> {
  const ch = await expectOk(
    await call(`${url}/v1/auth/challenge`, "POST", {}),
    "Challenge",
  ) as Challenge;
  clock.observe(ch.serverHlc);
  return ch;
}

/** Creates the family on a fresh node with its setup code; the node gets its own node record. */
export async function createFamily(
  node: { url: string; setupCode: string },
  names: { family: string; founder: string; node: string },
  seed: Uint8Array = newSeed(),
  /** The address signed into the node's record: its URL by default, `null` for none. */
  recordUrl: string | null = node.url,
): Promise<Admin> {
  const id = deriveIdentity(seed);
  const admin: Admin = {
    seed,
    name: names.founder,
    key: toBase64Url(id.signingPublicKey),
    x25519: toBase64Url(id.x25519PublicKey),
    signingSecretKey: id.signingSecretKey,
    x25519SecretKey: id.x25519SecretKey,
    cookies: new Map(),
  };
  const ch = await challenge(node.url);
  const familyId = toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
  // As the setup page: a new family key; the names sealed under it; the key wrapped for Alice.
  const bodies = await foundingBodies(admin, { family: names.family, founder: names.founder });
  admin.familyKeys = bodies.keys;
  // The family log starts with the family record; each next record follows the one before.
  const family = signAs(admin, "family", familyId, bodies.family, { prev: [] });
  const member = signAs(admin, "member", admin.key, bodies.member, after(family));
  const familyKey = signAs(admin, "family_key", admin.x25519, bodies.familyKey, after(member));
  const self = signAs(admin, "node", ch.nodeId, {
    publicKey: ch.nodePublicKey,
    ...(recordUrl ? { url: recordUrl } : {}),
    name: names.node,
    removed: false,
  }, after(familyKey));
  const records = [family, member, familyKey, self];
  const res = await call(`${node.url}/v1/setup`, "POST", { code: node.setupCode, records });
  if (res.status !== 201) throw new Error(`Setup failed: ${res.status} ${await res.text()}`);
  admin.cookies.set(node.url, cookieFrom(res));
  return admin;
}

/** Signs `admin` in on the node at `url` (challenge → signature → cookie). */
export async function signIn(admin: Admin, url: string): Promise<string> {
  const ch = await challenge(url);
  const signature = sign(
    loginMessage({ origin: new URL(url).origin, nodeId: ch.nodeId, challenge: ch.challenge }),
    admin.signingSecretKey,
  );
  const res = await call(`${url}/v1/auth/verify`, "POST", {
    member: admin.key,
    challenge: ch.challenge,
    signature: toBase64Url(signature),
  });
  if (res.status !== 200) throw new Error(`Sign-in failed: ${res.status} ${await res.text()}`);
  const cookie = cookieFrom(res);
  admin.cookies.set(url, cookie);
  return cookie;
}

async function cookieFor(admin: Admin, url: string): Promise<string> {
  return admin.cookies.get(url) ?? await signIn(admin, url);
}

/**
 * Pairs a fresh node: reads its join code (with its setup code, as its
 * operator would), approves it on `at` as `admin` (PROTOCOL §4), and waits
 * until the new node has read the family's records far enough to find its own.
 */
export async function pairNode(
  admin: Admin,
  at: string,
  fresh: { url: string; setupCode: string },
  name: string,
): Promise<string> {
  const { joinCode, nodeId, publicKey, url } = await expectOk(
    await call(`${fresh.url}/v1/nodes/join-code`, "POST", { code: fresh.setupCode }),
    "Join code",
  ) as { joinCode: string; nodeId: string; publicKey: string; url?: string };
  await challenge(at);
  // A node behind NAT shows no URL in its join code: peers meet it through the relay.
  const record = signAs(admin, "node", nodeId, {
    publicKey,
    ...(url ? { url } : {}),
    name,
    removed: false,
  }, await headsAt(admin, at));
  await expectOk(
    await call(`${at}/v1/nodes/peers`, "POST", { joinCode, record }, await cookieFor(admin, at)),
    `Pairing ${name}`,
  );
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const status = await expectOk(
      await call(`${fresh.url}/v1/nodes/join-status`, "GET"),
      "Join status",
    ) as { ready?: boolean };
    if (status.ready) return nodeId;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not receive the family's records within a minute`);
}

/** Removes a node from the family: an admin-signed node record with `removed: true`. */
export async function removeNode(admin: Admin, at: string, nodeId: string): Promise<void> {
  await editNode(admin, at, nodeId, { removed: true });
}

/**
 * Signs a new version of a node record of the family, changed by `change` (a new `url` when a
 * node moved, `removed: true`), and stores it through `at`.
 */
export async function editNode(
  admin: Admin,
  at: string,
  nodeId: string,
  change: Record<string, unknown>,
): Promise<void> {
  const cookie = await cookieFor(admin, at);
  const nodes = await expectOk(await call(`${at}/v1/nodes`, "GET", undefined, cookie), "Nodes") as {
    self: { nodeId: string; record?: SignedRecord<Record<string, unknown>> };
    peers: { nodeId: string; record: SignedRecord<Record<string, unknown>> }[];
  };
  const record = [nodes.self, ...nodes.peers].find((p) => p.nodeId === nodeId)?.record;
  if (!record) throw new Error(`Node ${nodeId} is not a node of the family at ${at}`);
  await challenge(at);
  const next = signAs(
    admin,
    "node",
    nodeId,
    { ...record.body, ...change },
    await headsAt(admin, at),
  );
  await expectOk(await call(`${at}/v1/records`, "POST", { records: [next] }, cookie), "Node edit");
}
