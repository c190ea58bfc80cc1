import assert from "node:assert/strict";
import { inviteAndJoin, json, setupFamily, signed } from "../../../../tests/_support/family.ts";
import { makeTestApp, type TestApp } from "../../../../tests/_support/test_app.ts";
import { addPhoto, createAlbum, share, type TestAlbum } from "../../../../tests/_support/vault.ts";
import { vaultDepsFor } from "../../../../tests/_support/vault_client.ts";
import { AlbumKeys } from "./album_keys.ts";
import {
  decodeShard,
  encodeShard,
  fetchIndexShards,
  INDEX_SHARDS,
  readAlbumIndex,
  sealShard,
  shardOf,
  writeAlbumIndex,
} from "./album_index.ts";
import { allPhotos, checkTakenAt, firstPhotos } from "./album_photos.ts";
import { albumDetail } from "./albums.ts";
import type { VaultDeps } from "./client.ts";

const ALBUM = "AAAAAAAAAAAAAAAAAAAAAA";

Deno.test("An index shard round-trips and names its album and shard", () => {
  const entries = [
    { id: "BBBBBBBBBBBBBBBBBBBBBA", takenAt: 1_700_000_000_123 },
    { id: "AAAAAAAAAAAAAAAAAAAAAQ", takenAt: 0 },
  ];
  const plain = encodeShard(ALBUM, 0, entries);
  assert.deepEqual(decodeShard(ALBUM, 0, plain), [entries[1], entries[0]]);
  assert.throws(() => decodeShard("BAAAAAAAAAAAAAAAAAAAAA", 0, plain), /another album or shard/);
  assert.throws(() => decodeShard(ALBUM, 1, plain), /another album or shard/);
  assert.throws(() => decodeShard(ALBUM, 0, plain.slice(0, -1)), /length does not fit/);
  assert.throws(() => encodeShard(ALBUM, 1, entries), /is not in shard 1/);
  assert.equal(shardOf("_AAAAAAAAAAAAAAAAAAAAA"), INDEX_SHARDS - 1);
  assert.throws(() => shardOf("short"), RangeError);
});

async function keysOf(deps: VaultDeps, album: TestAlbum): Promise<AlbumKeys> {
  const { album: view } = await albumDetail(deps, album.id);
  return await AlbumKeys.open(view, deps.me.x25519SecretKey);
}

async function albumWithPhotos(t: TestApp, n: number) {
  const owner = await setupFamily(t);
  const album = await createAlbum(t, owner);
  const photos = [];
  for (let i = 0; i < n; i++) photos.push(await addPhoto(t, album, owner, i + 1));
  const deps = vaultDepsFor(t, owner);
  return { owner, album, photos, deps, keys: await keysOf(deps, album) };
}

Deno.test("An album index written by the owner orders the first photos without listing them all", async () => {
  await using t = await makeTestApp();
  const { deps, keys, photos } = await albumWithPhotos(t, 12);
  assert.equal(await firstPhotos(deps, keys), undefined, "no index yet");
  const full = await allPhotos(deps, keys, undefined);
  assert.equal(full.stale, true);
  const written = await writeAlbumIndex(
    deps,
    keys,
    full.photos.map((p) => ({ id: p.view.id, takenAt: p.takenAt })),
  );
  assert.equal(written, INDEX_SHARDS, "every shard, empty ones too");
  const again = await writeAlbumIndex(
    deps,
    keys,
    full.photos.map((p) => ({ id: p.view.id, takenAt: p.takenAt })),
    await readAlbumIndex(deps, keys),
  );
  assert.equal(again, 0, "nothing changed, nothing written");

  const first = await firstPhotos(deps, keys, 5);
  assert.ok(first);
  assert.equal(first.total, 12);
  assert.equal(first.index.stale, false);
  // makePhoto's taken-at grows with its seed: the first five photos made.
  assert.deepEqual(first.photos.map((p) => p.view.id), photos.slice(0, 5).map((p) => p.id));
  const rest = await allPhotos(deps, keys, first.index);
  assert.equal(rest.stale, false);
  assert.deepEqual(rest.photos.map((p) => p.view.id), photos.map((p) => p.id));
  // The node holds the shards sealed: no photo id or date in the clear.
  const raw = JSON.stringify(
    t.db.db.prepare("SELECT json FROM records WHERE kind = 'album_index'").all(),
  );
  assert.ok(!photos.some((p) => raw.includes(p.id)));
});

Deno.test("Index shards asked for before the album's keys open are checked as if fetched after", async () => {
  await using t = await makeTestApp();
  const { owner, deps, keys, photos } = await albumWithPhotos(t, 4);
  const early = fetchIndexShards(deps, keys.albumId); // asked before any index exists
  await writeAlbumIndex(deps, keys, photos.map((p, i) => ({ id: p.id, takenAt: i })));
  assert.equal(await firstPhotos(deps, keys, 4, early), undefined, "what the node had then");
  const first = await firstPhotos(deps, keys, 4, fetchIndexShards(deps, keys.albumId));
  assert.deepEqual(first?.photos.map((p) => p.view.id), photos.map((p) => p.id));
  // Another album's shards, handed in as this album's, open to no entries: listed instead.
  const other = await indexedOtherAlbum(t, owner, deps);
  const wrong = await firstPhotos(deps, keys, 4, fetchIndexShards(deps, other.albumId));
  assert.equal(wrong?.photos.length ?? 0, 0);
  assert.equal(wrong?.index.stale ?? true, true);
});

