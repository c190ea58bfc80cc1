// Unit tests of what a member sees of albums and photos (AlbumQueries): her albums with her
// role and wrapped key, photos by id only where she has a role, live photos only. Real signed
// records in a real SQLite file (lib/vault/_family_log.ts); the same through the API in
// lib/web/api/albums_test.ts.

import assert from "node:assert/strict";
import { AlbumQueries } from "./album_queries.ts";
import { DAY, sharedAlbum } from "./_family_log.ts";
import { TRASH_DAYS } from "./album_kinds.ts";

/** The shared album (see {@link sharedAlbum}), with the queries over its log. */
async function family() {
  const f = await sharedAlbum();
  return { ...f, queries: new AlbumQueries(f.log.db, f.log.records) };
}

Deno.test("AlbumQueries: a member sees the albums she has a role on, with that role and her key", async () => {
  const { log, ann, ben, cat, dan, album, queries } = await family();
  await using _ = log;
  const bens = log.album(ben);
  const roles = (m: { key: string }) => queries.albumsFor(m.key).map((a) => [a.id, a.role]);
  assert.deepEqual(roles(ann), [[album, "owner"]]);
  assert.deepEqual(roles(ben), [[bens, "owner"], [album, "contributor"]], "newest first");
  assert.deepEqual(roles(cat), [[album, "viewer"]]);
  assert.deepEqual(roles(dan), [], "a member without a grant sees no album");
  const seen = queries.albumsFor(cat.key)[0];
  assert.deepEqual(seen.grant, { epoch: 0, wrapped: "c2VhbGVk" });
  assert.equal(seen.owner, ann.key);
  assert.equal(queries.view(seen.record, dan.key), undefined, "the record itself shows nothing");
});

Deno.test("AlbumQueries: an un-shared viewer and a removed member see the album no more", async () => {
  const { log, ann, ben, cat, album, queries } = await family();
  await using _ = log;
  const record = queries.albumsFor(cat.key)[0].record;
  log.grant(ann, album, cat, "viewer", true);
  assert.deepEqual(queries.albumsFor(cat.key), []);
  assert.equal(queries.view(record, cat.key), undefined);
  log.setMember(ben, { removed: true });
  assert.deepEqual(queries.albumsFor(ben.key), []);
  assert.equal(queries.view(record, ben.key), undefined);
  assert.equal(queries.albumsFor(ann.key).length, 1);
});

Deno.test("AlbumQueries: a trashed album is listed with when it goes; a purged one not even to its owner", async () => {
  const { log, ann, cat, album, queries } = await family();
  await using _ = log;
  assert.equal(queries.albumsFor(ann.key)[0].purgeAt, null);
  const trashedAt = log.time;
  log.trashAlbum(ann, album);
  const [seen] = queries.albumsFor(cat.key);
  assert.equal(seen.trashedAt, trashedAt);
  assert.equal(seen.purgeAt, trashedAt + TRASH_DAYS * DAY);
  log.time += TRASH_DAYS * DAY + 1;
  assert.deepEqual(queries.albumsFor(ann.key), []);
  assert.deepEqual(queries.albumsFor(cat.key), []);
  assert.equal(queries.view(seen.record, ann.key), undefined);
});

Deno.test("AlbumQueries: photos by id are only those of albums she sees, not deleted, each once", async () => {
  const { log, ann, ben, cat, dan, album, queries } = await family();
  await using _ = log;
  const [a, b] = [await log.photo(album, ann), await log.photo(album, ben)];
  const secret = log.album(dan);
  const d = await log.photo(secret, dan);
  const ids = (m: { key: string }, want: string[]) =>
    queries.photosByIds(want, m.key).map((p) => p.id).sort();
  const all = [a.id, b.id, d.id, a.id, "unknown".padEnd(22, "A")];
  assert.deepEqual(ids(cat, all), [a.id, b.id].sort());
  assert.deepEqual(ids(dan, all), [d.id], "Dan sees his own photo only");
  // Cat learned the ids while she could see the album; un-shared, they show her nothing.
  log.grant(ann, album, cat, "viewer", true);
  assert.deepEqual(ids(cat, all), []);
  // A deleted photo is left out for everyone, its owner included.
  log.deletePhoto(ann, album, b.id);
  assert.deepEqual(ids(ann, all), [a.id]);
  const [shown] = queries.photosByIds([a.id], ann.key);
  assert.deepEqual(shown.original, a.body.original);
  assert.equal(shown.uploader, ann.key);
});

Deno.test("AlbumQueries: an album's live photos page by id, and its count follows deletions", async () => {
  const { log, ann, ben, album, queries } = await family();
  await using _ = log;
  const photos = [];
  for (let i = 0; i < 5; i++) photos.push(await log.photo(album, i % 2 ? ann : ben));
  const sorted = photos.map((p) => p.id).sort();
  assert.equal(queries.photoCount(album), 5);
  const first = queries.photos(album, "", 2);
  assert.deepEqual(first.photos.map((p) => p.id), sorted.slice(0, 2));
  assert.equal(first.next, sorted[1]);
  log.deletePhoto(ann, album, sorted[2]);
  assert.equal(queries.photoCount(album), 4, "the kept count is dropped on a deletion");
  const rest = queries.photos(album, first.next!, 10);
  assert.deepEqual(rest.photos.map((p) => p.id), sorted.slice(3));
  assert.equal(rest.next, null);
  assert.equal(queries.photos(album, first.next!, 2).next, null, "a full last page is the last");
  assert.equal(queries.albumsFor(ann.key)[0].photoCount, 4);
  // Another album's photos are never on this album's pages.
  const other = log.album(ann);
  await log.photo(other, ann);
  assert.equal(queries.photos(album, "", 10).photos.length, 4);
  assert.equal(queries.photoCount(other), 1);
});

Deno.test("AlbumQueries: after a new key epoch, a grant not re-wrapped yet gives no key", async () => {
  const { log, ann, cat, album, queries } = await family();
  await using _ = log;
  log.put(ann, "album", album, {
    owner: ann.key,
    epoch: 1,
    meta: "c2VhbGVk",
    cover: null,
    trashedAt: null,
  });
  const [seen] = queries.albumsFor(cat.key);
  assert.equal(seen.role, "viewer");
  assert.equal(seen.grant, null, "her key of epoch 0 does not open epoch 1");
  assert.equal(queries.grants(album).length, 3);
});
