import assert from "node:assert/strict";
import { authed, inviteAndJoin, json, setupFamily } from "../../../tests/_support/family.ts";
import { makeTestApp } from "../../../tests/_support/test_app.ts";
import { addPhoto, createAlbum } from "../../../tests/_support/vault.ts";

Deno.test("Every /v1 answer carrying personal data says Cache-Control: no-store, errors included", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  await inviteAndJoin(t, alice, "Bob");
  const album = await createAlbum(t, alice);
  const photo = await addPhoto(t, album, alice);
  const req = authed(t, alice);
  const answers: [string, Response][] = [
    ["session", await req("/v1/session")],
    ["members", await req("/v1/members")],
    ["invites", await req("/v1/invites")],
    ["albums", await req("/v1/albums")],
    ["album", await req(`/v1/albums/${album.id}`)],
    ["photos", await req(`/v1/albums/${album.id}/photos`)],
    ["photo", await req(`/v1/photos/${photo.id}`)],
    ["nodes", await req("/v1/nodes")],
    ["replication", await req("/v1/replication/status")],
    ["challenge", await json(t, "/v1/auth/challenge", { body: {} })],
    ["records", await json(t, "/v1/records", { body: { records: [{}] }, cookie: alice.cookie })],
    ["signed out", await json(t, "/v1/session")],
    ["unknown route", await req("/v1/nothing-here")],
  ];
  for (const [what, res] of answers) {
    assert.equal(res.headers.get("cache-control"), "no-store", `${what} (HTTP ${res.status})`);
    await res.body?.cancel();
  }
  // Blobs are ciphertext under a content address: cached privately, on purpose.
  const blob = await req(`/v1/blobs/${photo.original}`);
  assert.equal(blob.status, 200);
  assert.equal(blob.headers.get("cache-control"), "private, max-age=31536000, immutable");
  await blob.body?.cancel();
});
