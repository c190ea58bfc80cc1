/**
 * A node that was offline, or is paired later, receives the family log long after
 * the changes it records: an album re-keyed after an un-share, a photo whose
 * contributor lost access, an album trashed, a member removed, an admin demoted.
 * It must still end up holding what every other node holds — and still refuse
 * what nobody with the right signed (P3 of issue #10).
 */

import assert from "node:assert/strict";
import { toBase64Url } from "../../lib/crypto/mod.ts";
import { inviteAndJoin, json, memberRecord, setupFamily, signed } from "../_support/family.ts";
import { makeTestApp, type TestApp } from "../_support/test_app.ts";
import {
  addPhoto,
  albumRecord,
  createAlbum,
  current,
  makePhoto,
  post,
  share,
  unshare,
} from "../_support/vault.ts";
import { newNodeSigner } from "../_support/peer_fixture.ts";
import { applyWithRetry } from "../../lib/replication/record_apply.ts";

const PEER = { via: "peer" as const, nodeId: "OAK" };

/** Oak's whole feed into a fresh node; every record must be stored, none refused. */
async function replayOnFreshNode(oak: TestApp): Promise<TestApp> {
  const pine = await makeTestApp();
  const feed = oak.records.feed(0, 10_000).records;
  const out = applyWithRetry(pine.records, feed, PEER);
  assert.deepEqual(out.refused.map((r) => String(r.error)), []);
  const keys = (t: TestApp) =>
    t.records.feed(0, 10_000).records.map((r) => `${r.kind}/${r.id}/${r.sig}`).sort();
  assert.deepEqual(keys(pine), keys(oak), "the fresh node holds exactly what Oak holds");
  return pine;
}

Deno.test("A fresh node replays an album re-keyed twice, whose contributor lost access", async () => {
  await using oak = await makeTestApp();
  const owner = await setupFamily(oak);
  const carol = await inviteAndJoin(oak, owner, "Carol");
  const victor = await inviteAndJoin(oak, owner, "Victor");
  const album = await createAlbum(oak, owner);
  await share(oak, album, carol, "contributor");
  await share(oak, album, victor, "viewer");
  const carols = await addPhoto(oak, album, carol, 1);
  const deleted = await addPhoto(oak, album, carol, 2);
  // Carol deletes one of hers, then loses access; Victor too, an epoch later.
  await post(oak, carol, [
    signed(oak, carol, "tombstone", `photo.${deleted.id}`, {
      kind: "photo",
      target: deleted.id,
      album: album.id,
    }),
  ]);
  await unshare(oak, album, carol, "contributor");
  await unshare(oak, album, victor, "viewer");
  // Renamed and trashed afterwards.
  await post(oak, owner, [
    signed(oak, owner, "album", album.id, {
      ...current(oak, "album", album.id),
      meta: toBase64Url(crypto.getRandomValues(new Uint8Array(64))),
      trashedAt: oak.records.now(),
    }),
  ]);
  await using pine = await replayOnFreshNode(oak);
  assert.equal(pine.records.get<{ epoch: number }>("album", album.id)!.body.epoch, 2);
  assert.equal(pine.records.get<{ epoch: number }>("photo", carols.id)!.body.epoch, 2);
  assert.ok(pine.records.get("tombstone", `photo.${deleted.id}`));
});

Deno.test("A fresh node replays what a removed member and a demoted admin signed before", async () => {
  await using oak = await makeTestApp();
  const alice = await setupFamily(oak);
  const bob = await inviteAndJoin(oak, alice, "Bob", "admin");
  // Bob, an admin, approves a node and invites Dora, who joins; Bob makes an album.
  const node = await newNodeSigner();
  await post(oak, bob, [
    signed(oak, bob, "node", node.nodeId, {
      publicKey: toBase64Url(node.publicKey),
      name: "Pine",
      removed: false,
    }),
  ]);
  const dora = await inviteAndJoin(oak, bob, "Dora");
  const album = await createAlbum(oak, bob);
  await addPhoto(oak, album, bob, 1);
  // Alice demotes Bob, then removes him.
  const bobNow = () => oak.records.get<Record<string, unknown>>("member", bob.key)!.body;
  await post(oak, alice, [memberRecord(oak, alice, bob, { ...bobNow(), role: "member" })]);
  await post(oak, alice, [memberRecord(oak, alice, bob, { ...bobNow(), removed: true })]);
  await using pine = await replayOnFreshNode(oak);
  assert.ok(pine.records.get("node", node.nodeId));
  assert.ok(pine.records.get("member", dora.key));
  assert.equal(pine.records.find("photo", "album", album.id).length, 1);

  // What Bob signs now, stamped after his removal, is refused from a peer too.
  const rogue = await newNodeSigner();
  const late = [
    signed(oak, bob, "node", rogue.nodeId, {
      publicKey: toBase64Url(rogue.publicKey),
      name: "Rogue",
      removed: false,
    }),
  ];
  assert.throws(() => pine.records.apply(late, PEER), /only an admin/);
  const album2 = albumRecord(oak, bob, "AAAAAAAAAAAAAAAAAAAAAA", 0);
  assert.throws(() => pine.records.apply([album2], PEER), /only family members/);
  // And a stranger's key is refused whatever it claims.
  await using cedar = await makeTestApp();
  const stranger = await setupFamily(cedar, "Elsewhere");
  const foreign = albumRecord(oak, stranger, "BBBBBBBBBBBBBBBBBBBBBB", 3);
  assert.throws(() => pine.records.apply([foreign], PEER), /only family members/);
});

Deno.test("From a browser, the present still decides", async () => {
  await using t = await makeTestApp();
  const owner = await setupFamily(t);
  const carol = await inviteAndJoin(t, owner, "Carol");
  const album = await createAlbum(t, owner);
  await share(t, album, carol, "contributor");
  await unshare(t, album, carol, "contributor");
  // Carol, un-shared, cannot add a photo.
  const photo = await makePhoto(t, album, carol, 7);
  const res = await json(t, "/v1/photos", {
    body: { records: [photo.record] },
    cookie: carol.cookie,
  });
  assert.equal(res.status, 403);
  // An album skipping an epoch is refused from a browser.
  const skip = signed(t, owner, "album", album.id, { ...current(t, "album", album.id), epoch: 3 });
  const res2 = await json(t, "/v1/records", { body: { records: [skip] }, cookie: owner.cookie });
  assert.equal(res2.status, 403);
  assert.match((await res2.json()).error.message, /one at a time/);
});
