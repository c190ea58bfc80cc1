import assert from "node:assert/strict";
import { toBase64Url } from "../../crypto/mod.ts";
import { blobDigest, contentDigest, signRequest, verifyResponse } from "../../net/signing.ts";
import { randomId, signed } from "../../../tests/_support/family.ts";
import { sha256Hex } from "../../../tests/_support/test_app.ts";
import { newNodeSigner, nodeRecord, peerFixture } from "../../../tests/_support/peer_fixture.ts";

const encoder = new TextEncoder();

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) out.push(...await filesUnder(`${dir}/${e.name}`));
    else out.push(`${dir}/${e.name}`);
  }
  return out;
}

/** A feed page the peer pushes, carrying one new admin-signed invite record. */
function pushBody(f: Awaited<ReturnType<typeof peerFixture>>): string {
  const invite = signed(f.t, f.admin, "invite", randomId(), {
    tokenHash: "ab".repeat(32),
    x25519: toBase64Url(crypto.getRandomValues(new Uint8Array(32))),
    role: "member",
    expiresAt: Date.now() + 3600_000,
    revoked: false,
  });
  return JSON.stringify({
    indexId: "a1b2c3d4e5f60718",
    after: 0,
    lastSeq: 1,
    records: [invite],
    more: false,
  });
}

Deno.test("A correctly signed request is served, and the answer is signed by this node", async () => {
  await using f = await peerFixture();
  const res = await f.send("GET", "/internal/v1/hello?index=a1b2c3d4e5f60718");
  assert.equal(res.status, 200);
  const body = new Uint8Array(await res.arrayBuffer());
  const nonceHeader = res.headers.get("p2pos-node");
  assert.equal(nonceHeader, f.t.nodeKey.nodeId);
  const hello = JSON.parse(new TextDecoder().decode(body));
  assert.equal(hello.nodeId, f.t.nodeKey.nodeId);
  assert.equal(hello.cursor, 0);
  // Through the real client, which checks the response signature.
  const viaClient = await f.transport.hello(f.target, "a1b2c3d4e5f60718");
  assert.equal(viaClient.indexId, hello.indexId);
});

