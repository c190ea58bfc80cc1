import assert from "node:assert/strict";
import { blobId } from "../../../crypto/mod.ts";
import { uploadBlob } from "./resumable_upload.ts";
import { setupFamily } from "../../../../tests/_support/family.ts";
import { makeTestApp } from "../../../../tests/_support/test_app.ts";
import { memberFetch } from "../../../../tests/_support/vault_client.ts";

const noWait = () => Promise.resolve();

function bytes(n: number, seed = 1): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
}

interface Call {
  method: string;
  path: string;
  offset?: number;
}

/** Wraps a fetch: records calls, and lets a test break the n-th PATCH. */
function tap(
  inner: typeof fetch,
  breakPatch: (n: number, forward: () => Promise<Response>) => Promise<Response> | undefined,
) {
  const calls: Call[] = [];
  let patches = 0;
  const f: typeof fetch = (input, init = {}) => {
    const path = String(input);
    const method = init.method ?? "GET";
    const offset = new Headers(init.headers).get("upload-offset");
    calls.push({ method, path, offset: offset === null ? undefined : Number(offset) });
    if (method === "PATCH") {
      const broken = breakPatch(++patches, () => inner(input, init));
      if (broken) return broken;
    }
    return inner(input, init);
  };
  return { fetch: f, calls };
}

Deno.test("A dropped chunk resumes from the offset the node acknowledged, not from zero", async () => {
  await using t = await makeTestApp(); // chunks of at most 1 MiB
  const owner = await setupFamily(t);
  const data = bytes(2.5 * 1024 * 1024);
  const id = await blobId(data);
  // The second chunk never reaches the node: the connection drops.
  const { fetch, calls } = tap(
    memberFetch(t, owner),
    (n) => n === 2 ? Promise.reject(new TypeError("Failed to fetch")) : undefined,
  );
  const seen: number[] = [];
  await uploadBlob(new Blob([data]), id, {
    fetch,
    backoff: noWait,
    onProgress: (acked) => seen.push(acked),
  });
  const patches = calls.filter((c) => c.method === "PATCH").map((c) => c.offset);
  const MiB = 1024 * 1024;
  assert.deepEqual(patches, [0, MiB, MiB, 2 * MiB]);
  const askedAt = calls.findIndex((c) => c.method === "GET");
  assert.ok(askedAt > 0, "the client asked the node for its offset after the drop");
  assert.equal(seen.at(-1), data.length);
  const stored = await t.blobs.get(id);
  assert.deepEqual(new Uint8Array(await new Response(stored.stream).arrayBuffer()), data);
});

Deno.test("A chunk that landed although its answer was lost is not sent twice", async () => {
  await using t = await makeTestApp();
  const owner = await setupFamily(t);
  const data = bytes(2.2 * 1024 * 1024, 9);
  const id = await blobId(data);
  // The node stores the first chunk, then the answer is lost on the way back.
  const { fetch, calls } = tap(
    memberFetch(t, owner),
    (n, forward) =>
      n === 1
        ? forward().then(async (r) => {
          await r.body?.cancel();
          throw new TypeError("Failed to fetch");
        })
        : undefined,
  );
  await uploadBlob(new Blob([data]), id, { fetch, backoff: noWait });
  const patches = calls.filter((c) => c.method === "PATCH").map((c) => c.offset);
  assert.deepEqual(patches, [0, 1024 * 1024, 2 * 1024 * 1024]);
  assert.ok(await t.blobs.stat(id));
});

Deno.test("A blob this member already uploaded is not uploaded again, and her receipt comes back", async () => {
  await using t = await makeTestApp();
  const owner = await setupFamily(t);
  const data = bytes(5000);
  const id = await blobId(data);
  const receipt = await uploadBlob(new Blob([data]), id, { fetch: memberFetch(t, owner) });
  assert.equal(receipt.node, t.nodeKey.nodeId);
  const { fetch, calls } = tap(memberFetch(t, owner), () => undefined);
  let progress = 0;
  const again = await uploadBlob(new Blob([data]), id, {
    fetch,
    onProgress: (n) => (progress = n),
  });
  assert.deepEqual(calls.map((c) => c.method), ["POST"]);
  assert.equal(progress, data.length);
  assert.deepEqual(again, receipt, "the same receipt: her own upload");
});

Deno.test("Bytes that do not hash to the expected id are refused and nothing is stored", async () => {
  await using t = await makeTestApp();
  const owner = await setupFamily(t);
  const id = await blobId(bytes(3000, 1));
  await assert.rejects(
    uploadBlob(new Blob([bytes(3000, 2)]), id, { fetch: memberFetch(t, owner), backoff: noWait }),
    /do not hash to/,
  );
  assert.equal(await t.blobs.stat(id), null);
});

Deno.test("Cancelling an upload stops sending and drops the session on the node", async () => {
  await using t = await makeTestApp();
  const owner = await setupFamily(t);
  const data = bytes(3 * 1024 * 1024);
  const id = await blobId(data);
  const ac = new AbortController();
  const { fetch, calls } = tap(memberFetch(t, owner), (n, forward) => {
    if (n === 2) ac.abort(new DOMException("Cancelled", "AbortError"));
    return n === 2 ? Promise.reject(new DOMException("Cancelled", "AbortError")) : forward();
  });
  await assert.rejects(uploadBlob(new Blob([data]), id, { fetch, signal: ac.signal }), /Cancelled/);
  // The DELETE is sent without waiting for its answer: wait for it to be sent.
  for (let i = 0; i < 200 && !calls.some((c) => c.method === "DELETE"); i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const del = calls.find((c) => c.method === "DELETE");
  assert.ok(del, "the session was deleted");
  const session = del.path.split("/").pop()!;
  assert.equal(
    (await memberFetch(t, owner)(`/v1/uploads/${session}`)).status,
    404,
  );
  assert.equal(await t.blobs.stat(id), null);
});

Deno.test("When the answer to finishing is lost, the receipt still comes back", async () => {
  await using t = await makeTestApp();
  const owner = await setupFamily(t);
  const data = bytes(4000, 5);
  const id = await blobId(data);
  const inner = memberFetch(t, owner);
  let lost = false;
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const res = await inner(input, init);
    if (String(input).endsWith("/finish") && !lost) {
      lost = true; // stored on the node, but the answer never reaches the browser
      await res.body?.cancel();
      throw new TypeError("Failed to fetch");
    }
    return res;
  };
  const receipt = await uploadBlob(new Blob([data]), id, { fetch, backoff: noWait });
  assert.ok(lost);
  assert.equal(receipt.node, t.nodeKey.nodeId);
  assert.match(receipt.sig, /^[A-Za-z0-9_-]{86}$/);
});
