import assert from "node:assert/strict";
import { watchdog } from "./blob_worker.ts";
import { byteStreamOf, readAll, sha256, streamOf, withStore } from "../store/_testing.ts";

const bytes = new Uint8Array(3_000_001).map((_, i) => (i * 13 + (i >> 12)) & 0xff);
const id = sha256(bytes);

Deno.test("watchdog() lends the store's buffers to a byte source: the bytes arrive whole", async () => {
  await withStore(async (store) => {
    const source = byteStreamOf(bytes, 70_001);
    const watched = watchdog(source.stream, 5_000, new AbortController().signal);
    const put = await store.put(id, watched.stream, { signal: watched.signal });
    assert.deepEqual(put, { id, size: bytes.byteLength, created: true });
    assert.ok(source.stats.byob > 0, "the source filled buffers it was lent");
    assert.equal(source.stats.byob, source.stats.pulls - 1);
    assert.deepEqual(await readAll((await store.get(id)).stream), bytes);
  });
});

Deno.test("watchdog() passes on a plain stream, and serves a reader without buffers", async () => {
  await withStore(async (store) => {
    const plain = watchdog(streamOf(bytes, 65_536), 5_000, new AbortController().signal);
    assert.equal(
      (await store.put(id, plain.stream, { signal: plain.signal })).size,
      bytes.byteLength,
    );
  });
  const overBytes = watchdog(byteStreamOf(bytes).stream, 5_000, new AbortController().signal);
  assert.deepEqual(await readAll(overBytes.stream), bytes);
});

Deno.test("watchdog() aborts a transfer whose source goes silent, and the store keeps nothing", async () => {
  await withStore(async (store) => {
    let cancelled = false;
    const silent = new ReadableStream({
      type: "bytes",
      pull: () => new Promise(() => {}),
      cancel: () => void (cancelled = true),
    });
    const watched = watchdog(silent, 50, new AbortController().signal);
    await assert.rejects(store.put(id, watched.stream, { signal: watched.signal }), /stalled/);
    assert.equal(cancelled, true);
    assert.equal(await store.has(id), false);
  });
});

Deno.test("watchdog() stops when the outer signal aborts mid-transfer", async () => {
  await withStore(async (store) => {
    const outer = new AbortController();
    let sent = 0;
    const slow = new ReadableStream({
      type: "bytes",
      async pull(c) {
        if (sent++ === 3) outer.abort(new Error("node stopping"));
        await new Promise((r) => setTimeout(r, 5));
        const view = c.byobRequest?.view;
        if (view) c.byobRequest!.respond(Math.min(view.byteLength, 10_000));
        else c.enqueue(new Uint8Array(10_000));
      },
    });
    const watched = watchdog(slow, 5_000, outer.signal);
    await assert.rejects(
      store.put(id, watched.stream, { signal: watched.signal }),
      /node stopping/,
    );
    assert.equal(await store.has(id), false);
  });
});
