// Unit tests of who may read a blob (SECURITY.md, "Reading blobs"): a member with a role on an
// album where a live photo names it, or, before any photo names it, the member who uploaded
// its bytes here. Everyone else, whatever ids she learned, is told nothing. Real signed records
// in a real SQLite file (lib/vault/_family_log.ts); the same through the API in
// lib/web/api/blobs_test.ts.

import assert from "node:assert/strict";
import { ForbiddenError } from "../core/errors.ts";
import { BlobAccess } from "./blob_access.ts";
import { DAY, randomId, sharedAlbum } from "./_family_log.ts";
import { TRASH_DAYS } from "./album_kinds.ts";

/** The shared album (see {@link sharedAlbum}), with blob access over its log. */
async function family() {
  const f = await sharedAlbum();
  return { ...f, access: new BlobAccess(f.log.db, f.log.records) };
}

const ids = (
  body: { original: { id: string }; thumb: { id: string } | null; meta: { id: string } },
) => [body.original.id, body.thumb!.id, body.meta.id];

Deno.test("BlobAccess: every role on the album reads a live photo's three blobs; others none", async () => {
  const { log, ann, ben, cat, dan, album, access } = await family();
  await using _ = log;
  const { body } = await log.photo(album, ben);
  for (const blob of ids(body)) {
    for (const reader of [ann, ben, cat]) assert.equal(access.canRead(blob, reader.key), true);
    assert.equal(access.canRead(blob, dan.key), false, "a member without a grant");
  }
  assert.equal(access.photosWithBlob(body.thumb!.id).length, 1);
});

Deno.test("BlobAccess: before a photo names it, only its uploader reads a blob back", async () => {
  const { log, ann, ben, dan, album, access } = await family();
  await using _ = log;
  const ref = await log.upload(ben, new TextEncoder().encode("not registered yet"));
  access.recordUploader(ref.id, ben.key, log.time);
  assert.equal(access.isUploader(ref.id, ben.key), true);
  assert.equal(access.canRead(ref.id, ben.key), true);
  // Not even the owner of the album it is meant for, nor someone who learned its id.
  assert.equal(access.canRead(ref.id, ann.key), false);
  assert.equal(access.canRead(ref.id, dan.key), false);
  assert.equal(access.canRead("ee".repeat(32), ben.key), false, "a blob nobody uploaded");
  // Once a photo names it, the album decides: Ben still reads it, as a contributor.
  log.put(ben, "photo", randomId(), log.photoBody(album, ben, [ref, ref, ref]));
  assert.equal(access.canRead(ref.id, ann.key), true);
  assert.equal(access.canRead(ref.id, ben.key), true);
});

Deno.test("BlobAccess: an un-shared viewer and a removed member lose the blobs they could read", async () => {
  const { log, ann, ben, cat, album, access } = await family();
  await using _ = log;
  const { body } = await log.photo(album, ann);
  assert.equal(access.canRead(body.original.id, cat.key), true);
  log.grant(ann, album, cat, "viewer", true);
  for (const blob of ids(body)) assert.equal(access.canRead(blob, cat.key), false, "un-shared");
  // Ben keeps his grant, but is no longer in the family.
  assert.equal(access.canRead(body.original.id, ben.key), true);
  log.setMember(ben, { removed: true });
  for (const blob of ids(body)) assert.equal(access.canRead(blob, ben.key), false, "removed");
  assert.equal(access.canRead(body.original.id, ann.key), true);
});

Deno.test("BlobAccess: a deleted photo's blobs are read by nobody, not even their uploader", async () => {
  const { log, ann, ben, album, access } = await family();
  await using _ = log;
  const { id, body } = await log.photo(album, ben);
  access.recordUploader(body.original.id, ben.key, log.time);
  log.deletePhoto(ben, album, id);
  for (const blob of ids(body)) {
    assert.equal(access.canRead(blob, ann.key), false, "the owner");
    assert.equal(access.canRead(blob, ben.key), false, "the uploader");
  }
  assert.equal(access.photosWithBlob(body.original.id).length, 1, "the record stays");
});

Deno.test("BlobAccess: a purged album's blobs are read by nobody; a trashed one's still are", async () => {
  const { log, ann, cat, album, access } = await family();
  await using _ = log;
  const { body } = await log.photo(album, ann);
  log.trashAlbum(ann, album);
  assert.equal(access.canRead(body.original.id, cat.key), true, "in the trash, restorable");
  log.time += TRASH_DAYS * DAY + 1;
  assert.equal(access.canRead(body.original.id, ann.key), false);
  assert.equal(access.canRead(body.original.id, cat.key), false);
});

Deno.test("BlobAccess: a blob named by photos in two albums is read through either live one", async () => {
  const { log, ann, ben, cat, dan, album, access } = await family();
  await using _ = log;
  const { id, body } = await log.photo(album, ann);
  const other = log.album(ann);
  log.grant(ann, other, dan, "viewer");
  log.put(ann, "photo", randomId(), log.photoBody(other, ann, [body.original, null, body.meta]));
  assert.equal(access.canRead(body.original.id, dan.key), true);
  assert.equal(access.canRead(body.thumb!.id, dan.key), false, "only what the photo names");
  log.deletePhoto(ann, album, id);
  assert.equal(access.canRead(body.original.id, dan.key), true, "the other photo is live");
  assert.equal(access.canRead(body.original.id, cat.key), false, "hers was deleted");
  assert.equal(access.canRead(body.original.id, ben.key), false);
});

Deno.test("BlobAccess: nobody gains a read by naming someone else's blob in her own album", async () => {
  const { log, ann, dan, access } = await family();
  await using _ = log;
  const anns = await log.upload(ann, new TextEncoder().encode("Ann's, not registered yet"));
  access.recordUploader(anns.id, ann.key, log.time);
  // Dan learned the blob's id and size (and even Ann's receipt) and owns an album of his own.
  const his = log.album(dan);
  const own = await log.upload(dan, new TextEncoder().encode("Dan's metadata"));
  const forged = { ...anns, receipt: await log.receipt(dan, anns.id, 1) };
  for (const ref of [anns, { id: anns.id, size: anns.size }, forged]) {
    assert.throws(
      () => log.put(dan, "photo", randomId(), log.photoBody(his, dan, [ref, null, own])),
      (e) => e instanceof ForbiddenError && /upload receipt/.test(e.message),
    );
  }
  assert.equal(access.photosWithBlob(anns.id).length, 0);
  assert.equal(access.canRead(anns.id, dan.key), false);
  assert.equal(access.canRead(anns.id, ann.key), true, "and Ann keeps her read");
});
