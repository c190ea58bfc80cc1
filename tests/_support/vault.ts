/**
 * Vault fixtures for API tests: albums, grants and photos made the way the
 * browser makes them (real album keys, wrapped keys and encrypted blobs).
 */

import {
  blobId,
  encryptBytes,
  encryptMetadata,
  fromBase64Url,
  newFileKey,
  toBase64Url,
  wrapKey,
} from "../../lib/crypto/mod.ts";
import { json, randomId, signed, type TestMember } from "./family.ts";
import assert from "node:assert/strict";
import type { TestApp } from "./test_app.ts";

export interface TestAlbum {
  id: string;
  key: Uint8Array;
  epoch: number;
  owner: TestMember;
  body: Record<string, unknown>;
}

export async function createAlbum(
  t: TestApp,
  owner: TestMember,
  name = "Summer 2026",
): Promise<TestAlbum> {
  const key = newFileKey();
  const id = randomId();
  const meta = toBase64Url(
    await encryptMetadata({ v: 1, name, dedupKey: toBase64Url(newFileKey()) }, key),
  );
  const body = { owner: owner.key, epoch: 0, meta, cover: null, trashedAt: null };
  const album = signed(t, owner, "album", id, body);
  const grant = signed(t, owner, "grant", `${id}.${owner.key}`, {
    album: id,
    member: owner.key,
    role: "owner",
    epoch: 0,
    wrapped: toBase64Url(await wrapKey(key, fromBase64Url(owner.x25519))),
    revoked: false,
  });
  const res = await json(t, "/v1/albums", {
    body: { records: [album, grant] },
    cookie: owner.cookie,
  });
  if (res.status !== 201) throw new Error(`album failed: ${res.status} ${await res.text()}`);
  return { id, key, epoch: 0, owner, body };
}

export async function grantRecord(
  t: TestApp,
  album: TestAlbum,
  member: TestMember,
  role: "viewer" | "contributor",
  revoked = false,
) {
  return signed(t, album.owner, "grant", `${album.id}.${member.key}`, {
    album: album.id,
    member: member.key,
    role,
    epoch: album.epoch,
    wrapped: toBase64Url(await wrapKey(album.key, fromBase64Url(member.x25519))),
    revoked,
  });
}

export async function share(
  t: TestApp,
  album: TestAlbum,
  member: TestMember,
  role: "viewer" | "contributor",
) {
  const res = await json(t, "/v1/records", {
    body: { records: [await grantRecord(t, album, member, role)] },
    cookie: album.owner.cookie,
  });
  if (res.status !== 200) throw new Error(`share failed: ${res.status} ${await res.text()}`);
}

export interface TestPhoto {
  id: string;
  original: string;
  thumb: string;
  meta: string;
  record: ReturnType<typeof signed>;
}

/** A photo's reference to a blob: its id, size and the uploader's receipt (FORMAT §13). */
export interface BlobRef {
  id: string;
  size: number;
  receipt: { node: string; sig: string };
}

export async function putBlob(t: TestApp, who: TestMember, bytes: Uint8Array): Promise<BlobRef> {
  const id = await blobId(bytes);
  const res = await t.app.request(`/v1/blobs/${id}`, {
    method: "PUT",
    body: bytes as Uint8Array<ArrayBuffer>,
    headers: { cookie: who.cookie! },
  });
  if (res.status >= 300) throw new Error(`blob put failed: ${res.status} ${await res.text()}`);
  const { receipt } = await res.json();
  return { id, size: bytes.length, receipt };
}

/** Encrypts and uploads a photo's three blobs, then builds (not posts) its signed record. */
export async function makePhoto(
  t: TestApp,
  album: TestAlbum,
  uploader: TestMember,
  seed = 1,
): Promise<TestPhoto> {
  const fileKey = newFileKey();
  const plain = Uint8Array.from({ length: 5000 + seed }, (_, i) => (i * seed) & 255);
  const original = await putBlob(t, uploader, await encryptBytes(fileKey, plain));
  const thumb = await putBlob(t, uploader, await encryptBytes(fileKey, plain.slice(0, 500)));
  const meta = await putBlob(
    t,
    uploader,
    await encryptMetadata({
      v: 1,
      filename: `p${seed}.jpg`,
      type: "image/jpeg",
      size: plain.length,
      takenAt: 1_750_000_000_000 + seed,
    }, fileKey),
  );
  const takenAt = new Uint8Array(8);
  new DataView(takenAt.buffer).setBigUint64(0, BigInt(1_750_000_000_000 + seed));
  const id = randomId();
  const record = signed(t, uploader, "photo", id, {
    album: album.id,
    uploader: uploader.key,
    epoch: album.epoch,
    key: toBase64Url(await encryptBytes(album.key, fileKey)),
    original,
    thumb,
    meta,
    sort: toBase64Url(await encryptBytes(album.key, takenAt)),
    dedup: Array.from(
      crypto.getRandomValues(new Uint8Array(32)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join(""),
  });
  return { id, original: original.id, thumb: thumb.id, meta: meta.id, record };
}

export async function addPhoto(
  t: TestApp,
  album: TestAlbum,
  uploader: TestMember,
  seed = 1,
): Promise<TestPhoto> {
  const photo = await makePhoto(t, album, uploader, seed);
  const res = await json(t, "/v1/photos", {
    body: { records: [photo.record] },
    cookie: uploader.cookie,
  });
  if (res.status !== 201) throw new Error(`photo failed: ${res.status} ${await res.text()}`);
  return photo;
}

/** Posts records as `who` through `POST /v1/records`; fails the test unless all are stored. */
export async function post(t: TestApp, who: TestMember, records: unknown[]): Promise<void> {
  const res = await json(t, "/v1/records", { body: { records }, cookie: who.cookie });
  assert.equal(res.status, 200, await res.text());
}

/** The body of the version in force of a record. */
export function current(t: TestApp, kind: string, id: string): Record<string, unknown> {
  return t.records.get<Record<string, unknown>>(kind, id)!.body;
}

/** A new album record owned and signed by `owner`, its name opaque bytes. */
export function albumRecord(t: TestApp, owner: TestMember, id: string, epoch: number) {
  return signed(t, owner, "album", id, {
    owner: owner.key,
    epoch,
    meta: toBase64Url(crypto.getRandomValues(new Uint8Array(64))),
    cover: null,
    trashedAt: null,
  });
}

/** Un-shares `member`: the album moves to the next epoch and its photos are re-wrapped. */
export async function unshare(
  t: TestApp,
  album: TestAlbum,
  member: TestMember,
  role: "viewer" | "contributor",
) {
  const revoke = await grantRecord(t, album, member, role, true);
  const next = signed(t, album.owner, "album", album.id, {
    ...current(t, "album", album.id),
    epoch: (current(t, "album", album.id).epoch as number) + 1,
  });
  const epoch = next.body.epoch;
  const rewraps = t.records.find<Record<string, unknown>>("photo", "album", album.id).map((p) =>
    signed(t, album.owner, "photo", p.id, { ...p.body, epoch })
  );
  await post(t, album.owner, [next, revoke, ...rewraps]);
}
