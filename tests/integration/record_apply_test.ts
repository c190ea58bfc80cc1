import assert from "node:assert/strict";
import { recordHash, toBase64Url } from "../../lib/crypto/mod.ts";
import { setupFamily, signed } from "../_support/family.ts";
import { makeTestApp } from "../_support/test_app.ts";
import { newNodeSigner } from "../_support/peer_fixture.ts";
import { applyFromPeer, applyWithRetry } from "../../lib/replication/record_apply.ts";

/**
 * Oak's log: the family, Alice (its founder), then a node Alice approved. With
 * `stale`, the node record follows only the family record — as if Alice's device
 * had not yet heard of her own member record — so nothing it follows makes it
 * acceptable: no node stores it, and it comes last in the feed returned.
 */
async function oakLog(stale = false) {
  const oak = await makeTestApp();
  const alice = await setupFamily(oak, "River", { nodeRecord: false });
  const node = await newNodeSigner();
  const family = oak.records.feed(0).records[0];
  const record = signed(
    oak,
    alice,
    "node",
    node.nodeId,
    {
      publicKey: toBase64Url(node.publicKey),
      name: "Pine",
      removed: false,
    },
    undefined,
    stale ? [recordHash(family)] : undefined,
  );
  if (stale) {
    // Oak's API judges it on what it follows too: Alice is no admin there.
    assert.throws(() => oak.records.apply([record], { via: "api" }), /only an admin/);
    return { oak, feed: [...oak.records.feed(0).records, record] };
  }
  oak.records.apply([record], { via: "api" });
  const feed = oak.records.feed(0).records;
  assert.deepEqual(feed.map((r) => r.kind), ["family", "member", "family_key", "node"]);
  return { oak, feed };
}

const parkedCount = (t: { db: { db: { prepare(s: string): { get(): unknown } } } }) =>
  (t.db.db.prepare("SELECT count(*) AS n FROM parked_records").get() as { n: number }).n;

Deno.test("A whole feed applies in one go, in any order of batches within it", async () => {
  const { oak, feed } = await oakLog();
  await using pine = await makeTestApp();
  const out = applyWithRetry(pine.records, [...feed].reverse(), { via: "peer", nodeId: "OAK" });
  assert.equal(out.stored, 4);
  assert.deepEqual(out.refused, []);
  assert.equal(pine.records.list("node").length, 1);
  await oak[Symbol.asyncDispose]();
});

Deno.test("A record that follows records still on their way is parked and applied once they arrive", async () => {
  const { oak, feed } = await oakLog();
  await using pine = await makeTestApp();
  const [family, member, familyKey, node] = feed;
  const first = applyFromPeer(pine.db, pine.records, [family, node], "OAK", Date.now());
  assert.equal(first.stored, 1);
  assert.equal(first.refused.length, 1);
  assert.match(first.refused[0].error.message, /does not have yet/);
  assert.equal(parkedCount(pine), 1);
  applyFromPeer(pine.db, pine.records, [member, familyKey], "CEDAR", Date.now());
  assert.equal(pine.records.list("node").length, 1, "the parked node record was retried");
  assert.equal(parkedCount(pine), 0);
  await oak[Symbol.asyncDispose]();
});

Deno.test("A record whose author had no right among what it follows stays refused when the right arrives", async () => {
  const { oak, feed } = await oakLog(true);
  await using pine = await makeTestApp();
  const [family, member, , node] = feed;
  // The node record follows only the family record: among what it follows, Alice is no
  // admin. A record is judged on what it follows, so that the verdict is the same on every
  // node whatever else arrived first (tests/integration/record_convergence_test.ts).
  const first = applyFromPeer(pine.db, pine.records, [family, node], "OAK", Date.now());
  assert.equal(first.refused.length, 1);
  assert.match(first.refused[0].error.message, /only an admin/);
  applyFromPeer(pine.db, pine.records, [member], "OAK", Date.now());
  assert.equal(pine.records.list("node").length, 0, "her member record does not make it valid");
  // The same verdict when her member record arrives first.
  await using cedar = await makeTestApp();
  const late = applyFromPeer(cedar.db, cedar.records, [family, member, node], "OAK", Date.now());
  assert.equal(late.refused.length, 1);
  assert.match(late.refused[0].error.message, /only an admin/);
  await oak[Symbol.asyncDispose]();
});

Deno.test("A record with a bad signature is refused and never parked", async () => {
  const { oak, feed } = await oakLog();
  await using pine = await makeTestApp();
  // Alice's record with its role changed by someone else: its signature no longer matches.
  const forged = { ...feed[1], body: { ...(feed[1].body as object), role: "member" } };
  const out = applyFromPeer(pine.db, pine.records, [feed[0], forged], "OAK", Date.now());
  assert.equal(out.refused.length, 1);
  assert.match(out.refused[0].error.message, /signature/);
  assert.equal(parkedCount(pine), 0);
  await oak[Symbol.asyncDispose]();
});
