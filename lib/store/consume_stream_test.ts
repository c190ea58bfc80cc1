import assert from "node:assert/strict";
import { StalledError } from "../core/errors.ts";
import { consumeStream, MIN_BYOB_VIEW } from "./_consume_stream.ts";
import { BufferedWriter } from "./_buffered_writer.ts";
import { chunkedBody, EDGE_SIZES, filesUnder, patterned, sha256, withStore } from "./_testing.ts";

const MiB = 1 << 20;

Deno.test("A Deno.serve request body is read whole at every size around the buffer edges, chunked or with Content-Length", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const writer = new BufferedWriter(null);
      try {
        const r = await consumeStream(req.body!, writer, { what: "read the body", stallMs: 5_000 });
        return Response.json(r);
      } catch (err) {
        return Response.json({ error: String(err) }, { status: 500 });
      } finally {
        await writer.release();
      }
    },
  );
  const url = `http://127.0.0.1:${server.addr.port}/`;
  for (const [i, size] of EDGE_SIZES.entries()) {
    const bytes = patterned(size, i);
    const expected = { hex: sha256(bytes), size };
    for (const body of [bytes, chunkedBody(bytes)]) {
      // Before the workaround a chunked body of these sizes never finished: the bound makes
      // that a failure naming the size instead of a hung test.
      const res = await fetch(url, {
        method: "PUT",
        body: body as BodyInit,
        signal: AbortSignal.timeout(10_000),
      });
      assert.deepEqual(
        await res.json(),
        expected,
        `${size} bytes, ${body instanceof Uint8Array ? "Content-Length" : "chunked"}`,
      );
    }
  }
});

Deno.test("consumeStream() reads through a scratch buffer only when the writer's room is short", async () => {
  // A byte stream whose reads record the view sizes they were given.
  const views: number[] = [];
  const size = MiB + 3 * MIN_BYOB_VIEW;
  let sent = 0;
  const source = new ReadableStream({
    type: "bytes",
    pull(c) {
      const view = c.byobRequest!.view!;
      views.push(view.byteLength);
      if (sent >= size) {
        c.close();
        c.byobRequest!.respond(0);
        return;
      }
      // Fill most of the view, leaving a short remainder at the end of the 1 MiB buffer.
      const n = Math.min(view.byteLength, size - sent, MiB - 100);
      sent += n;
      c.byobRequest!.respond(n);
    },
  });
  const writer = new BufferedWriter(null);
  try {
    const r = await consumeStream(source, writer, { what: "test" });
    assert.equal(r.size, size);
  } finally {
    await writer.release();
  }
  assert.ok(views.every((v) => v >= MIN_BYOB_VIEW), `views: ${views.join(", ")}`);
});

Deno.test("BlobStore.put() with stallMs fails with StalledError when the sender goes silent, and keeps nothing", async () => {
  await withStore(async (store, root) => {
    let cancelled: unknown;
    const silent = new ReadableStream<Uint8Array>({
      start: (c) => c.enqueue(new Uint8Array(1000)),
      pull: () => new Promise(() => {}),
      cancel: (reason) => void (cancelled = reason),
    });
    await assert.rejects(store.put("0".repeat(64), silent, { stallMs: 50 }), (err) => {
      assert.ok(err instanceof StalledError);
      assert.match(err.message, /no bytes arrived for 50 ms \(1000 so far\)/);
      return true;
    });
    assert.ok(cancelled instanceof StalledError, "the source was cancelled");
    assert.deepEqual(await filesUnder(root), []);
  });
});

Deno.test("BlobStore.put() with stallMs takes a slow but steady sender", async () => {
  await withStore(async (store) => {
    const bytes = patterned(20, 1);
    let i = 0;
    const slow = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (i >= bytes.byteLength) return c.close();
        await new Promise((r) => setTimeout(r, 15));
        c.enqueue(bytes.subarray(i, ++i));
      },
    });
    // 20 chunks 15 ms apart: 300 ms in all, longer than the limit, each gap far under it
    // (wide, so a loaded machine's late timers cannot make a gap look like a stall).
    const r = await store.put(sha256(bytes), slow, { stallMs: 120 });
    assert.equal(r.size, 20);
  });
});
