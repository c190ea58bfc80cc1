import assert from "node:assert/strict";
import { toBase64Url } from "../../lib/crypto/mod.ts";
import { inviteAndJoin, setupFamily, signed } from "../_support/family.ts";
import { makeTestApp } from "../_support/test_app.ts";
import { newNodeSigner } from "../_support/node_signer.ts";
import {
  activeNodes,
  decodeJoinCode,
  encodeJoinCode,
  nodeIdOfKey,
} from "../../lib/core/node_kinds.ts";

Deno.test("An admin adds, renames and removes a node; the family's nodes follow", async () => {
  await using t = await makeTestApp();
  const admin = await setupFamily(t, "River", { nodeRecord: false });
  const node = await newNodeSigner();
  const body = { publicKey: toBase64Url(node.publicKey), name: "Pine", removed: false };
  t.records.apply([signed(t, admin, "node", node.nodeId, body)], { via: "api" });
  assert.deepEqual(activeNodes(t.records).map((n) => n.body.name), ["Pine"]);
  t.records.apply([signed(t, admin, "node", node.nodeId, { ...body, name: "Pine (NAS)" })], {
    via: "api",
  });
  assert.equal(activeNodes(t.records)[0].body.name, "Pine (NAS)");
  t.records.apply([signed(t, admin, "node", node.nodeId, { ...body, removed: true })], {
    via: "api",
  });
  assert.deepEqual(activeNodes(t.records), []);
});

Deno.test("A member who is not an admin cannot add a node", async () => {
  await using t = await makeTestApp();
  const admin = await setupFamily(t, "River", { nodeRecord: false });
  const bob = await inviteAndJoin(t, admin, "Bob");
  const node = await newNodeSigner();
  const record = signed(t, bob, "node", node.nodeId, {
    publicKey: toBase64Url(node.publicKey),
    name: "Bob's laptop",
    removed: false,
  });
  assert.throws(() => t.records.apply([record], { via: "api" }), /only an admin/);
  assert.deepEqual(activeNodes(t.records), []);
});

Deno.test("A node record must carry the key its id is made from, and the key never changes", async () => {
  await using t = await makeTestApp();
  const admin = await setupFamily(t);
  const a = await newNodeSigner();
  const b = await newNodeSigner();
  const mismatched = signed(t, admin, "node", a.nodeId, {
    publicKey: toBase64Url(b.publicKey),
    name: "Oak",
    removed: false,
  });
  assert.throws(() => t.records.apply([mismatched], { via: "api" }), /node id of its public key/);
  assert.throws(
    () =>
      t.records.apply([signed(t, admin, "node", a.nodeId, {
        publicKey: toBase64Url(a.publicKey),
        name: "Oak",
        removed: false,
        url: "http://oak.example/photos",
      })], { via: "api" }),
    /http\(s\) origin/,
  );
  assert.equal(nodeIdOfKey(toBase64Url(a.publicKey)), a.nodeId);
});

Deno.test("A node record with a small-order key is refused: anyone could sign as such a node", async () => {
  await using t = await makeTestApp();
  const admin = await setupFamily(t);
  const identity = new Uint8Array(32);
  identity[0] = 1; // the neutral point: R = identity, S = 0 "verifies" every message for it
  const weak = toBase64Url(identity);
  const record = signed(t, admin, "node", nodeIdOfKey(weak), {
    publicKey: weak,
    name: "Stranger",
    removed: false,
  });
  assert.throws(() => t.records.apply([record], { via: "api" }), /small order/);
});

Deno.test("A join code round-trips, and a damaged or forged one is refused with a reason", async () => {
  const n = await newNodeSigner();
  const join = {
    v: 1 as const,
    nodeId: n.nodeId,
    publicKey: toBase64Url(n.publicKey),
    url: "http://127.0.0.1:8421",
    code: "ABCDEFGHJKMN",
  };
  const text = encodeJoinCode(join);
  assert.match(text, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeJoinCode(` ${text.slice(0, 20)}\n${text.slice(20)} `), join);
  assert.throws(() => decodeJoinCode("hello"), /not a join code/);
  const other = await newNodeSigner();
  const forged = encodeJoinCode({ ...join, publicKey: toBase64Url(other.publicKey) });
  assert.throws(() => decodeJoinCode(forged), /does not match its key/);
  const noCode = encodeJoinCode({ ...join, code: "" });
  assert.throws(() => decodeJoinCode(noCode), /damaged/);
});
