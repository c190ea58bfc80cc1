import assert from "node:assert/strict";
import { authed, inviteAndJoin, json, setupFamily } from "../../../tests/_support/family.ts";
import { makeTestApp, sha256Hex } from "../../../tests/_support/test_app.ts";

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 255);

async function start(size = 3000) {
  const t = await makeTestApp();
  const alice = await setupFamily(t);
  const data = bytes(size);
  const blob = await sha256Hex(data);
  const created = await json(t, "/v1/uploads", { body: { blob, size }, cookie: alice.cookie });
  assert.equal(created.status, 201);
  const { upload } = await created.json();
  const patch = (offset: number, body: BodyInit, who = alice) =>
    authed(t, who)(`/v1/uploads/${upload}`, {
      method: "PATCH",
      headers: { "upload-offset": String(offset) },
      body,
      // @ts-ignore Deno needs duplex for stream bodies
      duplex: "half",
    });
  return { t, alice, data, blob, upload, patch };
}

Deno.test("A resumable upload takes chunks at offsets and is stored once it hashes to the expected id", async () => {
  const { t, alice, data, blob, upload, patch } = await start();
  await using _ = t;
  assert.deepEqual(await (await patch(0, data.slice(0, 1000))).json(), { offset: 1000 });
  assert.deepEqual(await (await patch(1000, data.slice(1000, 2500))).json(), { offset: 2500 });
  const status = await (await json(t, `/v1/uploads/${upload}`, { cookie: alice.cookie })).json();
  assert.equal(status.offset, 2500);
  assert.equal((await patch(2500, data.slice(2500))).status, 200);
  const done = await json(t, `/v1/uploads/${upload}/finish`, { body: {}, cookie: alice.cookie });
  assert.equal(done.status, 201);
  const got = await authed(t, alice)(`/v1/blobs/${blob}`);
  assert.deepEqual(new Uint8Array(await got.arrayBuffer()), data);
  // A second upload of the same blob is answered "already complete".
  const again = await json(t, "/v1/uploads", {
    body: { blob, size: data.length },
    cookie: alice.cookie,
  });
  assert.equal((await again.json()).complete, true);
});

Deno.test("A chunk at the wrong offset gets 409 with the offset to resume from", async () => {
  const { t, data, patch } = await start();
  await using _ = t;
  await patch(0, data.slice(0, 1000));
  for (const wrong of [0, 500, 1500]) {
    const res = await patch(wrong, data.slice(wrong, wrong + 100));
    assert.equal(res.status, 409, `offset ${wrong}`);
    const body = await res.json();
    assert.equal(body.offset, 1000);
    assert.match(body.error.message, /resume from 1000/);
  }
});

Deno.test("A dropped connection mid-chunk keeps the last acknowledged offset, and the upload resumes", async () => {
  const { t, alice, data, blob, upload, patch } = await start();
  await using _ = t;
  await patch(0, data.slice(0, 1000));
  let sent = false;
  const cut = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent) return c.error(new Error("connection reset"));
      sent = true;
      c.enqueue(data.slice(1000, 1800));
    },
  });
  const res = await patch(1000, cut).catch((e) => e);
  if (res instanceof Response) assert.ok(res.status >= 400);
  const status = await (await json(t, `/v1/uploads/${upload}`, { cookie: alice.cookie })).json();
  assert.equal(status.offset, 1000, "the half chunk was not acknowledged");
  await patch(1000, data.slice(1000));
  assert.equal(
    (await json(t, `/v1/uploads/${upload}/finish`, { body: {}, cookie: alice.cookie })).status,
    201,
  );
  const got = await authed(t, alice)(`/v1/blobs/${blob}`);
  assert.deepEqual(new Uint8Array(await got.arrayBuffer()), data);
});

