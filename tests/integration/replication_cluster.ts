/**
 * Several real p2pos node processes on 127.0.0.1 for the replication tests:
 * started with short replication intervals, set up and paired over HTTP the
 * way Alice's browser does it (demo.ts), always stopped at the end.
 */

import {
  type Admin,
  after,
  call,
  createFamily,
  type Follows,
  headsAt,
  pairNode,
  signAs,
  signIn,
} from "../../demo.ts";
import { DatabaseSync } from "node:sqlite";
import {
  blobId,
  deriveIdentity,
  newSeed,
  type SignedRecord,
  toBase64Url,
} from "../../lib/crypto/mod.ts";
import type { SealedPersonName } from "../../lib/web/browser/api_types.ts";
import { type FamilyKeys, inviteBodies } from "../../lib/web/browser/family_keys.ts";
import type { NodeProcess } from "../_support/node_process.ts";
import { Rig } from "../_support/rig.ts";

/** Short intervals so tests converge in seconds. */
export const FAST_ENV: Record<string, string> = {
  P2POS_REP_SYNC_INTERVAL_SECS: "0.5",
  P2POS_REP_INVENTORY_INTERVAL_SECS: "1",
  P2POS_REP_FAILED_RETRY_AFTER_SECS: "2",
  P2POS_REP_PROOF_INTERVAL_SECS: "1",
  P2POS_LOG_LEVEL: "info",
};

