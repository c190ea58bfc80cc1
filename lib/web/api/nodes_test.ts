import assert from "node:assert/strict";
import { decodeJoinCode } from "../../core/node_kinds.ts";
import { recordHash, toBase64Url } from "../../crypto/mod.ts";
import { issueSetupCode } from "../../vault/setup_code.ts";
import {
  authed,
  founderRecords,
  inviteAndJoin,
  json,
  setupFamily,
  signed,
} from "../../../tests/_support/family.ts";
import { makeTestApp, sha256Hex } from "../../../tests/_support/test_app.ts";
import { peerFixture } from "../../../tests/_support/peer_fixture.ts";

Deno.test("A fresh node gives its join code only for its setup code", async () => {
  await using t = await makeTestApp();
  const code = issueSetupCode(t.db);
  const wrong = await json(t, "/v1/nodes/join-code", { body: { code: "AAAA-BBBB-CCCC" } });
  assert.equal(wrong.status, 401);
  assert.equal((await wrong.json()).error.code, "bad_setup_code");
  const res = await json(t, "/v1/nodes/join-code", { body: { code: code.toLowerCase() } });
  assert.equal(res.status, 200);
  const body = await res.json();
  const join = decodeJoinCode(body.joinCode);
  assert.equal(join.nodeId, t.nodeKey.nodeId);
  assert.equal(join.publicKey, toBase64Url(t.nodeKey.publicKey));
  assert.equal(join.code, code.replace(/-/g, ""));
  assert.equal((await (await json(t, "/v1/nodes/join-status")).json()).joined, false);
  // Once the node has a family it has no join code any more.
  await setupFamily(t);
  const after = await json(t, "/v1/nodes/join-code", { body: { code } });
  assert.equal(after.status, 409);
  assert.equal((await (await json(t, "/v1/nodes/join-status")).json()).joined, true);
});

Deno.test("The founder's setup may include this node's own node record, and nothing else", async () => {
  await using t = await makeTestApp();
  const founder = await setupFamily(t);
  assert.ok(founder.cookie);
  await using u = await makeTestApp();
  const code = issueSetupCode(u.db);
  const foreign = await makeTestApp();
  const [family, me, key] = await founderRecords(u, founder);
  const afterMe = [recordHash(key)];
  const wrongNode = signed(
    u,
    founder,
    "node",
    foreign.nodeKey.nodeId,
    {
      publicKey: toBase64Url(foreign.nodeKey.publicKey),
      name: "Oak",
      removed: false,
    },
    undefined,
    afterMe,
  );
  const refused = await json(u, "/v1/setup", {
    body: { code, records: [family, me, key, wrongNode] },
  });
  assert.equal(refused.status, 403);
  const ownNode = signed(
    u,
    founder,
    "node",
    u.nodeKey.nodeId,
    {
      publicKey: toBase64Url(u.nodeKey.publicKey),
      name: "Oak",
      removed: false,
      url: "http://127.0.0.1:8420",
    },
    undefined,
    afterMe,
  );
  const ok = await json(u, "/v1/setup", { body: { code, records: [family, me, key, ownNode] } });
  assert.equal(ok.status, 201);
  assert.equal(u.records.get("node", u.nodeKey.nodeId)?.author, founder.key);
  await foreign[Symbol.asyncDispose]();
});

Deno.test("Only admins pair nodes, and a join code must be another node's", async () => {
  await using f = await peerFixture();
  const bob = await inviteAndJoin(f.t, f.admin, "Bob");
  await using fresh = await makeTestApp();
  const code = issueSetupCode(fresh.db);
  const { joinCode } = await (await json(fresh, "/v1/nodes/join-code", { body: { code } }))
    .json();
  const join = decodeJoinCode(joinCode);
  const record = signed(f.t, bob, "node", join.nodeId, {
    publicKey: join.publicKey,
    name: "Cedar",
    removed: false,
  });
  const byMember = await json(f.t, "/v1/nodes/peers", {
    body: { joinCode, record },
    cookie: bob.cookie,
  });
  assert.equal(byMember.status, 403);
  const garbage = await json(f.t, "/v1/nodes/peers", {
    body: { joinCode: "not-a-code", record },
    cookie: f.admin.cookie,
  });
  assert.equal(garbage.status, 400);
  assert.equal((await garbage.json()).error.code, "bad_join_code");
  // An admin-signed record for the new node, but the node cannot be reached (no URL here):
  // the approval is stored and the answer says the hand-over failed.
  const good = signed(f.t, f.admin, "node", join.nodeId, {
    publicKey: join.publicKey,
    name: "Cedar",
    removed: false,
  });
  const res = await json(f.t, "/v1/nodes/peers", {
    body: { joinCode, record: good },
    cookie: f.admin.cookie,
  });
  assert.equal(res.status, 502);
  assert.equal((await res.json()).error.code, "pairing_failed");
  assert.ok(f.t.records.get("node", join.nodeId));
});

