import assert from "node:assert/strict";
import { DataLink, type DataLinkOptions, LinkClosedError } from "./data_link.ts";
import { memoryChannelPair } from "./_memory_channel.ts";
import { encodeFrame, FrameType } from "./link_frames.ts";

function pair(
  handler: (req: Request) => Promise<Response>,
  options: Partial<DataLinkOptions> = {},
  copies = true,
) {
  const [a, b] = memoryChannelPair(true, copies);
  const closed: string[] = [];
  const client = new DataLink(a, { role: "offerer", ...options, onClose: (r) => closed.push(r) });
  const server = new DataLink(b, { role: "answerer", handler, ...options });
  return {
    client,
    server,
    channel: a,
    serverChannel: b,
    closed,
    [Symbol.dispose]() {
      client.close();
      server.close();
    },
  };
}

function bytes(n: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

Deno.test("DataLink carries a request with its headers and body, and the answer back", async () => {
  using p = pair(async (req) => {
    const body = new Uint8Array(await req.arrayBuffer());
    return Response.json({
      method: req.method,
      path: new URL(req.url).pathname + new URL(req.url).search,
      sig: req.headers.get("p2pos-signature"),
      size: body.byteLength,
    }, { status: 201, headers: { "p2pos-node": "OAK" } });
  });
  const res = await p.client.fetch("/internal/v1/records?after=4", {
    method: "POST",
    headers: { "p2pos-signature": "abc", "content-type": "application/json" },
    body: bytes(200_000),
  });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get("p2pos-node"), "OAK");
  assert.deepEqual(await res.json(), {
    method: "POST",
    path: "/internal/v1/records?after=4",
    sig: "abc",
    size: 200_000,
  });
  assert.equal(p.client.activeStreams, 0, "the stream is forgotten once complete");
});

Deno.test("DataLink moves a large body intact and never runs more than a window ahead", async () => {
  const size = 3 * 1024 * 1024 + 17;
  const payload = bytes(size, 7);
  const window = 256 * 1024;
  using p = pair(
    () => Promise.resolve(new Response(payload, { headers: { "content-length": String(size) } })),
    {
      window,
    },
  );
  const res = await p.client.fetch("/internal/v1/blobs/x", { method: "GET" });
  assert.equal(res.headers.get("content-length"), String(size));
  const reader = res.body!.getReader();
  let got = 0;
  let maxAhead = 0;
  const parts: Uint8Array[] = [];
  while (true) {
    // A slow consumer: the sender must wait for credit instead of flooding the channel.
    await new Promise((r) => setTimeout(r, 1));
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.byteLength;
    maxAhead = Math.max(maxAhead, p.server.bytesSent - got);
  }
  assert.equal(got, size);
  assert.ok(maxAhead <= window, `the sender ran ${maxAhead} bytes ahead of a ${window} window`);
  const joined = new Uint8Array(got);
  let off = 0;
  for (const part of parts) {
    joined.set(part, off);
    off += part.byteLength;
  }
  assert.deepEqual(joined, payload);
  assert.ok(p.channel.sent.every((f) => f.byteLength <= 5 + 65536), "frames are ≤ 64 KiB");
});

for (const copies of [false, true]) {
  Deno.test(
    `DataLink reads a stored file's stream straight into frames, intact over a channel that ${
      copies ? "copies each frame (one buffer serves the body)" : "keeps the frames it is given"
    }`,
    async () => {
      const size = 3 * 1024 * 1024 + 17;
      const payload = bytes(size, 11);
      const path = await Deno.makeTempFile();
      try {
        await Deno.writeFile(path, payload);
        using p = pair(
          async () => {
            const file = await Deno.open(path);
            return new Response(file.readable, { headers: { "content-length": String(size) } });
          },
          { window: 256 * 1024 },
          copies,
        );
        const res = await p.client.fetch("/internal/v1/blobs/x", { method: "GET" });
        // A slow consumer, so the sender reads while earlier frames are still on the channel.
        const parts: Uint8Array<ArrayBuffer>[] = [];
        for await (const part of res.body!) {
          parts.push(part.slice());
          await new Promise((r) => setTimeout(r, 1));
        }
        assert.deepEqual(new Uint8Array(await new Blob(parts).arrayBuffer()), payload);
        const data = p.serverChannel.sent.filter((f) => f[0] === FrameType.Data);
        assert.ok(data.length >= size / 65536, `${data.length} data frames`);
        assert.ok(data.every((f) => f.byteLength <= 5 + 65536), "frames are ≤ 64 KiB");
        // The link writes the next frame into the buffer it sent only when the channel copies:
        // it reads into it again, which detaches the frame it gave. A channel that keeps its
        // frames (werift) must never see one taken back.
        const given = p.serverChannel.given;
        const taken = given.filter((f) => (f.buffer as ArrayBuffer).detached).length;
        if (copies) assert.ok(taken >= data.length - 1, `${taken} of ${data.length} reused`);
        else assert.equal(taken, 0);
      } finally {
        await Deno.remove(path);
      }
    },
  );
}