export interface Cluster {
  nodes: NodeProcess[];
  admin: Admin;
  nodeIds: string[];
  /** Owns the nodes: a node a test restarts with `rig.node()` is stopped with the others. */
  rig: Rig;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts `names.length` nodes; the first creates the family, the others are paired to it.
 * `env` applies to every node, `perNode[i]` to the i-th only. The nodes belong to `rig` when
 * one is given (the test's own), else to a rig the cluster's disposal ends. `dataDirs[i]` puts
 * the i-th node's data somewhere else than a fresh temp dir; `started` runs once the nodes
 * listen, before the family is made (to point a proxy at them).
 */
export async function startCluster(
  names: string[],
  env: Record<string, string> = {},
  perNode: Record<string, string>[] = [],
  options: {
    rig?: Rig;
    dataDirs?: (string | undefined)[];
    started?: (nodes: NodeProcess[]) => void;
  } = {},
): Promise<Cluster> {
  const rig = options.rig ?? new Rig();
  const dispose = async () => {
    if (!options.rig) await rig[Symbol.asyncDispose]();
  };
  try {
    const nodes = await Promise.all(
      names.map((_, i) =>
        rig.node({
          dataDir: options.dataDirs?.[i],
          env: { ...FAST_ENV, ...env, ...perNode[i] },
        })
      ),
    );
    options.started?.(nodes);
    const [first, ...rest] = nodes;
    const admin = await createFamily(
      { url: first.url, setupCode: first.setupCode! },
      { family: "River", founder: "Alice", node: names[0] },
    );
    for (const [i, n] of rest.entries()) {
      await pairNode(admin, first.url, { url: n.url, setupCode: n.setupCode! }, names[i + 1]);
    }
    return {
      nodes,
      admin,
      nodeIds: nodes.map((n) => n.nodeId),
      rig,
      [Symbol.asyncDispose]: dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}

export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

export async function cookieOn(admin: Admin, url: string): Promise<string> {
  return admin.cookies.get(url) ?? await signIn(admin, url);
}

export async function getJson<T = Record<string, unknown>>(
  admin: Admin,
  url: string,
  path: string,
): Promise<T> {
  const res = await call(`${url}${path}`, "GET", undefined, await cookieOn(admin, url));
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return await res.json() as T;
}

/** The stored record versions of a node, read from its database: "kind/id" → signature. */
export function recordsOf(dataDir: string): Map<string, string> {
  const db = new DatabaseSync(`${dataDir}/index.db`, { readOnly: true });
  try {
    const rows = db.prepare("SELECT kind, id, json FROM records").all() as {
      kind: string;
      id: string;
      json: string;
    }[];
    return new Map(rows.map((r) => [`${r.kind}/${r.id}`, JSON.parse(r.json).sig as string]));
  } finally {
    db.close();
  }
}

/** Blob ids and sizes of the files under a node's blobs/ dir. */
export async function blobFiles(dataDir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(`${dir}/${e.name}`);
      else if (/^[0-9a-f]{64}$/.test(e.name)) {
        out.set(e.name, (await Deno.stat(`${dir}/${e.name}`)).size);
      }
    }
  };
  await walk(`${dataDir}/blobs`).catch(() => {});
  return out;
}

/** A photo's reference to a blob, with the receipt of the node that took the upload. */
export interface RemoteBlobRef {
  id: string;
  size: number;
  receipt: { node: string; sig: string };
}

/** Uploads `bytes` as a blob through `url`'s API as `admin`. */
export async function putBlob(
  admin: Admin,
  url: string,
  bytes: Uint8Array,
): Promise<RemoteBlobRef> {
  const id = await blobId(bytes);
  const res = await fetch(`${url}/v1/blobs/${id}`, {
    method: "PUT",
    headers: { cookie: await cookieOn(admin, url) },
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  if (res.status !== 201) throw new Error(`PUT blob: ${res.status} ${await res.text()}`);
  const { receipt } = await res.json();
  return { id, size: bytes.length, receipt };
}

/** An invite as the members page makes it; see {@link inviteBodies}. */
export type InviteBodies = Awaited<ReturnType<typeof inviteBodies>>;

/**
 * The records the members page signs for `made`, following `follows`: the invite, and the
 * family key wrapped to the invite's key pair.
 */
export function inviteRecords(admin: Admin, made: InviteBodies, follows: Follows): SignedRecord[] {
  const invite = signAs(
    admin,
    "invite",
    toBase64Url(crypto.getRandomValues(new Uint8Array(16))),
    made.invite,
    follows,
  );
  return [
    invite,
    signAs(admin, "family_key", made.invite.x25519, made.familyKey, after(invite)),
  ];
}

/** A new person joining with the invite `token`, and what their browser signs to join. */
export interface Joiner {
  member: Admin;
  /** Her name as her member record carries it, sealed under the family key (FORMAT §14). */
  sealedName: SealedPersonName;
  /** Her member record, following `follows`, and the family key wrapped for her. */
  record: SignedRecord;
  familyKey: SignedRecord;
}

/**
 * As the join page does once the link's secret opened the family `keys`: a key of her own,
 * her member record carrying the invite `token`, and the family key wrapped for her key.
 */
export async function joinRecords(
  keys: FamilyKeys,
  name: string,
  role: "admin" | "member",
  token: string,
  follows: Follows,
): Promise<Joiner> {
  const seed = newSeed();
  const id = deriveIdentity(seed);
  const member: Admin = {
    seed,
    name,
    key: toBase64Url(id.signingPublicKey),
    x25519: toBase64Url(id.x25519PublicKey),
    signingSecretKey: id.signingSecretKey,
    x25519SecretKey: id.x25519SecretKey,
    cookies: new Map(),
    familyKeys: keys,
  };
  const sealedName = await keys.sealPersonName(name);
  const record = signAs(member, "member", member.key, {
    x25519: member.x25519,
    name: sealedName,
    role,
    removed: false,
    invite: token,
  }, follows);
  const familyKey = signAs(
    member,
    "family_key",
    member.x25519,
    await keys.wrapFor(member.x25519),
    after(record),
  );
  return { member, sealedName, record, familyKey };
}

/**
 * `admin` invites someone as `role` through `url`, who joins there with a key of their own
 * (as the join page does) and is signed in. Returned in the shape of an {@link Admin}, so
 * the helpers here can act as them.
 */
export async function addMember(
  admin: Admin,
  url: string,
  name: string,
  role: "admin" | "member" = "member",
): Promise<Admin> {
  const keys = admin.familyKeys;
  if (!keys) throw new Error(`${admin.name} does not hold the family key`);
  const made = await inviteBodies(keys, role, Date.now() + 3600_000);
  const posted = await call(
    `${url}/v1/records`,
    "POST",
    { records: inviteRecords(admin, made, await headsAt(admin, url)) },
    await cookieOn(admin, url),
  );
  if (!posted.ok) throw new Error(`invite: ${posted.status} ${await posted.text()}`);
  await posted.body?.cancel();
  const { member, record, familyKey } = await joinRecords(
    keys,
    name,
    role,
    made.token,
    await headsAt(admin, url),
  );
  const res = await call(`${url}/v1/join`, "POST", { record, familyKey });
  if (res.status !== 201) throw new Error(`join: ${res.status} ${await res.text()}`);
  await res.body?.cancel();
  member.cookies.set(url, /^([^=;]+=[^;]*)/.exec(res.headers.get("set-cookie") ?? "")![1]);
  return member;
}

export interface RemoteAlbum {
  id: string;
}

/**
 * Creates an album through `url`. Replication never decrypts, so the album's
 * and photos' encrypted fields hold random bytes of the right shape.
 */
export async function createAlbum(admin: Admin, url: string): Promise<RemoteAlbum> {
  const id = toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
  const opaque = toBase64Url(crypto.getRandomValues(new Uint8Array(96)));
  const album = signAs(admin, "album", id, {
    owner: admin.key,
    epoch: 0,
    meta: opaque,
    cover: null,
    trashedAt: null,
  }, await headsAt(admin, url));
  const grant = signAs(admin, "grant", `${id}.${admin.key}`, {
    album: id,
    member: admin.key,
    role: "owner",
    epoch: 0,
    wrapped: toBase64Url(crypto.getRandomValues(new Uint8Array(92))),
    revoked: false,
  }, after(album));
  const res = await call(
    `${url}/v1/albums`,
    "POST",
    { records: [album, grant] },
    await cookieOn(
      admin,
      url,
    ),
  );
  if (res.status !== 201) throw new Error(`album: ${res.status} ${await res.text()}`);
  return { id };
}

export interface RemotePhoto {
  id: string;
  blobs: string[];
}

/** Uploads a photo (original, thumbnail, metadata blobs) and registers its record. */
export async function uploadPhoto(
  admin: Admin,
  url: string,
  album: RemoteAlbum,
  size = 20_000,
): Promise<RemotePhoto> {
  const rand = (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
    return out;
  };
  const parts = [rand(size), rand(Math.min(size, 2_000)), rand(300)];
  const refs: RemoteBlobRef[] = [];
  for (const p of parts) refs.push(await putBlob(admin, url, p));
  const ref = (i: number) => refs[i];
  const id = toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
  const record = signAs(admin, "photo", id, {
    album: album.id,
    uploader: admin.key,
    epoch: 0,
    key: toBase64Url(rand(60)),
    original: ref(0),
    thumb: ref(1),
    meta: ref(2),
    sort: toBase64Url(rand(36)),
    dedup: Array.from(rand(32), (b) => b.toString(16).padStart(2, "0")).join(""),
  }, await headsAt(admin, url));
  const res = await call(
    `${url}/v1/photos`,
    "POST",
    { records: [record] },
    await cookieOn(
      admin,
      url,
    ),
  );
  if (res.status !== 201) throw new Error(`photo: ${res.status} ${await res.text()}`);
  return { id, blobs: refs.map((r) => r.id) };
}
