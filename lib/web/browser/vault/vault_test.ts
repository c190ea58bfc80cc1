import assert from "node:assert/strict";
import { decryptBytes } from "../../../crypto/mod.ts";
import { inviteAndJoin, setupFamily, type TestMember } from "../../../../tests/_support/family.ts";
import { makeTestApp, type TestApp } from "../../../../tests/_support/test_app.ts";
import { vaultDepsFor } from "../../../../tests/_support/vault_client.ts";
import { PHOTOS, takenAtMs } from "../../../../tests/e2e/fixtures/photos.ts";
import { AlbumKeys, KeyNotSharedError } from "./album_keys.ts";
import {
  albumDetail,
  createAlbum,
  listAlbums,
  listPhotos,
  renameAlbum,
  setCover,
  setTrashed,
} from "./albums.ts";
import type { VaultDeps } from "./client.ts";
import { readExif } from "./exif.ts";
import { orderPhotos, PhotoDecryptor } from "./photo_library.ts";
import {
  familyMembers,
  photosBehind,
  rewrapPhotos,
  rotateAlbumKey,
  shareAlbum,
  staleGrants,
} from "./sharing.ts";
import { type UploadJob, UploadQueue } from "./upload_queue.ts";

const fixtures = new URL("../../../../tests/e2e/fixtures/photos/", import.meta.url);
const noWait = () => Promise.resolve();

async function fixtureFile(name: string, as = name): Promise<File> {
  return new File([await Deno.readFile(new URL(name, fixtures))], as, {
    type: "image/jpeg",
    lastModified: 1_600_000_000_000,
  });
}

/** Uploads `files` and waits until every job is final. */
async function upload(deps: VaultDeps, keys: AlbumKeys, files: File[]): Promise<UploadJob[]> {
  const existing = new Set((await listPhotos(deps, keys.albumId)).map((p) => p.dedup));
  return await new Promise((resolve) => {
    const queue = new UploadQueue(
      {
        vault: deps,
        exif: readExif,
        // No canvas in Deno: the "thumbnail" is the first 2 KB of the file, enough to check bytes.
        picture: async (f) => ({
          thumb: new Uint8Array(await f.slice(0, 2048).arrayBuffer()),
          width: 1200,
          height: 900,
        }),
        chunkBytes: 8 * 1024,
        backoff: noWait,
      },
      { albumId: keys.albumId, keys, existing },
      {
        onChange: (jobs) => {
          if (jobs.every((j) => ["done", "skipped", "failed", "cancelled"].includes(j.state))) {
            resolve(jobs);
          }
        },
      },
    );
    queue.add(files);
  });
}

async function family(t: TestApp) {
  const owner = await setupFamily(t);
  const viewer = await inviteAndJoin(t, owner, "Victor");
  const contributor = await inviteAndJoin(t, owner, "Carol");
  return { owner, viewer, contributor };
}

async function keysOf(deps: VaultDeps, id: string): Promise<AlbumKeys> {
  const { album } = await albumDetail(deps, id);
  return await AlbumKeys.open(album, deps.me.x25519SecretKey);
}

function rawRecords(t: TestApp): string {
  return JSON.stringify(t.db.db.prepare("SELECT json FROM records").all());
}

Deno.test("Albums are created, renamed, trashed and restored; the node never sees the name", async () => {
  await using t = await makeTestApp();
  const { owner } = await family(t);
  const deps = vaultDepsFor(t, owner);
  const made = await createAlbum(deps, "  Grandma's 90th  ");
  assert.equal(made.keys!.name, "Grandma's 90th");
  let [only] = await listAlbums(deps);
  assert.equal(only.view.id, made.view.id);
  assert.equal(only.view.role, "owner");
  assert.equal(only.keys!.name, "Grandma's 90th");

  await renameAlbum(deps, only.view, only.keys!, "Grandma turns 90");
  [only] = await listAlbums(deps);
  assert.equal(only.keys!.name, "Grandma turns 90");
  assert.equal(only.keys!.doc.dedupKey, made.keys!.doc.dedupKey);

  await setTrashed(deps, only.view, true);
  [only] = await listAlbums(deps);
  assert.ok(only.view.trashedAt! > 0);
  await setTrashed(deps, only.view, false);
  [only] = await listAlbums(deps);
  assert.equal(only.view.trashedAt, null);

  assert.doesNotMatch(rawRecords(t), /Grandma/);
});

