import assert from "node:assert/strict";
import {
  authed,
  inviteAndJoin,
  json,
  setupFamily,
  signed,
  signIn,
  type TestMember,
} from "../../../tests/_support/family.ts";
import { makeTestApp, type TestApp } from "../../../tests/_support/test_app.ts";
import {
  addPhoto,
  createAlbum,
  grantRecord,
  makePhoto,
  share,
  type TestAlbum,
} from "../../../tests/_support/vault.ts";

async function post(t: TestApp, who: TestMember, records: unknown[]) {
  return await json(t, "/v1/records", { body: { records }, cookie: who.cookie });
}

async function family(t: TestApp) {
  const owner = await setupFamily(t);
  const contributor = await inviteAndJoin(t, owner, "Carol");
  const viewer = await inviteAndJoin(t, owner, "Victor");
  const outsider = await inviteAndJoin(t, owner, "Olga");
  const album = await createAlbum(t, owner);
  await share(t, album, contributor, "contributor");
  await share(t, album, viewer, "viewer");
  return { owner, contributor, viewer, outsider, album };
}

function albumVersion(t: TestApp, album: TestAlbum, change: Record<string, unknown>) {
  const current = t.records.get<Record<string, unknown>>("album", album.id)!;
  return signed(t, album.owner, "album", album.id, { ...current.body, ...change });
}

Deno.test("Albums are listed only for their owner and grantees, with the caller's wrapped key", async () => {
  await using t = await makeTestApp();
  const { owner, viewer, outsider, album } = await family(t);
  for (const [who, role] of [[owner, "owner"], [viewer, "viewer"]] as const) {
    const list = await (await json(t, "/v1/albums", { cookie: who.cookie })).json();
    assert.equal(list.albums.length, 1);
    assert.equal(list.albums[0].id, album.id);
    assert.equal(list.albums[0].role, role);
    assert.match(list.albums[0].grant.wrapped, /^[A-Za-z0-9_-]+$/);
  }
  assert.deepEqual(
    (await (await json(t, "/v1/albums", { cookie: outsider.cookie })).json()).albums,
    [],
  );
  assert.equal((await json(t, `/v1/albums/${album.id}`, { cookie: outsider.cookie })).status, 404);
  assert.equal((await json(t, `/v1/albums/../../etc`, { cookie: owner.cookie })).status, 404);
});

Deno.test("A photo pointing at a missing blob is refused with a clear error and nothing is stored", async () => {
  await using t = await makeTestApp();
  const { owner, album } = await family(t);
  const photo = await makePhoto(t, album, owner);
  const body = {
    ...(photo.record.body as Record<string, unknown>),
    original: { id: "e".repeat(64), size: 10 },
  };
  const forged = signed(t, owner, "photo", photo.id, body);
  const res = await json(t, "/v1/photos", { body: { records: [forged] }, cookie: owner.cookie });
  assert.equal(res.status, 403);
  assert.match((await res.json()).error.message, /original blob carries no upload receipt/);
  // Her own upload, taken by another node and not here yet: she is told to wait or upload.
  const fresh = await makePhoto(t, album, owner, 2);
  await t.blobs.delete(fresh.original);
  const early = await json(t, "/v1/photos", {
    body: { records: [fresh.record] },
    cookie: owner.cookie,
  });
  assert.equal(early.status, 400);
  assert.match(
    (await early.json()).error.message,
    /original blob has not reached this node yet; upload it here, or wait/,
  );
  assert.equal(t.records.get("photo", photo.id), undefined);
  assert.equal(t.records.get("photo", fresh.id), undefined);
});

