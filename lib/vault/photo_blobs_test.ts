// Unit tests of the rule that a photo a browser registers names only blobs that are here and
// that its uploader sent (checkPhotoBlobs). Real signed records in a real SQLite file and a
// real blob store (lib/vault/_family_log.ts); the same through the API in
// lib/web/api/albums_test.ts.

import assert from "node:assert/strict";
import { ForbiddenError, ValidationError } from "../core/errors.ts";
import type { BlobRef } from "../core/album_shapes.ts";
import { checkPhotoBlobs } from "./photo_blobs.ts";
import { FamilyLog, randomId } from "./_family_log.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

async function family() {
  const log = await FamilyLog.open();
  const ann = log.founder;
  const dan = log.member();
  const album = log.album(ann);
  const check = (...records: unknown[]) => checkPhotoBlobs(records, log.blobs, log.records);
  return { log, ann, dan, album, check };
}

Deno.test("checkPhotoBlobs: a photo whose blobs its uploader sent here is let through", async () => {
  const { log, ann, album, check } = await family();
  await using _ = log;
  const [o, m] = [await log.upload(ann, bytes("original")), await log.upload(ann, bytes("meta"))];
  const photo = log.sign(ann, "photo", randomId(), log.photoBody(album, ann, [o, null, m]));
  await check(photo);
  log.records.apply([photo], { via: "api" });
});

Deno.test("checkPhotoBlobs: a blob that has not reached this node is refused, naming which", async () => {
  const { log, ann, album, check } = await family();
  await using _ = log;
  const [o, m] = [await log.upload(ann, bytes("original")), await log.upload(ann, bytes("meta"))];
  // Uploaded to another family node (a receipt from this node's key stands in for it).
  const thumb: BlobRef = {
    id: "cd".repeat(32),
    size: 9,
    receipt: await log.receipt(ann, "cd".repeat(32), 9),
  };
  const fine = log.sign(ann, "photo", randomId(), log.photoBody(album, ann, [o, null, m]));
  const photo = log.sign(ann, "photo", randomId(), log.photoBody(album, ann, [o, thumb, m]));
  await assert.rejects(
    () => check(fine, photo),
    (e) =>
      e instanceof ValidationError &&
      /^Record 1: its thumbnail blob has not reached/.test(e.message),
  );
});

Deno.test("checkPhotoBlobs: someone else's blob is refused before the store is asked, alike whether it is here", async () => {
  const { log, ann, dan, check } = await family();
  await using _ = log;
  const anns = await log.upload(ann, bytes("Ann's original"));
  const his = log.album(dan);
  const own = await log.upload(dan, bytes("Dan's meta"));
  const absent = "ef".repeat(32);
  // Dan names Ann's blob (he learned its id, size and receipt) and one that is nowhere.
  const answers = [];
  for (const ref of [anns, { id: absent, size: anns.size, receipt: anns.receipt }]) {
    const photo = log.sign(dan, "photo", randomId(), log.photoBody(his, dan, [ref, null, own]));
    const err = await check(photo).then(() => undefined, (e) => e);
    assert.ok(err instanceof ForbiddenError, String(err));
    answers.push(err.message.replace(ref.id, "<id>"));
  }
  assert.equal(answers[0], answers[1], "the answer does not tell whether Ann's blob is here");
  assert.match(answers[0], /^Record 0: the upload receipt of its original blob was not given/);
  // Without a receipt: he never sent her bytes, so no node gave him one.
  const { receipt: _receipt, ...bare } = anns;
  const photo = log.sign(dan, "photo", randomId(), log.photoBody(his, dan, [bare, null, own]));
  await assert.rejects(() => check(photo), /carries no upload receipt/);
});

Deno.test("checkPhotoBlobs: a new version keeping its blobs passes while they are still on their way; new blobs do not", async () => {
  const { log, ann, album, check } = await family();
  await using _ = log;
  const { id, body } = await log.photo(album, ann);
  // The blobs left this node (a store being rebuilt, fetching them again from a peer).
  for (const ref of [body.original, body.thumb!, body.meta]) await log.blobs.delete(ref.id);
  const rewrapped = log.sign(ann, "photo", id, { ...body, epoch: 0, key: "cmV3cmFwcGVk" });
  await check(rewrapped);
  // A version that swaps in another blob (of the held thumbnail's size: the id decides too)
  // is checked like a new photo.
  const size = body.thumb!.size;
  const other = {
    id: "ab".repeat(32),
    size,
    receipt: await log.receipt(ann, "ab".repeat(32), size),
  };
  const swapped = log.sign(ann, "photo", id, { ...body, thumb: other });
  await assert.rejects(() => check(swapped), /thumbnail blob has not reached this node/);
  // Same blob id, another size: not the held blob, so checked (the receipt is for the size sent).
  const resized = log.sign(ann, "photo", id, {
    ...body,
    original: { ...body.original, size: body.original.size + 1 },
  });
  await assert.rejects(() => check(resized), ForbiddenError);
});

Deno.test("checkPhotoBlobs: other kinds and malformed photos are left to the record log", async () => {
  const { log, album, check } = await family();
  await using _ = log;
  await check(
    { kind: "album", id: album, body: {} },
    { kind: "photo", id: randomId(), body: { album, original: { id: "nonsense" } } },
    null,
    "text",
  );
});
