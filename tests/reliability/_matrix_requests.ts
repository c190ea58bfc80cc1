/**
 * The authorization matrix's vocabulary (tests/reliability/authz_matrix.ts): who each actor is
 * to each object (their role on it), the requests actors make (cookies, node signatures,
 * records signed with their keys), and how a cell tells that a request was allowed.
 */

import { createHash } from "node:crypto";
import { recordSigningInput, toBase64Url } from "../../lib/crypto/mod.ts";
import type { NodeSigner } from "../../lib/core/transport.ts";
import { blobDigest, contentDigest, signRequest } from "../../lib/net/signing.ts";
import { newMember, nextHlc, randomId, signed, type TestMember } from "../_support/family.ts";
import type { TestApp } from "../_support/test_app.ts";
import {
  type Actor,
  type AlbumObject,
  cookieOf,
  isMember,
  type ObjectName,
  OBJECTS,
  signerOf,
  type World,
} from "./_world.ts";

export type Obj = ObjectName | "—";

export interface Reply {
  status: number;
  text: string;
  // deno-lint-ignore no-explicit-any
  json?: any;
  /** The body as sent (framed blob batches are not text). */
  bytes?: Uint8Array;
  headers?: Headers;
}

export interface Ctx {
  w: World;
  /** The node to ask: the world itself for reads, a fresh copy for writes. */
  t: TestApp;
  actor: Actor;
  object: Obj;
}

export interface Spec {
  objects: readonly Obj[];
  /** Who may: true/false, or "public" (every actor gets the same answer). */
  expect(actor: Actor, object: Obj): boolean | "public";
  /** Makes the request (preparing first if needed) and says whether it was allowed. */
  run(c: Ctx): Promise<{ reply: Reply; allowed: boolean }>;
  /** Reads: run against the world itself, not a copy. */
  read?: boolean;
  /** A check beyond allow/deny: a leak it found, if any. */
  leak?(c: Ctx, reply: Reply): Promise<string | undefined> | string | undefined;
}

// --- who is who ----------------------------------------------------------------------------

export const isNode = (a: Actor) => a === "paired node" || a === "compromised node";

/** The actor's role on the album the object names (the world's grants; see _world.ts). */
export function role(a: Actor, o: Obj): "owner" | "contributor" | "viewer" | undefined {
  if (!isMember(a) || o === "missing" || o === "purged" || o === "—") return undefined;
  if (o === "own" || a === "owner") return "owner";
  if (o === "unshared") return undefined;
  return a === "contributor" || a === "viewer" ? a : undefined;
}
export const sees = (a: Actor, o: Obj) => role(a, o) !== undefined;
export const owns = (a: Actor, o: Obj) => role(a, o) === "owner";
export const addsPhotos = (a: Actor, o: Obj) =>
  (role(a, o) === "owner" || role(a, o) === "contributor") && o !== "trashed";

export const strangers = new Map<string, TestMember>();
/** The key an actor signs records with: a member's own, else one of an outsider. */
export function keyOf(w: World, a: Actor): TestMember {
  if (isMember(a)) return w.members[a].member;
  if (a === "removed member") return w.rita;
  if (a === "expired cookie") return w.members.viewer.member;
  if (!strangers.has(a)) strangers.set(a, newMember(a));
  return strangers.get(a)!;
}

/** The album (with its photo) an object names for an actor; undefined for "missing". */
export function albumOf(w: World, a: Actor, o: Obj): AlbumObject | undefined {
  if (o === "missing" || o === "—") return undefined;
  if (o === "own") return isMember(a) ? w.members[a].own : w.members.owner.own;
  return w.albums[o];
}
export const albumId = (c: Ctx) => albumOf(c.w, c.actor, c.object)?.album.id ?? c.w.missing.album;
export const photoId = (c: Ctx) => albumOf(c.w, c.actor, c.object)?.photo.id ?? c.w.missing.photo;
export const blobOf = (c: Ctx) =>
  albumOf(c.w, c.actor, c.object)?.photo.original ?? c.w.missing.blob;

/** Someone else's things for "unshared" sessions and uploads: Olivia's, or Alice's for her. */
export function thingsOf(c: Ctx) {
  if (c.object === "own" && isMember(c.actor)) return c.w.members[c.actor];
  return c.w.members[c.actor === "owner" ? "admin" : "owner"];
}

// --- requests ------------------------------------------------------------------------------

