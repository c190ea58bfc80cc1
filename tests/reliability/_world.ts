/**
 * The family the authorization matrix and the route fuzzer play against (issue #14 §3–§4):
 * one in-process node (real SQLite file, real blob store, the real app) holding
 *
 * - members in every position: Alice the admin (no grant on Olivia's albums), Olivia who owns
 *   albums, Carol a contributor and Victor a viewer on them, Rita a viewer who was then removed;
 *   and the actors who are not members: nobody, a forged cookie, an expired one, Mallory of
 *   another family on another node;
 * - nodes: Birch, paired (honest, and the same key playing a compromised node that signs
 *   whatever it likes), Elm, paired and then removed, and Fir, another family's node;
 * - objects of each kind the matrix names: an album of one's own (every member has one),
 *   Olivia's album shared with Carol and Victor, her unshared album, a trashed one and a purged
 *   one (trashed 31 days before, as the node's clock sees it), each with a photo whose three
 *   blobs are stored; ids of nothing; upload sessions and second sessions of every member.
 *
 * {@link World.copy} gives a writable copy of the node's data dir (SQLite checkpointed), so a
 * write can be tried against the same state again and again.
 */

import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { toBase64Url } from "../../lib/crypto/mod.ts";
import type { NodeSigner } from "../../lib/core/transport.ts";
import { newNodeSigner } from "../_support/node_signer.ts";
import { nodeRecord } from "../_support/peer_fixture.ts";
import {
  inviteAndJoin,
  json,
  setupFamily,
  signed,
  signIn,
  type TestMember,
} from "../_support/family.ts";
import { makeTestApp, type TestApp } from "../_support/test_app.ts";
import { addPhoto, createAlbum, share, type TestAlbum, type TestPhoto } from "../_support/vault.ts";
import { randomHex } from "./_support.ts";

export const MEMBER_ACTORS = ["viewer", "contributor", "owner", "admin"] as const;
export type MemberActor = typeof MEMBER_ACTORS[number];

export const ACTORS = [
  "no session",
  "forged cookie",
  "expired cookie",
  "removed member",
  "other family",
  ...MEMBER_ACTORS,
  "paired node",
  "compromised node",
  "removed node",
  "other family's node",
] as const;
export type Actor = typeof ACTORS[number];

export const OBJECTS = ["own", "shared", "unshared", "trashed", "purged", "missing"] as const;

export const isMember = (a: Actor): a is MemberActor =>
  (MEMBER_ACTORS as readonly string[]).includes(a);

/** The session cookie an actor presents, if any. */
export function cookieOf(w: World, a: Actor): string | undefined {
  if (isMember(a)) return w.members[a].member.cookie;
  return {
    "forged cookie": w.cookies.forged,
    "expired cookie": w.cookies.expired,
    "removed member": w.cookies.removed,
    "other family": w.cookies.otherFamily,
  }[a as string];
}

/** The node key an actor signs requests with, if it is a node. */
export function signerOf(w: World, a: Actor): NodeSigner | undefined {
  if (a === "paired node" || a === "compromised node") return w.nodes.paired;
  if (a === "removed node") return w.nodes.removed;
  if (a === "other family's node") return w.nodes.stranger;
  return undefined;
}
export type ObjectName = typeof OBJECTS[number];

export interface AlbumObject {
  album: TestAlbum;
  photo: TestPhoto;
}

/** One member's things: her album, and sessions and uploads made for the matrix. */
export interface MemberThings {
  member: TestMember;
  own: AlbumObject;
  /** A second session of hers: its cookie and public handle. */
  second: { cookie: string; handle: string };
  /** The lookup of a device link she left (kept in the node's memory, not its database). */
  deviceLink: string;
  /** An upload session with every byte sent (to finish), and one with none (to append to). */
  complete: { id: string; blob: string; size: number };
  fresh: { id: string; blob: string; size: number; bytes: Uint8Array };
}

export interface World {
  t: TestApp;
  members: Record<MemberActor, MemberThings>;
  rita: TestMember;
  /** Olivia's albums by the matrix's names for them. */
  albums: Record<"shared" | "unshared" | "trashed" | "purged", AlbumObject>;
  missing: { album: string; photo: string; blob: string; upload: string; handle: string };
  cookies: { forged: string; expired: string; removed: string; otherFamily: string };
  nodes: { paired: NodeSigner; removed: NodeSigner; stranger: NodeSigner };
  /** A blob Olivia uploaded and has not put in any photo (only she may read it). */
  loose: { id: string; size: number };
  /** The bytes of every blob the world stored (to upload them again). */
  blobBytes: Map<string, Uint8Array>;
  /** A writable copy of this node: its own data dir, the same state and clock. */
  copy(): Promise<TestApp>;
  [Symbol.asyncDispose](): Promise<void>;
}