Deno.test("Uploads carry EXIF, skip a duplicate, and decrypt in taken-at order", async () => {
  await using t = await makeTestApp();
  const { owner } = await family(t);
  const deps = vaultDepsFor(t, owner);
  const { keys } = await createAlbum(deps, "Trips");
  const files = await Promise.all(PHOTOS.map((p) => fixtureFile(p.file)));
  const jobs = await upload(deps, keys!, [...files, await fixtureFile(PHOTOS[0].file, "copy.jpg")]);
  assert.deepEqual(jobs.map((j) => j.state), ["done", "done", "done", "done", "skipped"]);
  assert.match(jobs[4].message!, /Already in this album/);

  // Again later, in another batch: still recognised.
  const again = await upload(deps, keys!, [await fixtureFile(PHOTOS[1].file, "again.jpg")]);
  assert.equal(again[0].state, "skipped");

  const photos = await listPhotos(deps, keys!.albumId);
  assert.equal(photos.length, 4);
  const ordered = await orderPhotos(keys!, photos);
  const expected = [...PHOTOS].sort((a, b) => takenAtMs(a) - takenAtMs(b));
  assert.deepEqual(ordered.map((p) => p.takenAt), expected.map(takenAtMs));

  const decryptor = new PhotoDecryptor(keys!, deps.fetch);
  for (const [i, p] of ordered.entries()) {
    const meta = await decryptor.meta(p.view);
    assert.equal(meta.filename, expected[i].file);
    assert.equal(meta.camera, expected[i].camera);
    assert.equal(meta.type, "image/jpeg");
    const original = await decryptor.original(p.view);
    const want = await Deno.readFile(new URL(expected[i].file, fixtures));
    assert.deepEqual(new Uint8Array(await original.blob.arrayBuffer()), want);
    const thumbUrl = await decryptor.thumbUrl(p.view);
    const thumb = new Uint8Array(await (await fetch(thumbUrl!)).arrayBuffer());
    assert.deepEqual(thumb, want.slice(0, 2048));
  }
  decryptor.dispose();
  assert.doesNotMatch(rawRecords(t), /harbour|Canon|2021:06/);
});

Deno.test("Un-sharing starts a new epoch: the removed member loses the album, others keep every photo", async () => {
  await using t = await makeTestApp();
  const { owner, viewer, contributor } = await family(t);
  const deps = vaultDepsFor(t, owner);
  const { view, keys } = await createAlbum(deps, "Family");
  await upload(deps, keys!, await Promise.all(PHOTOS.slice(0, 3).map((p) => fixtureFile(p.file))));
  const members = await familyMembers(deps);
  const byName = (n: string) => members.find((m) => m.name === n)!;
  await shareAlbum(deps, keys!, byName("Victor"), "viewer");
  await shareAlbum(deps, keys!, byName("Carol"), "contributor");
  const coverId = (await listPhotos(deps, view.id))[0].id;
  await setCover(deps, (await albumDetail(deps, view.id)).album, coverId);

  // The viewer sees the album and can decrypt its photos.
  const viewerDeps = vaultDepsFor(t, viewer);
  const viewerKeys = await keysOf(viewerDeps, view.id);
  const [first] = await listPhotos(viewerDeps, view.id);
  const fileKey = await new PhotoDecryptor(viewerKeys, viewerDeps.fetch).fileKey(first);
  assert.equal(fileKey.length, 32);

  const progress: string[] = [];
  const next = await rotateAlbumKey(
    deps,
    view.id,
    [viewer.key],
    (p) => progress.push(`${p.phase}:${p.done}/${p.total}`),
  );
  assert.equal(next.epoch, 1);
  assert.deepEqual(progress, ["keys:0/1", "photos:0/3", "photos:3/3", "done:3/3"]);
  // Each batch was signed as a chain: the family log is left with one loose end, not one per
  // re-wrapped photo and grant.
  assert.equal(t.records.heads().prev.length, 1);

  // The viewer: the album is gone (404), and so are its blobs.
  await assert.rejects(
    albumDetail(viewerDeps, view.id),
    (e: Error & { status?: number }) => e.status === 404,
  );
  assert.equal((await viewerDeps.fetch(`/v1/blobs/${first.thumb!.id}`)).status, 404);
  assert.deepEqual(await listAlbums(viewerDeps), []);

  // The owner and the contributor still read every photo, now under the new key.
  for (const who of [owner, contributor] as TestMember[]) {
    const d = vaultDepsFor(t, who);
    const k = await keysOf(d, view.id);
    assert.equal(k.epoch, 1);
    const photos = await listPhotos(d, view.id);
    assert.equal(photos.length, 3);
    assert.deepEqual(photosBehind(photos, 1), []);
    const dec = new PhotoDecryptor(k, d.fetch);
    for (const p of photos) assert.ok((await dec.meta(p)).filename.endsWith(".jpg"));
  }
  const detail = await albumDetail(deps, view.id);
  assert.equal(detail.album.cover, coverId, "the cover survived the rotation");
  assert.deepEqual(
    detail.grants.map((g) => [g.role, g.revoked, g.revoked ? 0 : g.epoch]).sort(),
    [["contributor", false, 1], ["owner", false, 1], ["viewer", true, 0]],
  );
  // The contributor uploads under the new key.
  const carol = vaultDepsFor(t, contributor);
  const jobs = await upload(carol, await keysOf(carol, view.id), [
    await fixtureFile(PHOTOS[3].file),
  ]);
  assert.equal(jobs[0].state, "done");
});

