import assert from "node:assert/strict";
import { toBase64Url } from "../crypto/mod.ts";
import { setupFamily, signed } from "../../tests/_support/family.ts";
import { makeTestApp } from "../../tests/_support/test_app.ts";
import { newNodeSigner } from "../web/internal/_testing.ts";
import { applyFromPeer, applyWithRetry } from "./record_apply.ts";

/** Oak's feed after Alice added a node and then renamed herself: the node comes first. */
async function reorderedFeed() {
  const oak = await makeTestApp();
  const alice = await setupFamily(oak, "River", { nodeRecord: false });
  const node = await newNodeSigner();
  oak.records.apply([signed(oak, alice, "node", node.nodeId, {
    publicKey: toBase64Url(node.publicKey),
    name: "Pine",
    removed: false,
  })], { via: "api" });
  oak.records.apply([signed(oak, alice, "member", alice.key, {
    x25519: alice.x25519,
    name: "Alice River",
    role: "admin",
    removed: false,
  })], { via: "api" });
  const feed = oak.records.feed(0).records;
  assert.deepEqual(feed.map((r) => r.kind), ["family", "node", "member"]);
  return { oak, feed };
}

Deno.test("Records that arrive before what authorizes them are applied once it arrives", async () => {
  const { oak, feed } = await reorderedFeed();
  await using pine = await makeTestApp();
  const out = applyWithRetry(pine.records, feed, { via: "peer", nodeId: "OAK" });
  assert.equal(out.stored, 3);
  assert.deepEqual(out.refused, []);
  assert.equal(pine.records.list("node").length, 1);
  await oak[Symbol.asyncDispose]();
});

Deno.test("A record refused for want of authorization is parked and applied by a later batch", async () => {
  const { oak, feed } = await reorderedFeed();
  await using pine = await makeTestApp();
  const [family, node, member] = feed;
  const first = applyFromPeer(pine.db, pine.records, [family, node], "OAK", Date.now());
  assert.equal(first.stored, 1);
  assert.equal(first.refused.length, 1);
  assert.equal(pine.records.list("node").length, 0);
  applyFromPeer(pine.db, pine.records, [member], "OAK", Date.now());
  assert.equal(pine.records.list("node").length, 1, "the parked node record was retried");
  const parked = pine.db.db.prepare("SELECT count(*) AS n FROM parked_records").get() as {
    n: number;
  };
  assert.equal(parked.n, 0);
  await oak[Symbol.asyncDispose]();
});

Deno.test("A record with a bad signature is refused and never parked", async () => {
  const { oak, feed } = await reorderedFeed();
  await using pine = await makeTestApp();
  const forged = {
    ...feed[2],
    body: { ...(feed[2].body as object), role: "admin", name: "Mallory" },
  };
  const out = applyFromPeer(pine.db, pine.records, [feed[0], forged], "OAK", Date.now());
  assert.equal(out.refused.length, 1);
  assert.match(out.refused[0].error.message, /signature/);
  const parked = pine.db.db.prepare("SELECT count(*) AS n FROM parked_records").get() as {
    n: number;
  };
  assert.equal(parked.n, 0);
  await oak[Symbol.asyncDispose]();
});