Deno.test("GET /v1/nodes and /v1/replication/status show this node and its peers", async () => {
  await using f = await peerFixture();
  const req = authed(f.t, f.admin);
  const nodes = await (await req("/v1/nodes")).json();
  assert.equal(nodes.self.nodeId, f.t.nodeKey.nodeId);
  assert.equal(nodes.self.paired, true);
  assert.deepEqual(nodes.peers.map((p: { name: string }) => p.name), ["Pine"]);
  assert.equal(nodes.peers[0].reachable, false);
  const status = await (await req("/v1/replication/status")).json();
  assert.deepEqual(status.backlog, { pending: 0, inFlight: 0, failed: 0, bytes: 0 });
  assert.equal(status.peers[0].path, "none", "no URL: waiting for it to connect");
  assert.equal((await f.t.app.request("/v1/nodes")).status, 401);
});

Deno.test("Where-stored answers only for blobs the member may read", async () => {
  await using f = await peerFixture();
  const req = authed(f.t, f.admin);
  const bytes = Uint8Array.from({ length: 5000 }, (_, i) => i & 255);
  const id = await sha256Hex(bytes);
  assert.equal((await req(`/v1/blobs/${id}`, { method: "PUT", body: bytes })).status, 201);
  // Pine pushes the same blob: now both hold it.
  await f.transport.putBlob(f.target, id, bytes.length, ReadableStream.from([bytes]));
  const where = await (await req(`/v1/blobs/${id}/locations`)).json();
  assert.deepEqual(
    where.nodes.map((n: { self: boolean; state: string }) => [n.self, n.state]),
    [[true, "verified"], [false, "stored"]],
  );
  assert.equal(where.names[f.peer.nodeId], "Pine");
  // The status counts Pine's copy among those to prove, sized for a day at the defaults.
  const { proofs } = await (await req("/v1/replication/status")).json();
  assert.deepEqual(
    [proofs.copies, proofs.unproven, proofs.fresh, proofs.oldestProofAt],
    [1, 1, 0, undefined],
  );
  assert.deepEqual([proofs.intervalMs, proofs.windowMs, proofs.perRound], [60_000, 86_400_000, 1]);
  // Bob may not read Alice's unshared upload: the same 404 as for an unknown blob.
  const bob = await inviteAndJoin(f.t, f.admin, "Bob");
  const asBob = authed(f.t, bob);
  assert.equal((await asBob(`/v1/blobs/${id}/locations`)).status, 404);
  const batch = await (await asBob("/v1/replication/locations", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ blobIds: [id] }),
  })).json();
  assert.deepEqual(batch.blobs, []);
});

Deno.test("GET /v1/events streams the status, then location changes the member may see", async () => {
  await using f = await peerFixture();
  const req = authed(f.t, f.admin);
  const bytes = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 255);
  const id = await sha256Hex(bytes);
  await req(`/v1/blobs/${id}`, { method: "PUT", body: bytes });
  const res = await req("/v1/events");
  assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const reader = res.body!.getReader();
  const read = async () => new TextDecoder().decode((await reader.read()).value);
  assert.match(await read(), /^event: replication\ndata: \{"type":"status"/);
  // A blob nobody may read (no uploader, no photo) and then Alice's: only hers is announced.
  const other = Uint8Array.from({ length: 100 }, (_, i) => i);
  await f.transport.putBlob(f.target, await sha256Hex(other), 100, ReadableStream.from([other]));
  await f.transport.putBlob(f.target, id, bytes.length, ReadableStream.from([bytes]));
  let text = "";
  while (!text.includes(`"blobId":"${id}"`)) text += await read();
  assert.doesNotMatch(text, new RegExp(await sha256Hex(other)));
  assert.match(
    text,
    /event: location\ndata: \{"blobId":"[0-9a-f]{64}","nodeId":"[A-Z2-7-]+","state":"stored"\}/,
  );
  await reader.cancel();
});

Deno.test("The Nodes page lists the peers and, for admins, the pairing form", async () => {
  await using f = await peerFixture();
  const page = await authed(f.t, f.admin)("/nodes", { headers: { accept: "text/html" } });
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<h1>Nodes<\/h1>/);
  assert.match(html, /data-island="NodeList"/);
  assert.match(html, /Pine/);
  assert.match(html, /data-island="PairNode"/);
  const bob = await inviteAndJoin(f.t, f.admin, "Bob");
  const asBob = await (await authed(f.t, bob)("/nodes")).text();
  assert.doesNotMatch(asBob, /data-island="PairNode"/);
  assert.equal((await f.t.app.request("/nodes")).status, 303, "signed out: to sign-in");
});