Deno.test("A re-wrap cut short leaves old photos readable through the album document", async () => {
  await using t = await makeTestApp();
  const { owner, viewer, contributor } = await family(t);
  const deps = vaultDepsFor(t, owner);
  const { view, keys } = await createAlbum(deps, "Half done");
  await upload(deps, keys!, await Promise.all(PHOTOS.slice(0, 2).map((p) => fixtureFile(p.file))));
  const members = await familyMembers(deps);
  await shareAlbum(deps, keys!, members.find((m) => m.name === "Carol")!, "viewer");
  await shareAlbum(deps, keys!, members.find((m) => m.name === "Victor")!, "viewer");

  // The node accepts the new epoch, then the connection dies before any photo is re-wrapped.
  const flaky: VaultDeps = {
    ...deps,
    call: (method, path, body) => {
      const records = (body as { records?: { kind: string }[] })?.records;
      if (records?.some((r) => r.kind === "photo")) {
        return Promise.reject(new TypeError("connection lost"));
      }
      return deps.call(method, path, body);
    },
  };
  await assert.rejects(rotateAlbumKey(flaky, view.id, [viewer.key]), /connection lost/);

  const carol = vaultDepsFor(t, contributor);
  const k = await keysOf(carol, view.id);
  const photos = await listPhotos(carol, view.id);
  assert.equal(k.epoch, 1);
  assert.equal(photosBehind(photos, 1).length, 2, "the photos are still at epoch 0");
  const dec = new PhotoDecryptor(k, carol.fetch);
  for (const p of photos) {
    const key = await dec.fileKey(p);
    const meta = await (await carol.fetch(`/v1/blobs/${p.meta.id}`)).arrayBuffer();
    assert.ok((await decryptBytes(key, new Uint8Array(meta))).length >= 1024);
  }

  // The owner finishes the job later.
  const ownerKeys = await keysOf(deps, view.id);
  assert.equal(await rewrapPhotos(deps, ownerKeys, await listPhotos(deps, view.id)), 2);
  assert.deepEqual(photosBehind(await listPhotos(deps, view.id), 1), []);
});

Deno.test("A member whose grant is behind the album's epoch is told to ask the owner", async () => {
  await using t = await makeTestApp();
  const { owner, viewer } = await family(t);
  const deps = vaultDepsFor(t, owner);
  const { view, keys } = await createAlbum(deps, "Behind");
  const victor = (await familyMembers(deps)).find((m) => m.name === "Victor")!;
  await shareAlbum(deps, keys!, victor, "viewer");
  // A rotation written by another tool that forgot Victor's grant: his wrap stays at epoch 0.
  const detail = await albumDetail(deps, view.id);
  const bumped = await deps.sign("album", view.id, { ...detail.album.record.body, epoch: 1 });
  await deps.call("POST", "/v1/records", { records: [bumped] });
  const [listed] = await listAlbums(vaultDepsFor(t, viewer));
  assert.equal(listed.keys, undefined);
  assert.match(listed.error!, /has not been shared with you again yet/);
  await assert.rejects(
    AlbumKeys.open(listed.view, viewer.x25519SecretKey),
    KeyNotSharedError,
  );
});

Deno.test("A member removed from the family is flagged on shared albums until the key changes", async () => {
  await using t = await makeTestApp();
  const { owner, viewer } = await family(t);
  const deps = vaultDepsFor(t, owner);
  const { view, keys } = await createAlbum(deps, "Shared");
  const members = await familyMembers(deps);
  await shareAlbum(deps, keys!, members.find((m) => m.name === "Victor")!, "viewer");
  assert.deepEqual(staleGrants((await albumDetail(deps, view.id)).grants, members), []);

  // An admin removes Victor; his grant still wraps the album key.
  // (The node's member list holds sealed names: Victor is found by his key.)
  const { members: full } = await deps.call<{
    members: { key: string; record: { body: Record<string, unknown> } }[];
  }>("GET", "/v1/members");
  const victor = full.find((m) => m.key === viewer.key)!;
  await deps.call("POST", "/v1/records", {
    records: [await deps.sign("member", victor.key, { ...victor.record.body, removed: true })],
  });
  const now = await familyMembers(deps);
  const stale = staleGrants((await albumDetail(deps, view.id)).grants, now);
  assert.deepEqual(stale.map((g) => g.member), [viewer.key]);

  // The same rotation as un-sharing, revoking nobody by name: his grant is revoked.
  await rotateAlbumKey(deps, view.id, []);
  const after = await albumDetail(deps, view.id);
  assert.equal(after.album.epoch, 1);
  assert.deepEqual(staleGrants(after.grants, now), []);
  assert.equal(after.grants.find((g) => g.member === viewer.key)?.revoked, true);
});