async function indexedOtherAlbum(
  t: TestApp,
  owner: Parameters<typeof createAlbum>[1],
  deps: VaultDeps,
) {
  const album = await createAlbum(t, owner, "Other");
  const photo = await addPhoto(t, album, owner, 9);
  const keys = await keysOf(deps, album);
  await writeAlbumIndex(deps, keys, [{ id: photo.id, takenAt: 5 }]);
  return keys;
}

Deno.test("A stale or forged index never hides or misorders a photo for long", async () => {
  await using t = await makeTestApp();
  const { owner, album, deps, keys, photos } = await albumWithPhotos(t, 6);
  // An index that gives photo 0 the latest date and forgets photo 5.
  const lies = photos.slice(0, 5).map((p, i) => ({
    id: p.id,
    takenAt: i === 0 ? 1_900_000_000_000 : 1_750_000_000_000 + i + 1,
  }));
  await writeAlbumIndex(deps, keys, lies);
  const first = await firstPhotos(deps, keys, 6);
  assert.ok(first);
  // Checked against their records: photo 0's real date puts it first again.
  assert.equal(first.index.stale, true);
  assert.equal(first.photos[0].view.id, photos[0].id);
  const all = await allPhotos(deps, keys, first.index);
  assert.equal(all.stale, true, "photo 5 is missing from the index");
  assert.equal(all.photos.length, 6);
  const checked = await checkTakenAt(keys, all.photos);
  assert.equal(checked.differed, true);
  assert.deepEqual(checked.photos.map((p) => p.view.id), photos.map((p) => p.id));

  // A shard of another album, copied under this album's shard id, is refused by the reader.
  const other = await createAlbum(t, owner, "Other");
  const otherKeys = await keysOf(deps, other);
  const foreign = await sealShard(otherKeys.current, other.id, 3, []);
  const res = await json(t, "/v1/records", {
    body: {
      records: [signed(t, owner, "album_index", `${album.id}.3`, {
        album: album.id,
        shard: 3,
        epoch: 0,
        sealed: foreign,
      })],
    },
    cookie: owner.cookie,
  });
  assert.equal(res.status, 200);
  const read = await readAlbumIndex(deps, keys);
  assert.equal(read?.stale, true);
  assert.equal(read?.shards.has(3), false);
});

Deno.test("Only the owner and contributors write an album's index; only members it is shared with read it", async () => {
  await using t = await makeTestApp();
  const owner = await setupFamily(t);
  const viewer = await inviteAndJoin(t, owner, "Victor");
  const contributor = await inviteAndJoin(t, owner, "Carol");
  const stranger = await inviteAndJoin(t, owner, "Sam");
  const album = await createAlbum(t, owner);
  await share(t, album, viewer, "viewer");
  await share(t, album, contributor, "contributor");
  await addPhoto(t, album, owner, 1);
  const shard = (who: typeof owner) =>
    signed(t, who, "album_index", `${album.id}.0`, {
      album: album.id,
      shard: 0,
      epoch: 0,
      sealed: "AAAA",
    });
  const post = (who: typeof owner) =>
    json(t, "/v1/records", { body: { records: [shard(who)] }, cookie: who.cookie });
  assert.equal((await post(viewer)).status, 403);
  assert.match(await (await post(viewer)).text(), /owner and contributors write its index/);
  assert.equal((await post(contributor)).status, 200);
  const wrongId = signed(t, owner, "album_index", `${album.id}.1`, {
    album: album.id,
    shard: 0,
    epoch: 0,
    sealed: "AAAA",
  });
  const bad = await json(t, "/v1/records", { body: { records: [wrongId] }, cookie: owner.cookie });
  assert.equal(bad.status, 400);

  const read = (who: typeof owner) =>
    t.app.request(`/v1/albums/${album.id}/index`, { headers: { cookie: who.cookie! } });
  assert.equal((await read(viewer)).status, 200);
  assert.equal((await read(stranger)).status, 404);
  const all = async (who: typeof owner) =>
    (await (await t.app.request("/v1/album-indexes", { headers: { cookie: who.cookie! } }))
      .json()).albums;
  assert.equal((await all(viewer))[album.id].length, 1);
  assert.deepEqual(await all(stranger), {}, "albums one cannot open are not listed");
});

Deno.test("GET /v1/photos?ids= returns only photos the member may see, never deleted ones", async () => {
  await using t = await makeTestApp();
  const owner = await setupFamily(t);
  const stranger = await inviteAndJoin(t, owner, "Sam");
  const album = await createAlbum(t, owner);
  const a = await addPhoto(t, album, owner, 1);
  const b = await addPhoto(t, album, owner, 2);
  const tomb = signed(t, owner, "tombstone", `photo.${b.id}`, {
    kind: "photo",
    target: b.id,
    album: album.id,
  });
  assert.equal(
    (await json(t, "/v1/records", { body: { records: [tomb] }, cookie: owner.cookie })).status,
    200,
  );
  const get = async (who: typeof owner, q: string) => {
    const res = await t.app.request(`/v1/photos?ids=${q}`, { headers: { cookie: who.cookie! } });
    return { status: res.status, body: await res.json() };
  };
  const mine = await get(owner, `${a.id},${b.id},${a.id}`);
  assert.deepEqual(mine.body.photos.map((p: { id: string }) => p.id), [a.id]);
  assert.deepEqual((await get(stranger, a.id)).body.photos, []);
  assert.equal((await get(owner, "not-an-id")).status, 400);
  assert.equal((await get(owner, "")).status, 400);
});