Deno.test("Unsigned node requests get 401 and store nothing", async () => {
  await using f = await peerFixture();
  const before = f.t.records.lastSeq();
  for (const [method, path] of [["GET", "/internal/v1/hello"], ["POST", "/internal/v1/records"]]) {
    const res = await f.t.app.request(`http://node.test${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: method === "POST" ? pushBody(f) : undefined,
    });
    assert.equal(res.status, 401, path);
    assert.equal((await res.json()).error.code, "unsigned");
  }
  assert.equal(f.t.records.lastSeq(), before);
});

Deno.test("A request signed by another key than the node's gets 401", async () => {
  await using f = await peerFixture();
  const impostor = await newNodeSigner();
  const res = await f.send("GET", "/internal/v1/hello", undefined, {
    signer: { ...impostor, nodeId: f.peer.nodeId },
  });
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error.code, "bad_request_signature");
  // A signature over a different path does not carry over either.
  const headers = await signRequest(f.peer, {
    method: "GET",
    target: "/internal/v1/inventory",
    to: f.t.nodeKey.nodeId,
    digest: contentDigest(new Uint8Array(0)),
  });
  const moved = await f.t.app.request("http://node.test/internal/v1/hello", { headers });
  assert.equal(moved.status, 401);
  // Nor one meant for another node.
  const other = await signRequest(f.peer, {
    method: "GET",
    target: "/internal/v1/hello",
    to: impostor.nodeId,
    digest: contentDigest(new Uint8Array(0)),
  });
  assert.equal(
    (await f.t.app.request("http://node.test/internal/v1/hello", { headers: other })).status,
    401,
  );
});

Deno.test("Expired, not yet valid and over-long signed requests get 401", async () => {
  await using f = await peerFixture();
  const old = await f.send("GET", "/internal/v1/hello", undefined, { now: Date.now() - 120_000 });
  assert.equal(old.status, 401);
  assert.equal((await old.json()).error.code, "expired");
  const future = await f.send("GET", "/internal/v1/hello", undefined, {
    now: Date.now() + 120_000,
  });
  assert.equal(future.status, 401);
  const created = Math.floor(Date.now() / 1000);
  const long = await f.send("GET", "/internal/v1/hello", undefined, {
    headers: { "p2pos-expires": String(created + 3600) },
  });
  assert.equal(long.status, 401);
  assert.match((await long.json()).error.message, /60 seconds/);
});

Deno.test("A replayed request gets 401 the second time and changes nothing", async () => {
  await using f = await peerFixture();
  const body = pushBody(f);
  const headers = {
    ...await signRequest(f.peer, {
      method: "POST",
      target: "/internal/v1/records",
      to: f.t.nodeKey.nodeId,
      digest: contentDigest(encoder.encode(body)),
    }),
    "content-type": "application/json",
  };
  const first = await f.t.app.request("http://node.test/internal/v1/records", {
    method: "POST",
    headers,
    body,
  });
  assert.equal(first.status, 200);
  const stored = f.t.records.lastSeq();
  const again = await f.t.app.request("http://node.test/internal/v1/records", {
    method: "POST",
    headers,
    body,
  });
  assert.equal(again.status, 401);
  assert.equal((await again.json()).error.code, "replayed");
  assert.equal(f.t.records.lastSeq(), stored);
});

Deno.test("A node the family does not know gets 401; a removed node gets 403", async () => {
  await using f = await peerFixture();
  const stranger = await newNodeSigner();
  const unknown = await f.send("GET", "/internal/v1/hello", undefined, { signer: stranger });
  assert.equal(unknown.status, 401);
  assert.equal((await unknown.json()).error.code, "unknown_node");
  f.t.records.apply([nodeRecord(f.t, f.admin, f.peer, { removed: true })], {
    via: "api",
    sessionMember: f.admin.key,
  });
  const removed = await f.send("GET", "/internal/v1/hello");
  assert.equal(removed.status, 403);
  assert.match((await removed.json()).error.message, /removed/);
});

Deno.test("A body that does not match its Content-Digest gets 400 and is not applied", async () => {
  await using f = await peerFixture();
  const signedBody = pushBody(f);
  const headers = {
    ...await signRequest(f.peer, {
      method: "POST",
      target: "/internal/v1/records",
      to: f.t.nodeKey.nodeId,
      digest: contentDigest(encoder.encode(signedBody)),
    }),
    "content-type": "application/json",
  };
  const before = f.t.records.lastSeq();
  const tampered = signedBody.replace('"after":0', '"after":9');
  const res = await f.t.app.request("http://node.test/internal/v1/records", {
    method: "POST",
    headers,
    body: tampered,
  });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error.code, "digest_mismatch");
  assert.equal(f.t.records.lastSeq(), before);
});

Deno.test("Blob bytes that do not hash to the id get 422 and nothing is stored", async () => {
  await using f = await peerFixture();
  const bytes = crypto.getRandomValues(new Uint8Array(50_000));
  const wrongId = await sha256Hex(crypto.getRandomValues(new Uint8Array(10)));
  const headers = await signRequest(f.peer, {
    method: "PUT",
    target: `/internal/v1/blobs/${wrongId}`,
    to: f.t.nodeKey.nodeId,
    digest: blobDigest(wrongId),
  });
  const res = await f.t.app.request(`http://node.test/internal/v1/blobs/${wrongId}`, {
    method: "PUT",
    headers,
    body: bytes,
  });
  assert.equal(res.status, 422);
  assert.equal((await res.json()).error.code, "integrity");
  assert.equal(await f.t.blobs.has(wrongId), false);
  assert.deepEqual(await filesUnder(`${f.t.dir}/tmp`), []);
});

Deno.test("A blob whose Content-Digest is not its id gets 400 before a byte is stored", async () => {
  await using f = await peerFixture();
  const bytes = crypto.getRandomValues(new Uint8Array(1000));
  const id = await sha256Hex(bytes);
  const headers = await signRequest(f.peer, {
    method: "PUT",
    target: `/internal/v1/blobs/${id}`,
    to: f.t.nodeKey.nodeId,
    digest: contentDigest(new Uint8Array(0)),
  });
  const res = await f.t.app.request(`http://node.test/internal/v1/blobs/${id}`, {
    method: "PUT",
    headers,
    body: bytes,
  });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error.code, "digest_mismatch");
  assert.equal(await f.t.blobs.has(id), false);
});

Deno.test("Oversize node bodies get 413: JSON over the peer cap, blobs over the blob cap", async () => {
  await using f = await peerFixture({ maxPeerJsonBytes: 2048, maxBlobBytes: 4096 });
  const big = JSON.stringify({ ids: Array(100).fill("a".repeat(64)) });
  const json = await f.send("POST", "/internal/v1/blobs/have", big);
  assert.equal(json.status, 413);
  assert.equal((await json.json()).error.code, "too_large");
  const bytes = crypto.getRandomValues(new Uint8Array(10_000));
  const id = await sha256Hex(bytes);
  const streamed = await f.transport.putBlob(
    f.target,
    id,
    bytes.length,
    ReadableStream.from([bytes.slice(0, 5000), bytes.slice(5000)]),
  ).catch((e) => e);
  assert.equal(streamed.status, 413);
  assert.equal(await f.t.blobs.has(id), false);
  assert.deepEqual(await filesUnder(`${f.t.dir}/tmp`), []);
});