const DAY = 24 * 3600_000;

function handleOf(cookie: string): string {
  const token = cookie.slice(cookie.indexOf("=") + 1);
  return createHash("sha256").update(token).digest("hex").slice(0, 16);
}

async function uploadSession(t: TestApp, who: TestMember, sendAll: boolean) {
  const bytes = crypto.getRandomValues(new Uint8Array(4096));
  const blob = createHash("sha256").update(bytes).digest("hex");
  const opened = await json(t, "/v1/uploads", {
    body: { blob, size: bytes.length },
    cookie: who.cookie,
  });
  const { upload } = await opened.json();
  if (sendAll) {
    const res = await t.app.request(`/v1/uploads/${upload}`, {
      method: "PATCH",
      headers: { cookie: who.cookie!, "upload-offset": "0" },
      body: bytes,
    });
    if (res.status !== 200) throw new Error(`upload: ${res.status}`);
  }
  return { id: upload as string, blob, size: bytes.length, bytes };
}

async function deviceLink(t: TestApp, who: TestMember): Promise<string> {
  const lookup = randomHex(32);
  const res = await json(t, "/v1/device-links", {
    body: { lookup, sealed: toBase64Url(crypto.getRandomValues(new Uint8Array(80))) },
    cookie: who.cookie,
  });
  if (res.status !== 201) throw new Error(`device link: ${res.status} ${await res.text()}`);
  return lookup;
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    const a = join(from, e.name);
    const b = join(to, e.name);
    if (e.isDirectory) await copyTree(a, b);
    else await Deno.copyFile(a, b);
  }
}

