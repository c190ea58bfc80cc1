/**
 * `POST /v1/blobs/batch` (issue #16 §3): many blobs in one framed answer, each id checked as
 * `GET /v1/blobs/:id` checks it, and nothing said about the ids she may not read.
 */

import assert from "node:assert/strict";
import { BlobBatchParser, FRAME_NOT_READABLE, frameHeader } from "../../core/blob_batch.ts";
import {
  authed,
  inviteAndJoin,
  json,
  setupFamily,
  signed,
} from "../../../tests/_support/family.ts";
import { makeTestApp, sha256Hex, type TestApp } from "../../../tests/_support/test_app.ts";
import { addPhoto, createAlbum, putBlob, share } from "../../../tests/_support/vault.ts";
import type { TestMember } from "../../../tests/_support/family.ts";

const batch = (t: TestApp, who: TestMember, body: unknown, type = "application/json") =>
  authed(t, who)("/v1/blobs/batch", {
    method: "POST",
    headers: { "content-type": type },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

async function framesOf(res: Response, expected: number) {
  const parser = new BlobBatchParser(expected);
  const items = parser.push(new Uint8Array(await res.arrayBuffer()));
  parser.end();
  return items.map((i) => i.bytes);
}

async function stored(t: TestApp, id: string) {
  const read = await t.blobs.get(id);
  return new Uint8Array(await new Response(read.stream).arrayBuffer());
}

async function world() {
  const t = await makeTestApp();
  const alice = await setupFamily(t);
  const bob = await inviteAndJoin(t, alice, "Bob");
  const shared = await createAlbum(t, alice, "Shared with Bob");
  const secret = await createAlbum(t, alice, "Alice only");
  const bobs = await createAlbum(t, bob, "Bob's own");
  await share(t, shared, bob, "viewer");
  return {
    t,
    alice,
    bob,
    shared: await addPhoto(t, shared, alice, 1),
    secret: await addPhoto(t, secret, alice, 2),
    own: await addPhoto(t, bobs, bob, 3),
  };
}

Deno.test("POST /v1/blobs/batch answers own and shared blobs, in the order asked", async () => {
  const { t, bob, shared, own } = await world();
  await using _ = t;
  const ids = [shared.thumb, own.thumb, shared.original, own.meta, shared.thumb];
  const res = await batch(t, bob, { ids });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/vnd.p2pos.blob-batch");
  assert.equal(res.headers.get("cache-control"), "private, max-age=31536000, immutable");
  const frames = await framesOf(res, ids.length);
  for (const [i, id] of ids.entries()) assert.deepEqual(frames[i], await stored(t, id), id);
});

Deno.test("POST /v1/blobs/batch answers unreadable, unknown and not-yet-stored ids alike, with no sizes", async () => {
  const { t, alice, bob, shared, secret, own } = await world();
  await using _ = t;
  // A photo Bob may see whose thumbnail has not reached this node yet.
  const later = await createAlbum(t, alice, "Later");
  await share(t, later, bob, "viewer");
  const late = await addPhoto(t, later, alice, 4);
  assert.equal(await t.blobs.delete(late.thumb), true);
  const unknown = await sha256Hex(crypto.getRandomValues(new Uint8Array(64)));
  const hidden = [secret.thumb, secret.original, unknown, late.thumb];
  const ids = [own.thumb, ...hidden, shared.thumb];
  const res = await batch(t, bob, { ids });
  assert.equal(res.status, 200);
  // Not every blob was readable: cached no more than a 404 is.
  assert.equal(res.headers.get("cache-control"), "no-store");
  const body = new Uint8Array(await res.arrayBuffer());
  const parser = new BlobBatchParser(ids.length);
  const frames = parser.push(body).map((i) => i.bytes);
  parser.end();
  assert.deepEqual(frames[0], await stored(t, own.thumb));
  assert.deepEqual(frames.slice(1, 5), [null, null, null, null]);
  assert.deepEqual(frames[5], await stored(t, shared.thumb));
  // Byte for byte: the readable frames, then four bare "not readable" headers between them.
  const notReadable = frameHeader(FRAME_NOT_READABLE, 0);
  const start = 5 + frames[0]!.length;
  for (let i = 0; i < 4; i++) {
    assert.deepEqual(body.slice(start + 5 * i, start + 5 * (i + 1)), notReadable);
  }
  // Each hidden id alone: the same bytes as the unknown one.
  const alone = async (id: string) =>
    new Uint8Array(await (await batch(t, bob, { ids: [id] })).arrayBuffer());
  for (const id of hidden) assert.deepEqual(await alone(id), notReadable, id);
});

Deno.test("POST /v1/blobs/batch refuses too many ids, a malformed body and too many bytes with a JSON error", async () => {
  const { t, alice, bob, shared, secret } = await world();
  await using _ = t;
  const id = shared.thumb;
  const cases: [string, Response, number, string, RegExp][] = [
    ["101 ids", await batch(t, bob, { ids: Array(101).fill(id) }), 400, "invalid", /ids/],
    ["no ids", await batch(t, bob, { ids: [] }), 400, "invalid", /ids/],
    ["a bad id", await batch(t, bob, { ids: ["../../etc/passwd"] }), 400, "invalid", /blob id/],
    ["an extra field", await batch(t, bob, { ids: [id], all: true }), 400, "invalid", /all/],
    ["not JSON", await batch(t, bob, "{ids:"), 400, "invalid", /not valid JSON/],
    ["not JSON typed", await batch(t, bob, { ids: [id] }, "text/plain"), 400, "invalid", /JSON/],
  ];
  // 6 MB that Alice may read, asked three times: past the 16 MiB cap.
  const big = await putBlob(t, alice, new Uint8Array(6_000_000).fill(7));
  const many = await batch(t, alice, { ids: [big.id, big.id, big.id] });
  cases.push(["18 MB", many, 413, "too_large", /limit of 16777216 bytes per batch/]);
  for (const [name, res, status, code, message] of cases) {
    assert.equal(res.status, status, name);
    assert.equal(res.headers.get("cache-control"), "no-store", name);
    const error = (await res.json()).error;
    assert.equal(typeof error.message, "string", name);
    assert.match(error.message, message, name);
    if (code !== "invalid") assert.equal(error.code, code, name);
  }
  // The same big blob is not Bob's to read: it counts nothing, so the cap tells him nothing.
  const hidden = await batch(t, bob, { ids: [big.id, big.id, big.id, secret.original] });
  assert.equal(hidden.status, 200);
  assert.deepEqual(await framesOf(hidden, 4), [null, null, null, null]);
  // Nor can the JSON body of a batch be used to send more than a JSON body may hold.
  const huge = await batch(t, bob, JSON.stringify({ ids: [id], pad: "x".repeat(2_000_000) }));
  assert.equal(huge.status, 413);
  assert.equal((await huge.json()).error.code, "too_large");
});

Deno.test("POST /v1/blobs/batch gives a removed member and a stranger a 401, and a viewer of another album nothing", async () => {
  const { t, alice, bob, shared, secret } = await world();
  await using _ = t;
  const carol = await inviteAndJoin(t, alice, "Carol");
  const other = await createAlbum(t, alice, "Carol's");
  await share(t, other, carol, "viewer");
  const ids = [shared.thumb, secret.thumb];
  assert.deepEqual(await framesOf(await batch(t, carol, { ids }), 2), [null, null]);
  const bobRecord = t.records.get<Record<string, unknown>>("member", bob.key)!;
  const removal = signed(t, alice, "member", bob.key, { ...bobRecord.body, removed: true });
  assert.equal(
    (await json(t, "/v1/records", { body: { records: [removal] }, cookie: alice.cookie })).status,
    200,
  );
  for (const who of [bob, { ...carol, cookie: undefined }]) {
    const res = await batch(t, who, { ids });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, "unauthorized");
  }
});

Deno.test("POST /v1/blobs/batch cuts its answer off when a blob reads shorter than its size", async () => {
  const { t, bob, shared, own } = await world();
  await using _ = t;
  const real = t.blobs.readable.bind(t.blobs);
  // A file that lost its tail after it was opened (a disk fault).
  t.blobs.readable = async (id) => {
    const got = await real(id);
    if (id !== shared.thumb) return got;
    const bytes = new Uint8Array(await new Response(got.stream).arrayBuffer());
    return { size: got.size, stream: new Response(bytes.slice(0, 100)).body! };
  };
  const res = await batch(t, bob, { ids: [shared.thumb, own.thumb] });
  assert.equal(res.status, 200);
  // The body breaks off (a cut answer the client refuses) rather than ending as if whole, with
  // the next blob's bytes sent where the short one's tail should be.
  await assert.rejects(res.arrayBuffer());
});
