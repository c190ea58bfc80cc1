/**
 * The multipath transport against a real in-process node (its Hono app, peerAuth,
 * nonce store and store), reached over HTTP and over a data-channel link on an
 * in-memory channel: which path each call takes, the retry over the other path
 * when one fails, and a pull that breaks mid-blob resuming at its offset.
 */

import assert from "node:assert/strict";
import { blobId } from "../../lib/crypto/mod.ts";
import type { PeerAddress } from "../../lib/core/transport.ts";
import { peerFixture } from "../_support/peer_fixture.ts";
import { DataLink } from "../../lib/net/data_link.ts";
import { HttpTransport } from "../../lib/net/http_transport.ts";
import { memoryChannelPair } from "../../lib/net/_memory_channel.ts";
import { MultipathTransport } from "../../lib/net/multipath_transport.ts";
import type { LinkPath, Links } from "../../lib/net/webrtc_links.ts";
import { webrtcTransport } from "../../lib/net/webrtc_transport.ts";

async function setup() {
  const f = await peerFixture();
  const httpTargets: string[] = [];
  const linkTargets: string[] = [];
  const http = new HttpTransport(f.peer, {
    fetch: ((input: string, init?: RequestInit) => {
      httpTargets.push(new URL(input).pathname + new URL(input).search);
      return f.fetch(input, init);
    }) as typeof fetch,
  });
  let link: DataLink | undefined;
  let server: DataLink | undefined;
  const open = () => {
    const [a, b] = memoryChannelPair();
    link = new DataLink(a, { role: "offerer" });
    server = new DataLink(b, {
      role: "answerer",
      handler: (req) => {
        const path = new URL(req.url).pathname + new URL(req.url).search;
        linkTargets.push(path);
        // As main.ts does: addressed to the node's own origin, which its Host guard accepts.
        return Promise.resolve(f.t.app.request(new Request(`http://node.test${path}`, req)));
      },
    });
  };
  const links: Links = {
    link: () => link && !link.closed ? link : undefined,
    path: () => link && !link.closed ? "webrtc/host" as LinkPath : undefined,
    lastError: () => undefined,
    canTry: () => false,
    connect: () => link && !link.closed ? Promise.resolve(link) : Promise.reject(new Error("down")),
  };
  const t = new MultipathTransport(http, { transport: webrtcTransport(f.peer, links), links });
  return {
    f,
    t,
    open,
    server: () => server!,
    link: () => link!,
    httpTargets,
    linkTargets,
    target: f.target as PeerAddress,
    async [Symbol.asyncDispose]() {
      link?.close();
      server?.close();
      await f[Symbol.asyncDispose]();
    },
  };
}

Deno.test("MultipathTransport sends records over the data channel when it is open, else HTTP", async () => {
  await using s = await setup();
  await s.t.hello(s.target, "0123456789abcdef");
  assert.equal(s.httpTargets.length, 1);
  assert.equal(s.t.describe(s.target).path, "http");
  s.open();
  const hello = await s.t.hello(s.target, "0123456789abcdef");
  assert.equal(hello.nodeId, s.target.nodeId, "a signed answer, checked as over HTTP");
  assert.deepEqual(s.linkTargets, ["/internal/v1/hello?index=0123456789abcdef"]);
  assert.equal(s.t.describe(s.target).path, "webrtc/host");
});

Deno.test("MultipathTransport repeats a call over HTTP when the channel fails under it", async () => {
  await using s = await setup();
  s.open();
  s.server().close("the peer's router rebooted");
  const page = await s.t.pullRecords(s.target, 0, 10);
  assert.ok(page.records.length > 0);
  assert.deepEqual(s.httpTargets, ["/internal/v1/records?after=0&limit=10"]);
});

Deno.test("MultipathTransport resumes a pull that breaks mid-blob at the offset the store reached", async () => {
  await using s = await setup();
  const bytes = new Uint8Array(3 << 20);
  for (let i = 0; i < bytes.length; i += 65536) {
    crypto.getRandomValues(bytes.subarray(i, i + 65536));
  }
  const id = await blobId(bytes);
  await s.f.t.blobs.put(id, new Blob([bytes]).stream());
  s.open();
  // First pull: each path is measured once before one is preferred, the channel first.
  const dl = await s.t.getBlob(s.target, id);
  assert.equal(dl.size, bytes.length);
  const reader = dl.stream.getReader();
  const parts: Uint8Array[] = [];
  let got = 0;
  while (got < 1 << 20) {
    const { value } = await reader.read();
    parts.push(value!);
    got += value!.byteLength;
  }
  s.link().close("channel lost");
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.byteLength;
  }
  assert.equal(got, bytes.length);
  const joined = new Uint8Array(got);
  let off = 0;
  for (const p of parts) {
    joined.set(p, off);
    off += p.byteLength;
  }
  assert.deepEqual(joined, bytes);
  assert.deepEqual(s.linkTargets, [`/internal/v1/blobs/${id}`]);
  const resumed = s.httpTargets.find((t) => t.startsWith(`/internal/v1/blobs/${id}?offset=`));
  assert.ok(resumed, `resumed over HTTP: ${s.httpTargets}`);
  const offset = Number(resumed!.split("=")[1]);
  assert.ok(offset >= 1 << 20 && offset < bytes.length, `from byte ${offset}, not 0`);
  assert.equal(s.t.describe(s.target).blobPath, "http");
});