Deno.test("Finishing against the wrong id gets 422, discards the bytes and stores nothing", async () => {
  const t = await makeTestApp();
  await using _ = t;
  const alice = await setupFamily(t);
  const data = bytes(2000);
  const claimed = await sha256Hex(bytes(1999));
  const { upload } = await (await json(t, "/v1/uploads", {
    body: { blob: claimed, size: 2000 },
    cookie: alice.cookie,
  }))
    .json();
  await authed(t, alice)(`/v1/uploads/${upload}`, {
    method: "PATCH",
    headers: { "upload-offset": "0" },
    body: data,
  });
  const res = await json(t, `/v1/uploads/${upload}/finish`, { body: {}, cookie: alice.cookie });
  assert.equal(res.status, 422);
  assert.match((await res.json()).error.message, /do not hash to/);
  assert.equal((await authed(t, alice)(`/v1/blobs/${claimed}`)).status, 404);
  assert.equal((await json(t, `/v1/uploads/${upload}`, { cookie: alice.cookie })).status, 404);
  assert.deepEqual([...Deno.readDirSync(`${t.dir}/uploads`)], []);
});

Deno.test("Chunks past the declared size or the chunk limit get 413; finishing early gets 409", async () => {
  const { t, alice, data, upload, patch } = await start(3000);
  await using _ = t;
  assert.equal((await patch(0, bytes(3001))).status, 413);
  assert.equal((await patch(0, data.slice(0, 10))).status, 200);
  const early = await json(t, `/v1/uploads/${upload}/finish`, { body: {}, cookie: alice.cookie });
  assert.equal(early.status, 409);
  assert.match((await early.json()).error.message, /10 of 3000 bytes/);
  const big = await json(t, "/v1/uploads", {
    body: { blob: "a".repeat(64), size: 64 * 1024 ** 3 },
    cookie: alice.cookie,
  });
  assert.equal(big.status, 413);
});

Deno.test("Another member's upload session is not found, and a missing offset header is a 400", async () => {
  const { t, alice, data, patch } = await start();
  await using _ = t;
  const bob = await inviteAndJoin(t, alice, "Bob");
  assert.equal((await patch(0, data.slice(0, 10), bob)).status, 404);
  const noHeader = await authed(t, alice)(`/v1/uploads/00000000-0000-0000-0000-000000000000`, {
    method: "PATCH",
    body: data,
  });
  assert.equal(noHeader.status, 400);
});

Deno.test("A finish asked again answers as the first, and a finished upload takes no more chunks", async () => {
  const { t, alice, data, blob, upload, patch } = await start();
  await using _ = t;
  await patch(0, data);
  const first = await json(t, `/v1/uploads/${upload}/finish`, { body: {}, cookie: alice.cookie });
  assert.equal(first.status, 201);
  const firstBody = await first.json();
  const second = await json(t, `/v1/uploads/${upload}/finish`, { body: {}, cookie: alice.cookie });
  assert.equal(second.status, 201);
  assert.deepEqual(await second.json(), firstBody);
  const status = await (await json(t, `/v1/uploads/${upload}`, { cookie: alice.cookie })).json();
  assert.deepEqual(status, {
    upload,
    blob,
    size: data.length,
    offset: data.length,
    finished: true,
  });
  const late = await patch(data.length, new Uint8Array(1));
  assert.equal(late.status, 409);
  assert.match((await late.json()).error.message, /finished/);
});

Deno.test("A JSON body that stops arriving is answered 408 after the stall limit", async () => {
  const t = await makeTestApp({ stallTimeoutSecs: 0.2 });
  await using _ = t;
  const alice = await setupFamily(t);
  const res = await authed(t, alice)("/v1/records", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: new ReadableStream({
      start: (c) => c.enqueue(new TextEncoder().encode('{"records": [')),
      pull: () => new Promise(() => {}), // the client went silent
    }),
    // @ts-ignore Deno needs duplex for stream bodies
    duplex: "half",
  });
  assert.equal(res.status, 408);
  assert.equal((await res.json()).error.code, "stalled");
});