export async function buildWorld(): Promise<World> {
  const t = await makeTestApp();
  const blobBytes = new Map<string, Uint8Array>();
  const alice = await setupFamily(t);
  const olivia = await inviteAndJoin(t, alice, "Olivia");
  const carol = await inviteAndJoin(t, alice, "Carol");
  const victor = await inviteAndJoin(t, alice, "Victor");
  const rita = await inviteAndJoin(t, alice, "Rita");
  const people: Record<MemberActor, TestMember> = {
    viewer: victor,
    contributor: carol,
    owner: olivia,
    admin: alice,
  };

  const withPhoto = async (owner: TestMember, seed: number): Promise<AlbumObject> => {
    const album = await createAlbum(t, owner);
    const photo = await addPhoto(t, album, owner, seed);
    return { album, photo };
  };
  const shared = await withPhoto(olivia, 1);
  const unshared = await withPhoto(olivia, 2);
  const trashed = await withPhoto(olivia, 3);
  const purged = await withPhoto(olivia, 4);
  for (const a of [shared, trashed, purged]) {
    await share(t, a.album, carol, "contributor");
    await share(t, a.album, victor, "viewer");
  }
  await share(t, shared.album, rita, "viewer");
  const own: Partial<Record<MemberActor, AlbumObject>> = {};
  let seed = 10;
  for (const who of MEMBER_ACTORS) own[who] = await withPhoto(people[who], seed++);
  await withPhoto(rita, seed++);

  // Trash `purged`, then let 31 days pass on the node's clock: it is purged. `trashed` is
  // trashed afterwards, so it is only in the trash.
  const trash = async (a: AlbumObject) => {
    const res = await json(t, "/v1/records", {
      body: {
        records: [signed(t, olivia, "album", a.album.id, {
          ...a.album.body,
          trashedAt: t.records.now(),
        })],
      },
      cookie: olivia.cookie,
    });
    if (res.status !== 200) throw new Error(`trash: ${res.status} ${await res.text()}`);
  };
  await trash(purged);
  t.advance(31 * DAY);
  // Sessions idled out over the month: everyone signs in again.
  for (const m of [alice, olivia, carol, victor, rita]) {
    const res = await signIn(t, m);
    if (res.status !== 200) throw new Error(`sign-in of ${m.name}: ${res.status}`);
  }
  await trash(trashed);

  // Nodes: Birch paired, Elm paired then removed, Fir of another family.
  const paired = await newNodeSigner();
  const removedNode = await newNodeSigner();
  const stranger = await newNodeSigner();
  t.records.apply([
    nodeRecord(t, alice, t.nodeKey, { name: "Oak", url: "http://node.test" }),
    nodeRecord(t, alice, paired, { name: "Birch", url: "http://birch.test" }),
    nodeRecord(t, alice, removedNode, { name: "Elm", url: "http://elm.test" }),
  ], { via: "api", sessionMember: alice.key });
  t.records.apply([nodeRecord(t, alice, removedNode, { name: "Elm", removed: true })], {
    via: "api",
    sessionMember: alice.key,
  });

  // Each member's second session and two upload sessions.
  const members = {} as Record<MemberActor, MemberThings>;
  for (const who of MEMBER_ACTORS) {
    const m = people[who];
    const first = m.cookie!;
    await signIn(t, m);
    const second = { cookie: m.cookie!, handle: handleOf(m.cookie!) };
    m.cookie = first;
    members[who] = {
      member: m,
      own: own[who]!,
      second,
      complete: await uploadSession(t, m, true),
      fresh: await uploadSession(t, m, false),
      deviceLink: await deviceLink(t, m),
    };
  }

  // A session that expired (as the database says), and Rita's, ended by her removal.
  const keep = victor.cookie;
  await signIn(t, victor);
  const expired = victor.cookie!;
  victor.cookie = keep;
  const db = new DatabaseSync(`${t.dir}/index.db`);
  db.prepare("UPDATE sessions SET idle_expires = 1 WHERE token_hash = ?").run(
    createHash("sha256").update(expired.slice(expired.indexOf("=") + 1)).digest("hex"),
  );
  db.close();
  const ritaCookie = rita.cookie!;
  const ritaRecord = t.records.get<Record<string, unknown>>("member", rita.key)!;
  const removal = await json(t, "/v1/records", {
    body: {
      records: [signed(t, alice, "member", rita.key, { ...ritaRecord.body, removed: true })],
    },
    cookie: alice.cookie,
  });
  if (removal.status !== 200) throw new Error(`removal: ${removal.status}`);

  // Mallory, of another family on another node.
  const other = await makeTestApp();
  const mallory = await setupFamily(other, "Hill");
  await other[Symbol.asyncDispose]();

  // Every blob's bytes, for uploads of bytes that are already stored.
  for (const a of [shared, unshared, trashed, purged, ...Object.values(own)]) {
    for (const id of [a!.photo.original, a!.photo.thumb, a!.photo.meta]) {
      const got = await t.blobs.get(id);
      blobBytes.set(id, new Uint8Array(await new Response(got.stream).arrayBuffer()));
    }
  }

  const looseBytes = crypto.getRandomValues(new Uint8Array(3333));
  const looseId = createHash("sha256").update(looseBytes).digest("hex");
  const loosePut = await t.app.request(`/v1/blobs/${looseId}`, {
    method: "PUT",
    headers: { cookie: olivia.cookie! },
    body: looseBytes,
  });
  if (loosePut.status !== 201) throw new Error(`loose blob: ${loosePut.status}`);
  blobBytes.set(looseId, looseBytes);

  // The node's own cookie name, with a value nobody was given.
  const cookieName = alice.cookie!.slice(0, alice.cookie!.indexOf("="));
  const forged = `${cookieName}=${toBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;
  t.db.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return {
    t,
    members,
    rita,
    albums: { shared, unshared, trashed, purged },
    missing: {
      album: toBase64Url(crypto.getRandomValues(new Uint8Array(16))),
      photo: toBase64Url(crypto.getRandomValues(new Uint8Array(16))),
      blob: randomHex(32),
      upload: crypto.randomUUID(),
      handle: randomHex(8),
    },
    cookies: { forged, expired, removed: ritaCookie, otherFamily: mallory.cookie! },
    nodes: { paired, removed: removedNode, stranger },
    loose: { id: looseId, size: looseBytes.length },
    blobBytes,
    async copy() {
      t.db.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      const dir = await Deno.makeTempDir({ prefix: "p2pos-world-" });
      await Deno.copyFile(`${t.dir}/index.db`, `${dir}/index.db`);
      await Deno.copyFile(`${t.dir}/node.key`, `${dir}/node.key`);
      await copyTree(`${t.dir}/uploads`, `${dir}/uploads`);
      // Blobs are shared, not copied: they are content-addressed, and what a write adds (new
      // bytes under their own hash) changes nothing another cell looks at.
      await Deno.symlink(`${t.dir}/blobs`, `${dir}/blobs`);
      return await makeTestApp({}, {}, { dir, offsetMs: t.offsetMs() });
    },
    [Symbol.asyncDispose]: () => t[Symbol.asyncDispose](),
  };
}
