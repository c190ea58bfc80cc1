import assert from "node:assert/strict";
import { toBase64Url } from "../../lib/crypto/mod.ts";
import { createKindRegistry } from "../../lib/vault/kinds.ts";
import { inviteAndJoin, setupFamily, signed } from "../_support/family.ts";
import { makeTestApp, type TestApp } from "../_support/test_app.ts";
import { acceptBootstrap, pinnedPeer, TRUST_KINDS } from "../../lib/replication/bootstrap.ts";
import { applyWithRetry } from "../../lib/replication/record_apply.ts";

const party = (t: TestApp) => ({
  nodeId: t.nodeKey.nodeId,
  publicKey: toBase64Url(t.nodeKey.publicKey),
});

function nodeRecordFor(t: TestApp, author: Parameters<typeof signed>[1], subject: TestApp) {
  return signed(t, author, "node", subject.nodeKey.nodeId, {
    publicKey: toBase64Url(subject.nodeKey.publicKey),
    name: "Node",
    removed: false,
  });
}

function trustRecords(t: TestApp) {
  return TRUST_KINDS.flatMap((k) => t.records.list(k));
}

const deps = (t: TestApp) => ({
  db: t.db,
  records: t.records,
  kinds: createKindRegistry(),
  now: Date.now,
});

Deno.test("A fresh node accepts a family whose admin approved it and the sender, then reads its log from it", async () => {
  await using oak = await makeTestApp();
  await using pine = await makeTestApp();
  const alice = await setupFamily(oak);
  oak.records.apply([nodeRecordFor(oak, alice, oak), nodeRecordFor(oak, alice, pine)], {
    via: "api",
  });
  const r = await acceptBootstrap(deps(pine), party(pine), party(oak), trustRecords(oak));
  assert.equal(r.checked, 4);
  assert.equal(r.peer.nodeId, oak.nodeKey.nodeId);
  // Nothing is kept from the bootstrap itself: the log arrives whole, by the feed.
  assert.equal(pine.records.lastSeq(), 0);
  assert.deepEqual(pinnedPeer(pine.db, pine.records)?.nodeId, oak.nodeKey.nodeId);
  await assert.rejects(
    () => acceptBootstrap(deps(pine), party(pine), party(oak), trustRecords(oak)),
    /already belongs/,
  );
  const feed = oak.records.feed(0, 10_000).records;
  assert.deepEqual(applyWithRetry(pine.records, feed, { via: "peer", nodeId: "OAK" }).refused, []);
  assert.equal(pine.records.list("family").length, 1);
  // Once its own log names the node it joined through, the pin is no longer needed.
  assert.equal(pinnedPeer(pine.db, pine.records), undefined);
});

Deno.test("A bootstrap without an admin-signed record for this node is refused and leaves nothing", async () => {
  await using oak = await makeTestApp();
  await using pine = await makeTestApp();
  const alice = await setupFamily(oak);
  const bob = await inviteAndJoin(oak, alice, "Bob");
  oak.records.apply([nodeRecordFor(oak, alice, oak)], { via: "api" });
  // Bob is no admin: his approval of Pine does not count (it is not even stored on Oak).
  const bobs = nodeRecordFor(oak, bob, pine);
  await assert.rejects(
    () =>
      acceptBootstrap(
        deps(pine),
        party(pine),
        party(oak),
        [...trustRecords(oak), bobs],
      ),
    /No admin of that family has approved this node/,
  );
  assert.equal(pine.records.lastSeq(), 0, "nothing stored");
});

Deno.test("A bootstrap from a node the family does not name is refused", async () => {
  await using oak = await makeTestApp();
  await using pine = await makeTestApp();
  await using cedar = await makeTestApp();
  const alice = await setupFamily(oak);
  oak.records.apply([nodeRecordFor(oak, alice, pine)], { via: "api" });
  await assert.rejects(
    () =>
      acceptBootstrap(
        deps(pine),
        party(pine),
        party(cedar),
        trustRecords(oak),
      ),
    /not one of its nodes/,
  );
  assert.equal(pine.records.lastSeq(), 0);
});