Deno.test("DataLink: a reader that cancels stops the sender", async () => {
  let cancelled: unknown;
  using p = pair(() =>
    Promise.resolve(
      new Response(
        new ReadableStream({
          pull(c) {
            c.enqueue(bytes(65536));
          },
          cancel(reason) {
            cancelled = reason ?? "cancelled";
          },
        }),
      ),
    )
  );
  const res = await p.client.fetch("/internal/v1/blobs/x", { method: "GET" });
  const reader = res.body!.getReader();
  await reader.read();
  await reader.cancel("enough");
  for (let i = 0; i < 50 && !cancelled; i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cancelled, "the answer's source was cancelled");
  assert.equal(p.server.activeStreams, 0);
});

Deno.test("DataLink fails what is in flight when the link closes", async () => {
  using p = pair(() =>
    Promise.resolve(
      new Response(
        new ReadableStream({
          pull(c) {
            c.enqueue(bytes(65536));
          },
        }),
      ),
    )
  );
  const res = await p.client.fetch("/internal/v1/blobs/x", { method: "GET" });
  const reader = res.body!.getReader();
  await reader.read();
  p.server.close("gone");
  await assert.rejects(async () => {
    while (!(await reader.read()).done) { /* drain */ }
  }, LinkClosedError);
  await assert.rejects(p.client.fetch("/x", { method: "GET" }), LinkClosedError);
});

Deno.test("DataLink closes on a malformed frame or on bytes sent past the credit", async () => {
  for (
    const bad of [
      new Uint8Array([99, 0, 0, 0, 1]),
      encodeFrame(FrameType.Request, 2, new TextEncoder().encode("{not json")),
      new Uint8Array(3),
    ]
  ) {
    using p = pair(() => Promise.resolve(new Response("ok")));
    p.channel.inject(bad);
    for (let i = 0; i < 50 && !p.closed.length; i++) await new Promise((r) => setTimeout(r, 2));
    assert.match(p.closed[0] ?? "", /protocol error/);
  }
  // A peer that ignores flow control: the window is 64 KiB, it sends 128 KiB at once.
  using p = pair(() => new Promise(() => {}), { window: 65536 });
  const res = p.client.fetch("/slow", { method: "POST", body: bytes(10) });
  res.catch(() => {});
  p.channel.inject(
    encodeFrame(FrameType.Response, 1, new TextEncoder().encode('{"status":200,"headers":{}}')),
  );
  p.channel.inject(encodeFrame(FrameType.Data, 1, bytes(65536)));
  p.channel.inject(encodeFrame(FrameType.Data, 1, bytes(65536)));
  for (let i = 0; i < 50 && !p.closed.length; i++) await new Promise((r) => setTimeout(r, 2));
  assert.match(p.closed[0] ?? "", /past its credit/);
});

Deno.test("DataLink: an aborted request resets its stream", async () => {
  using p = pair(() => new Promise(() => {}));
  const ac = new AbortController();
  const pending = p.client.fetch("/internal/v1/hello", { method: "GET", signal: ac.signal });
  ac.abort(new Error("timeout"));
  await assert.rejects(pending, /timeout/);
  assert.equal(p.client.activeStreams, 0);
});
