import assert from "node:assert/strict";
import { authed, setupFamily } from "../../../tests/_support/family.ts";
import { makeTestApp, sha256Hex } from "../../../tests/_support/test_app.ts";

const bytes = (n: number, seed = 7) =>
  Uint8Array.from({ length: n }, (_, i) => (i * seed + 3) & 255);

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) out.push(...await filesUnder(`${dir}/${e.name}`));
    else out.push(`${dir}/${e.name}`);
  }
  return out;
}

Deno.test("PUT then GET /v1/blobs/:id round-trips the bytes", async () => {
  await using t = await makeTestApp();
  const req = authed(t, await setupFamily(t));
  const body = bytes(100_000);
  const id = await sha256Hex(body);
  const put = await req(`/v1/blobs/${id}`, { method: "PUT", body });
  assert.equal(put.status, 201);
  const first = await put.json();
  assert.deepEqual(Object.keys(first).sort(), ["id", "receipt", "size"]);
  assert.equal(first.id, id);
  assert.equal(first.size, body.length);
  assert.equal(first.receipt.node, t.nodeKey.nodeId);
  // The same bytes again: the same answer (whether they were here is not said).
  const again = await req(`/v1/blobs/${id}`, { method: "PUT", body });
  assert.equal(again.status, 201);
  assert.deepEqual(await again.json(), first);
  const get = await req(`/v1/blobs/${id}`);
  assert.equal(get.status, 200);
  assert.equal(get.headers.get("content-length"), String(body.length));
  assert.deepEqual(new Uint8Array(await get.arrayBuffer()), body);
});

Deno.test("GET /v1/blobs/:id serves byte ranges and answers 416 outside the blob", async () => {
  await using t = await makeTestApp();
  const req = authed(t, await setupFamily(t));
  const body = bytes(1000);
  const id = await sha256Hex(body);
  await (await req(`/v1/blobs/${id}`, { method: "PUT", body })).body?.cancel();
  const cases: [string, number, number][] = [["bytes=0-9", 0, 9], ["bytes=990-", 990, 999], [
    "bytes=-5",
    995,
    999,
  ], ["bytes=500-5000", 500, 999]];
  for (const [range, start, end] of cases) {
    const res = await req(`/v1/blobs/${id}`, { headers: { range } });
    assert.equal(res.status, 206, range);
    assert.equal(res.headers.get("content-range"), `bytes ${start}-${end}/1000`);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), body.slice(start, end + 1));
  }
  for (const range of ["bytes=1000-", "bytes=5000-6000", "bytes=9-3"]) {
    const res = await req(`/v1/blobs/${id}`, { headers: { range } });
    assert.equal(res.status, 416, range);
    assert.equal(res.headers.get("content-range"), "bytes */1000");
    assert.equal((await res.json()).error.code, "range_not_satisfiable");
  }
});

Deno.test("Blob ids that are not 64 lowercase hex characters get 400 before any filesystem access", async () => {
  await using t = await makeTestApp();
  const req = authed(t, await setupFamily(t));
  const before = await filesUnder(t.dir);
  const bad = [
    "..%2fx",
    "%2e%2e%2f",
    "%2e%2e%2fnode.key",
    "%00",
    "a".repeat(63) + "%00",
    "..%5c..%5cx",
    "A".repeat(64),
    "g".repeat(64),
    "a".repeat(63),
    "a".repeat(65),
    "a".repeat(10_000),
  ];
  for (const id of bad) {
    for (const method of ["GET", "PUT"]) {
      const res = await req(`/v1/blobs/${id}`, {
        method,
        body: method === "PUT" ? "x" : undefined,
      });
      assert.equal(res.status, 400, `${method} ${id.slice(0, 20)}`);
      const json = await res.json();
      assert.equal(json.error.code, "invalid");
    }
  }
  assert.deepEqual(await filesUnder(t.dir), before);
});

Deno.test("A body over the cap gets 413 and leaves no temp file", async () => {
  await using t = await makeTestApp({ maxBlobBytes: 1000 });
  const req = authed(t, await setupFamily(t));
  const body = bytes(5000);
  const id = await sha256Hex(body);
  // Declared too large: refused before reading.
  const declared = await req(`/v1/blobs/${id}`, { method: "PUT", body });
  assert.equal(declared.status, 413);
  // Streamed without a length: refused while reading.
  const streamed = await req(`/v1/blobs/${id}`, {
    method: "PUT",
    body: ReadableStream.from([body.slice(0, 600), body.slice(600)]),
    // @ts-ignore Deno's fetch needs duplex for stream bodies
    duplex: "half",
  });
  assert.equal(streamed.status, 413);
  assert.equal((await streamed.json()).error.code, "too_large");
  assert.deepEqual(await filesUnder(`${t.dir}/tmp`), []);
  assert.equal((await req(`/v1/blobs/${id}`)).status, 404);
});

Deno.test("Bytes whose hash differs from the id get 422 and nothing is stored", async () => {
  await using t = await makeTestApp();
  const req = authed(t, await setupFamily(t));
  const body = bytes(2000);
  const wrongId = await sha256Hex(bytes(2000, 11));
  const res = await req(`/v1/blobs/${wrongId}`, { method: "PUT", body });
  assert.equal(res.status, 422);
  assert.equal((await res.json()).error.code, "integrity");
  assert.equal((await req(`/v1/blobs/${wrongId}`)).status, 404);
  assert.deepEqual(await filesUnder(`${t.dir}/tmp`), []);
  assert.deepEqual(await filesUnder(`${t.dir}/blobs`), []);
});

Deno.test("An upload whose connection is cut midway stores nothing under the id", async () => {
  await using t = await makeTestApp();
  const req = authed(t, await setupFamily(t));
  const body = bytes(300_000);
  const id = await sha256Hex(body);
  let sent = 0;
  const failing = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= 100_000) {
        controller.error(new Error("connection reset by peer"));
        return;
      }
      controller.enqueue(body.slice(sent, sent + 50_000));
      sent += 50_000;
    },
  });
  const res = await (req(`/v1/blobs/${id}`, {
    method: "PUT",
    body: failing,
    // @ts-ignore Deno's fetch needs duplex for stream bodies
    duplex: "half",
  })).catch((e: unknown) => e);
  if (res instanceof Response) assert.ok(res.status >= 400, `status ${res.status}`);
  assert.equal((await req(`/v1/blobs/${id}`)).status, 404);
  assert.deepEqual(await filesUnder(`${t.dir}/tmp`), []);
});

Deno.test("A missing blob is 404 with the JSON error shape and security headers", async () => {
  await using t = await makeTestApp();
  const req = authed(t, await setupFamily(t));
  const res = await req(`/v1/blobs/${"0".repeat(64)}`);
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.code, "not_found");
  assert.match(res.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
  assert.doesNotMatch(res.headers.get("content-security-policy") ?? "", /unsafe-inline/);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(res.headers.get("referrer-policy"), "no-referrer");
});