Deno.test("Only the owner shares: a grant signed by anyone else is refused", async () => {
  await using t = await makeTestApp();
  const { contributor, outsider, album } = await family(t);
  const rogue = { ...album, owner: contributor };
  const res = await post(t, contributor, [await grantRecord(t, rogue, outsider, "viewer")]);
  assert.equal(res.status, 403);
  assert.match((await res.json()).error.message, /only the album's owner shares it/);
});

Deno.test("Un-sharing starts a new key epoch; the un-shared member loses the album and its blobs", async () => {
  await using t = await makeTestApp();
  const { owner, viewer, album } = await family(t);
  const photo = await addPhoto(t, album, owner);
  assert.equal((await authed(t, viewer)(`/v1/blobs/${photo.original}`)).status, 200);
  const revoke = await grantRecord(t, album, viewer, "viewer", true);
  const next = albumVersion(t, album, { epoch: 1 });
  assert.equal((await post(t, owner, [next, revoke])).status, 200);
  assert.equal((await json(t, `/v1/albums/${album.id}`, { cookie: viewer.cookie })).status, 404);
  assert.equal((await authed(t, viewer)(`/v1/blobs/${photo.original}`)).status, 404);
  // New photos must use the new epoch; a grant at the old epoch is refused.
  const stale = await makePhoto(t, album, owner, 2);
  const refused = await json(t, "/v1/photos", {
    body: { records: [stale.record] },
    cookie: owner.cookie,
  });
  assert.equal(refused.status, 403);
  assert.match((await refused.json()).error.message, /current key \(epoch 1\)/);
  // Epochs advance one at a time.
  assert.equal((await post(t, owner, [albumVersion(t, album, { epoch: 3 })])).status, 403);
});

Deno.test("Trash is restorable for 30 days, then the album is purged on every read", async () => {
  await using t = await makeTestApp();
  const { owner, viewer, album } = await family(t);
  const photo = await addPhoto(t, album, owner);
  assert.equal(
    (await post(t, owner, [albumVersion(t, album, { trashedAt: t.records.now() })])).status,
    200,
  );
  const listed = (await (await json(t, "/v1/albums", { cookie: owner.cookie })).json()).albums[0];
  assert.ok(listed.trashedAt);
  const more = await makePhoto(t, album, owner, 3);
  assert.equal(
    (await json(t, "/v1/photos", { body: { records: [more.record] }, cookie: owner.cookie }))
      .status,
    403,
  );
  assert.equal((await post(t, owner, [albumVersion(t, album, { trashedAt: null })])).status, 200);
  assert.equal(
    (await post(t, owner, [albumVersion(t, album, { trashedAt: t.records.now() })])).status,
    200,
  );
  t.advance(31 * 24 * 3600_000);
  for (const who of [owner, viewer]) {
    await signIn(t, who); // a month later the sessions have expired too
    assert.deepEqual(
      (await (await json(t, "/v1/albums", { cookie: who.cookie })).json()).albums,
      [],
    );
    assert.equal((await authed(t, who)(`/v1/blobs/${photo.thumb}`)).status, 404);
  }
  assert.equal(t.records.list("album").length, 1, "the record stays, read-only");
  const revive = await post(t, owner, [albumVersion(t, album, { trashedAt: null })]);
  assert.equal(revive.status, 403);
  assert.match((await revive.json()).error.message, /deleted for good/);
});

Deno.test("Deleting a photo: its uploader or the owner may; a viewer may not; the id cannot come back", async () => {
  await using t = await makeTestApp();
  const { owner, contributor, viewer, album } = await family(t);
  const mine = await addPhoto(t, album, contributor, 5);
  const tomb = (who: TestMember) =>
    signed(t, who, "tombstone", `photo.${mine.id}`, {
      kind: "photo",
      target: mine.id,
      album: album.id,
    });
  assert.equal((await post(t, viewer, [tomb(viewer)])).status, 403);
  assert.equal((await post(t, contributor, [tomb(contributor)])).status, 200);
  assert.equal((await authed(t, owner)(`/v1/blobs/${mine.original}`)).status, 404);
  const page = await (await json(t, `/v1/albums/${album.id}/photos`, { cookie: owner.cookie }))
    .json();
  assert.deepEqual(page.photos, []);
  // Sending the photo again changes nothing: the deletion stands.
  await json(t, "/v1/photos", { body: { records: [mine.record] }, cookie: contributor.cookie });
  const after = await (await json(t, `/v1/albums/${album.id}/photos`, { cookie: owner.cookie }))
    .json();
  assert.deepEqual(after.photos, []);
});

Deno.test("An album's photo count follows photos added and deleted", async () => {
  await using t = await makeTestApp();
  const { owner, contributor, album } = await family(t);
  const count = async () =>
    (await (await json(t, `/v1/albums/${album.id}`, { cookie: owner.cookie })).json()).album
      .photoCount;
  assert.equal(await count(), 0);
  const first = await addPhoto(t, album, contributor, 1);
  assert.equal(await count(), 1);
  await addPhoto(t, album, owner, 2);
  assert.equal(await count(), 2);
  const tomb = signed(t, owner, "tombstone", `photo.${first.id}`, {
    kind: "photo",
    target: first.id,
    album: album.id,
  });
  assert.equal((await post(t, owner, [tomb])).status, 200);
  assert.equal(await count(), 1);
  const listed = await (await json(t, "/v1/albums", { cookie: owner.cookie })).json();
  assert.equal(listed.albums[0].photoCount, 1);
});

Deno.test("A re-wrapped photo is accepted on a node still fetching its blobs; new blobs are not", async () => {
  await using t = await makeTestApp();
  const { owner, album } = await family(t);
  const photo = await addPhoto(t, album, owner, 3);
  // This node lost (or has not yet fetched) the photo's blobs.
  for (const id of [photo.original, photo.thumb, photo.meta]) await t.blobs.delete(id);
  const body = photo.record.body as Record<string, unknown>;
  const rewrapped = signed(t, owner, "photo", photo.id, { ...body, key: body.sort });
  const res = await json(t, "/v1/photos", { body: { records: [rewrapped] }, cookie: owner.cookie });
  assert.equal(res.status, 201, await res.clone().text());
  assert.equal(t.records.get<{ key: string }>("photo", photo.id)!.body.key, body.sort);
  // A version pointing at other bytes still needs them here first.
  const moved = signed(t, owner, "photo", photo.id, {
    ...body,
    original: { id: "e".repeat(64), size: 10 },
  });
  const refused = await json(t, "/v1/photos", {
    body: { records: [moved] },
    cookie: owner.cookie,
  });
  assert.equal(refused.status, 403);
  assert.match((await refused.json()).error.message, /original blob carries no upload receipt/);
});

Deno.test("Writes to an album the caller cannot see answer exactly as for one that does not exist", async () => {
  await using t = await makeTestApp();
  const { owner, outsider, album: hidden } = await family(t);
  const hiddenPhoto = await addPhoto(t, hidden, owner, 1);
  const purged = await createAlbum(t, owner, "Old");
  const purgedPhoto = await addPhoto(t, purged, owner, 2);
  const trash = albumVersion(t, purged, { trashedAt: t.records.now() });
  assert.equal((await post(t, owner, [trash])).status, 200);
  t.advance(31 * 24 * 3600_000);
  await signIn(t, outsider); // a month later her session has expired
  const unknown = { ...hidden, id: "A".repeat(22) };
  const photoId = "P".repeat(22);

  // Each attempt is the same write, aimed at a different album; only the album id differs.
  const attempts = async (target: TestAlbum, victim: { id: string }) => {
    const photo = await makePhoto(t, { ...target, owner: outsider }, outsider, 9);
    const photoRecord = signed(t, outsider, "photo", photoId, photo.record.body);
    const grant = await grantRecord(t, { ...target, owner: outsider }, outsider, "viewer");
    const tomb = signed(t, outsider, "tombstone", `photo.${victim.id}`, {
      kind: "photo",
      target: victim.id,
      album: target.id,
    });
    const answers: string[] = [];
    for (
      const [route, rec] of [["/v1/photos", photoRecord], ["/v1/records", photoRecord], [
        "/v1/records",
        grant,
      ], ["/v1/records", tomb]] as const
    ) {
      const res = await json(t, route, { body: { records: [rec] }, cookie: outsider.cookie });
      const text = (await res.text()).replaceAll(target.id, "<album>").replaceAll(victim.id, "<p>");
      answers.push(`${res.status} ${text}`);
    }
    return answers;
  };
  const asUnknown = await attempts(unknown, hiddenPhoto);
  assert.deepEqual(await attempts(hidden, hiddenPhoto), asUnknown, "hidden album");
  assert.deepEqual(
    await attempts(purged, { id: hiddenPhoto.id }),
    asUnknown,
    "purged album",
  );
  // The victim photo of the purged album is no different either.
  assert.deepEqual((await attempts(purged, purgedPhoto)).slice(3), asUnknown.slice(3));
  for (const answer of asUnknown) assert.match(answer, /^403 /);
  assert.equal(t.records.get("photo", photoId), undefined);
});