export async function send(
  c: Ctx,
  method: string,
  path: string,
  body?: { json?: unknown; bytes?: Uint8Array },
  headers: Record<string, string> = {},
): Promise<Reply> {
  const h: Record<string, string> = { ...headers };
  const bytes = body?.json !== undefined
    ? new TextEncoder().encode(JSON.stringify(body.json))
    : body?.bytes;
  if (body?.json !== undefined) h["content-type"] = "application/json";
  const cookie = cookieOf(c.w, c.actor);
  if (cookie) h.cookie = cookie;
  const signer = signerOf(c.w, c.actor);
  if (signer) {
    const blobPut = method === "PUT" && path.startsWith("/internal/v1/blobs/");
    Object.assign(
      h,
      await signRequest(signer, {
        method,
        target: path,
        to: c.t.nodeKey.nodeId,
        digest: blobPut ? blobDigest(path.slice(-64)) : contentDigest(bytes ?? new Uint8Array(0)),
      }, { now: c.t.records.now() }),
    );
  }
  const res = await c.t.app.request(`http://localhost${path}`, {
    method,
    headers: h,
    body: bytes as BodyInit | undefined,
  });
  if ((res.headers.get("content-type") ?? "").includes("event-stream")) {
    await res.body?.cancel();
    return { status: res.status, text: "" };
  }
  const got = method === "HEAD" ? new Uint8Array(0) : new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder().decode(got);
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch { /* not JSON */ }
  return { status: res.status, text, json, bytes: got, headers: res.headers };
}

export const ok = (r: Reply) => r.status >= 200 && r.status < 300;
export const plain = (run: (c: Ctx) => Promise<Reply>) => async (c: Ctx) => {
  const reply = await run(c);
  return { reply, allowed: ok(reply) };
};
/** A write of records: allowed when the node answered 2xx and stored the first one. */
export const stores =
  (records: (c: Ctx) => Promise<{ path: string; records: RecordLike[] }>) => async (c: Ctx) => {
    const r = await records(c);
    const reply = await send(c, "POST", r.path, { json: { records: r.records } });
    const first = r.records[0];
    const held = c.t.records.get<RecordLike>(first.kind, first.id);
    return { reply, allowed: ok(reply) && held?.sig === first.sig };
  };

export interface RecordLike {
  kind: string;
  id: string;
  sig: string;
  body: unknown;
}

/** A photo record by the actor in album `albumId`, with blobs of her own or the given ones. */
export interface BlobRef {
  id: string;
  size: number;
  receipt?: unknown;
}

/**
 * A photo record by the actor in album `albumId`, with the given blob references, or bytes she
 * uploads now (with the receipts the node gives her for them).
 */
export async function photoRecord(c: Ctx, albumId: string, refs?: BlobRef[]) {
  const me = keyOf(c.w, c.actor);
  const blobs = refs ?? [];
  for (let i = blobs.length; i < 3; i++) {
    const bytes = crypto.getRandomValues(new Uint8Array(100 + i));
    const id = createHash("sha256").update(bytes).digest("hex");
    const put = await send(c, "PUT", `/v1/blobs/${id}`, { bytes });
    const receipt = put.json?.receipt;
    blobs.push({ id, size: bytes.length, ...(receipt ? { receipt } : {}) });
  }
  const random = (n: number) => toBase64Url(crypto.getRandomValues(new Uint8Array(n)));
  return signed(c.t, me, "photo", randomId(), {
    album: albumId,
    uploader: me.key,
    epoch: 0,
    key: random(60),
    original: blobs[0],
    thumb: blobs[1],
    meta: blobs[2],
    sort: random(36),
    dedup: createHash("sha256").update(random(8)).digest("hex"),
  }) as RecordLike;
}

/** A real receipt, for other bytes: what a forger of a missing blob's reference can show. */
export function someReceipt(c: Ctx): unknown {
  const own = c.w.members.owner.own.photo;
  return c.t.records.get<Record<string, BlobRef>>("photo", own.id)?.body.original.receipt;
}

export const members: readonly Obj[] = ["—"];
export const albums: readonly Obj[] = OBJECTS;
export const sessionObjects: readonly Obj[] = ["own", "unshared", "missing"];
export const memberOnly = (a: Actor) => isMember(a);
export const nodeOnly = (a: Actor) => isNode(a);

/**
 * A route on something that is a member's own (a session, an upload, a device link): allowed
 * to her on hers, refused on someone else's exactly as on one that does not exist.
 */
export function ownThing(
  method: string,
  path: (id: string) => string,
  hers: (c: Ctx) => string,
  missing: (w: World) => string,
  body?: (c: Ctx) => { json?: unknown; bytes?: Uint8Array },
  headers?: Record<string, string>,
): Spec {
  return {
    objects: sessionObjects,
    read: method === "GET",
    expect: (a, o) => isMember(a) && o === "own",
    run: plain((c) =>
      send(
        c,
        method,
        path(c.object === "missing" ? missing(c.w) : hers(c)),
        body?.(c),
        headers,
      )
    ),
  };
}

export const PUBLIC = { objects: members, expect: () => "public" as const };

/** A record signed with a node's key as its author: what a compromised node can make. */
export async function signedByNode(
  t: TestApp,
  node: NodeSigner,
  kind: string,
  id: string,
  body: Record<string, unknown>,
): Promise<RecordLike> {
  const heads = t.records.heads();
  const envelope = {
    v: 2 as const,
    kind,
    id,
    author: toBase64Url(node.publicKey),
    hlc: nextHlc(t, heads.hlc),
    prev: heads.prev,
    body,
  };
  const sig = toBase64Url(await node.sign(recordSigningInput(envelope)));
  return { ...envelope, sig };
}
