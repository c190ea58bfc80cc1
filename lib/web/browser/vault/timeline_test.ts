import assert from "node:assert/strict";
import { json, setupFamily, signed } from "../../../../tests/_support/family.ts";
import { makeTestApp } from "../../../../tests/_support/test_app.ts";
import { addPhoto, createAlbum } from "../../../../tests/_support/vault.ts";
import { vaultDepsFor } from "../../../../tests/_support/vault_client.ts";
import { AlbumKeys } from "./album_keys.ts";
import { writeAlbumIndex } from "./album_index.ts";
import { allPhotos } from "./album_photos.ts";
import { albumDetail, setTrashed } from "./albums.ts";
import { Timeline } from "./timeline.ts";

Deno.test("The timeline orders every photo across albums newest first, a slice at a time", async () => {
  await using t = await makeTestApp();
  const owner = await setupFamily(t);
  const deps = vaultDepsFor(t, owner);
  const summer = await createAlbum(t, owner, "Summer");
  const winter = await createAlbum(t, owner, "Winter");
  const trashed = await createAlbum(t, owner, "Old");
  // Seeds set the taken-at (tests/_support/vault.ts): interleave the two albums' photos.
  const s = [await addPhoto(t, summer, owner, 1), await addPhoto(t, summer, owner, 4)];
  const w = [await addPhoto(t, winter, owner, 2), await addPhoto(t, winter, owner, 3)];
  await addPhoto(t, trashed, owner, 9);
  const { album: trashedView } = await albumDetail(deps, trashed.id);
  await setTrashed(deps, trashedView, true);
  // Summer has an index; Winter has none and is read in full.
  const { album } = await albumDetail(deps, summer.id);
  const keys = await AlbumKeys.open(album, deps.me.x25519SecretKey);
  const list = await allPhotos(deps, keys, undefined);
  await writeAlbumIndex(
    deps,
    keys,
    list.photos.map((p) => ({ id: p.view.id, takenAt: p.takenAt })),
  );
  // A photo deleted after the index was written is not shown.
  const gone = await addPhoto(t, summer, owner, 5);
  await writeAlbumIndex(
    deps,
    keys,
    [...list.photos.map((p) => ({ id: p.view.id, takenAt: p.takenAt })), {
      id: gone.id,
      takenAt: 1_750_000_000_005,
    }],
  );
  const tomb = signed(t, owner, "tombstone", `photo.${gone.id}`, {
    kind: "photo",
    target: gone.id,
    album: summer.id,
  });
  await json(t, "/v1/records", { body: { records: [tomb] }, cookie: owner.cookie });

  const timeline = await Timeline.open(deps);
  // Summer's index counts 3 photos where the album has 2: that album is listed in full.
  assert.equal(timeline.total, 4);
  await timeline.loadMore(3);
  assert.deepEqual(timeline.loaded.map((p) => p.view.id), [s[1].id, w[1].id, w[0].id]);
  assert.equal(timeline.more, true);
  await timeline.loadMore(3);
  assert.deepEqual(timeline.loaded.map((p) => p.view.id), [s[1].id, w[1].id, w[0].id, s[0].id]);
  assert.equal(timeline.more, false);
  assert.equal(timeline.keysOf(timeline.loaded[1].view).albumId, winter.id);
});