Deno.test("A signed push whose declared size is not a number gets 400; one over the cap 413; nothing is stored", async () => {
  await using f = await peerFixture({ maxBlobBytes: 4096 });
  const bytes = crypto.getRandomValues(new Uint8Array(1000));
  const id = await sha256Hex(bytes);
  const push = async (extra: Record<string, string>) => {
    const headers = await signRequest(f.peer, {
      method: "PUT",
      target: `/internal/v1/blobs/${id}`,
      to: f.t.nodeKey.nodeId,
      digest: blobDigest(id),
    });
    return await f.t.app.request(`http://node.test/internal/v1/blobs/${id}`, {
      method: "PUT",
      headers: { ...Object.fromEntries(new Headers(headers)), ...extra },
      body: bytes,
    });
  };
  for (const size of ["abc", "1e3", "-1", "+12", "0x10"]) {
    const res = await push({ "p2pos-blob-size": size });
    assert.equal(res.status, 400, size);
    const { error } = await res.json();
    assert.equal(error.code, "invalid");
    assert.match(error.message, /P2pos-Blob-Size is not a number/);
  }
  const over = await push({ "p2pos-blob-size": "5000" });
  assert.equal(over.status, 413);
  assert.match((await over.json()).error.message, /exceeds this node's limit of 4096 bytes/);
  assert.equal(await f.t.blobs.has(id), false);
  assert.deepEqual(await filesUnder(`${f.t.dir}/tmp`), []);
  const fine = await push({ "p2pos-blob-size": "1000" });
  assert.equal(fine.status, 201);
  assert.equal(await f.t.blobs.has(id), true);
});

Deno.test("A peer pushes and pulls a blob through the signed API; the copy is recorded", async () => {
  await using f = await peerFixture();
  const bytes = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31 + 7) & 255);
  const id = await sha256Hex(bytes);
  const put = await f.transport.putBlob(f.target, id, bytes.length, ReadableStream.from([bytes]));
  assert.equal(put.created, true);
  assert.equal(await f.t.blobs.has(id), true);
  // Where is it stored: the sender holds it too.
  const holders = f.t.db.db.prepare("SELECT node_id FROM blob_locations WHERE blob_id = ?")
    .all(id) as { node_id: string }[];
  assert.deepEqual(holders.map((h) => h.node_id), [f.peer.nodeId]);
  assert.deepEqual(await f.transport.haveBlobs(f.target, [id, "0".repeat(64)]), [id]);
  const got = await f.transport.getBlob(f.target, id);
  assert.equal(got.size, bytes.length);
  assert.deepEqual(new Uint8Array(await new Response(got.stream).arrayBuffer()), bytes);
  const inv = await f.transport.inventory(f.target);
  assert.deepEqual(inv.ids, [id]);
  const nonce = crypto.getRandomValues(new Uint8Array(32));
  const proof = await f.transport.proveBlob(f.target, id, nonce);
  const both = new Uint8Array(32 + bytes.length);
  both.set(nonce);
  both.set(bytes, 32);
  assert.equal(proof, await sha256Hex(both));
});

Deno.test("The client refuses an answer that is not signed by the node it called", async () => {
  await using f = await peerFixture();
  const res = await f.send("GET", "/internal/v1/hello");
  const body = new Uint8Array(await res.arrayBuffer());
  const stranger = await newNodeSigner();
  const get = (n: string) => res.headers.get(n);
  // An answer to another request (another nonce) is worthless here: no replayed answers.
  assert.equal(
    await verifyResponse({ status: 200, get }, body, "x".repeat(32), {
      nodeId: f.t.nodeKey.nodeId,
      publicKey: f.t.nodeKey.publicKey,
    }),
    false,
  );
  // The transport with a wrong key for the node refuses the answer.
  await assert.rejects(
    () =>
      f.transport.hello({ ...f.target, publicKey: toBase64Url(stranger.publicKey) }, "ab12cd34"),
    /not signed by node/,
  );
});

Deno.test("An offered blob this node lacks is queued as a pull from the offering node", async () => {
  await using f = await peerFixture();
  const held = Uint8Array.from({ length: 100 }, (_, i) => i);
  const heldId = await sha256Hex(held);
  await f.transport.putBlob(f.target, heldId, 100, held);
  const missing = "ab".repeat(32);
  const r = await f.transport.offerBlobs(f.target, [
    { id: heldId, size: 100 },
    { id: missing, size: 50_000_000 },
  ]);
  assert.deepEqual(r, { have: [heldId], queued: [missing] });
  const job = f.t.db.db.prepare("SELECT peer_id, dir, state FROM blob_jobs WHERE blob_id = ?")
    .get(missing) as { peer_id: string; dir: string; state: string };
  assert.deepEqual({ ...job }, { peer_id: f.peer.nodeId, dir: "pull", state: "pending" });
});
