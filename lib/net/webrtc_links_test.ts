/**
 * Real werift peer connections in one process, meeting through a real relay on
 * 127.0.0.1: links open, carry requests, refuse impostors, survive a flood of
 * garbage at the relay, and follow the relay's lease.
 */

import assert from "node:assert/strict";
import { toBase64Url } from "../crypto/mod.ts";
import { registrationInput } from "./signal_protocol.ts";
import {
  befriend,
  newSigner,
  startRelay,
  startTestNode,
  type TestNode,
  until,
} from "../../tests/_support/webrtc.ts";

function stopAll(...nodes: TestNode[]) {
  for (const n of nodes) n.stop();
}

Deno.test("Two family nodes meet through the relay and talk over a data channel", async () => {
  await using relay = await startRelay();
  const a = await startTestNode(relay.url);
  const b = await startTestNode(relay.url, {
    handler: (req) =>
      Promise.resolve(
        Response.json({ got: new URL(req.url).pathname, from: req.headers.get("p2pos-node") }),
      ),
  });
  try {
    befriend(a, b);
    await a.signal.waitRegistered(5_000);
    await b.signal.waitRegistered(5_000);
    const link = await a.links.connect({ nodeId: b.signer.nodeId, publicKey: "" });
    assert.equal(a.links.path(b.signer.nodeId), "webrtc/host");
    const res = await link.fetch("/internal/v1/hello", {
      method: "GET",
      headers: { "p2pos-node": a.signer.nodeId },
    });
    assert.deepEqual(await res.json(), { got: "/internal/v1/hello", from: a.signer.nodeId });
    // Only /internal/v1, and only signed by the node at the other end.
    const outside = await link.fetch("/v1/albums", {
      method: "GET",
      headers: { "p2pos-node": a.signer.nodeId },
    });
    assert.equal(outside.status, 404);
    await outside.body?.cancel();
    const posing = await link.fetch("/internal/v1/hello", {
      method: "GET",
      headers: { "p2pos-node": "SOMEONE-ELSE" },
    });
    assert.equal(posing.status, 401);
    await posing.body?.cancel();
    // b sees the same link from its side.
    await until("b's end", () => b.links.link(a.signer.nodeId));
  } finally {
    stopAll(a, b);
  }
});

Deno.test("Offers from a key that is not a family node, or whose fingerprint the relay swapped, are refused", async () => {
  await using relay = await startRelay();
  const a = await startTestNode(relay.url);
  const b = await startTestNode(relay.url);
  const stranger = await startTestNode(relay.url);
  try {
    befriend(a, b);
    stranger.family.set(b.signer.nodeId, toBase64Url(b.signer.publicKey));
    for (const n of [a, b, stranger]) await n.signal.waitRegistered(5_000);
    await assert.rejects(stranger.links.connect({ nodeId: b.signer.nodeId, publicKey: "" }));
    await until("b's refusal", () => b.refused.find((r) => r.from === stranger.signer.nodeId));
    assert.equal(b.refused[0].code, "unknown_node");
    assert.equal(b.links.link(stranger.signer.nodeId), undefined);

    // A relay in the middle: it puts its own DTLS fingerprint in a's offer on its way to b.
    const deliver = b.links.onSignal.bind(b.links);
    b.links.onSignal = (from, data) => {
      const sdp = String(data.sdp ?? "");
      deliver(from, {
        ...data,
        sdp: sdp.replace(/(a=fingerprint:sha-256 )\S+/g, `$1${"EE:".repeat(31)}FF`),
      });
    };
    await assert.rejects(a.links.connect({ nodeId: b.signer.nodeId, publicKey: "" }));
    await until("b's second refusal", () => b.refused.find((r) => r.from === a.signer.nodeId));
    assert.equal(b.refused.find((r) => r.from === a.signer.nodeId)!.code, "fingerprint");
    assert.equal(b.links.link(a.signer.nodeId), undefined);
  } finally {
    stopAll(a, b, stranger);
  }
});

Deno.test("When both nodes offer at once they end up on one link", async () => {
  await using relay = await startRelay();
  const a = await startTestNode(relay.url);
  const b = await startTestNode(relay.url);
  try {
    befriend(a, b);
    await a.signal.waitRegistered(5_000);
    await b.signal.waitRegistered(5_000);
    const [la, lb] = await Promise.all([
      a.links.connect({ nodeId: b.signer.nodeId, publicKey: "" }),
      b.links.connect({ nodeId: a.signer.nodeId, publicKey: "" }),
    ]);
    assert.ok(!la.closed && !lb.closed);
    const res = await la.fetch("/internal/v1/x", {
      method: "GET",
      headers: { "p2pos-node": a.signer.nodeId },
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  } finally {
    stopAll(a, b);
  }
});

Deno.test("The relay is the links' lease: they close when it goes and open again when it is back", async () => {
  const relay = await startRelay();
  const port = relay.port;
  const a = await startTestNode(relay.url);
  const b = await startTestNode(relay.url);
  let again: Awaited<ReturnType<typeof startRelay>> | undefined;
  try {
    befriend(a, b);
    await a.signal.waitRegistered(5_000);
    await b.signal.waitRegistered(5_000);
    const link = await a.links.connect({ nodeId: b.signer.nodeId, publicKey: "" });
    await relay.shutdown();
    await until("the link to close", () => link.closed);
    await assert.rejects(a.links.connect({ nodeId: b.signer.nodeId, publicKey: "" }), /relay/);
    const { serveRelay } = await import("../../signal/mod.ts");
    again = await serveRelay({ host: "127.0.0.1", port });
    await until("a back on the relay", () => a.signal.registered && b.signal.registered);
    const fresh = await a.links.connect({ nodeId: b.signer.nodeId, publicKey: "" });
    assert.ok(!fresh.closed);
  } finally {
    stopAll(a, b);
    await again?.shutdown();
  }
});

Deno.test("After 10,000 malformed frames the relay still connects a good pair", async () => {
  await using relay = await startRelay();
  const host = new URL(relay.url).host;
  const flooder = await newSigner();
  const frames = [
    "{not json",
    JSON.stringify({ type: "nope" }),
    JSON.stringify({ type: "signal", to: flooder.nodeId, data: {} }),
    "x".repeat(70_000),
    JSON.stringify({
      type: "register",
      nodeId: flooder.nodeId,
      publicKey: "A".repeat(43),
      signature: "B".repeat(86),
    }),
  ];
  let sent = 0;
  // 50 connections × 200 frames: each is closed at its first bad frame; the rest hit a closed door.
  await Promise.all(Array.from({ length: 50 }, async (_, i) => {
    const ws = new WebSocket(relay.url);
    await new Promise((r) => {
      ws.onmessage = r;
      ws.onerror = r;
    });
    for (let k = 0; k < 200; k++) {
      try {
        ws.send(frames[(i + k) % frames.length]);
        sent++;
      } catch {
        sent++; // the relay already closed it
      }
    }
    await new Promise((r) => {
      ws.onclose = r;
      setTimeout(r, 3_000);
    });
  }));
  // And a registered node flooding signals to ids that are not there.
  const ws = new WebSocket(relay.url);
  const challenge = await new Promise<{ nonce: string }>((r) =>
    ws.onmessage = (e) => r(JSON.parse(e.data))
  );
  const registered = new Promise<void>((r) =>
    ws.onmessage = (e) => JSON.parse(e.data).type === "registered" && r()
  );
  ws.send(JSON.stringify({
    type: "register",
    nodeId: flooder.nodeId,
    publicKey: toBase64Url(flooder.publicKey),
    signature: toBase64Url(
      await flooder.sign(registrationInput(host, challenge.nonce, flooder.nodeId)),
    ),
  }));
  const ghost = (await newSigner()).nodeId;
  await registered;
  for (let k = 0; k < 1_000 && ws.readyState === WebSocket.OPEN; k++) {
    ws.send(JSON.stringify({ type: "signal", to: ghost, data: { k } }));
  }
  ws.close();
  assert.equal(sent, 10_000);
  assert.ok(relay.relay.stats().closedForAbuse >= 50);

  const a = await startTestNode(relay.url);
  const b = await startTestNode(relay.url);
  try {
    befriend(a, b);
    assert.ok(await a.signal.waitRegistered(10_000));
    assert.ok(await b.signal.waitRegistered(10_000));
    const link = await a.links.connect({ nodeId: b.signer.nodeId, publicKey: "" });
    assert.ok(!link.closed);
  } finally {
    stopAll(a, b);
  }
});

Deno.test("With two lanes in Workers, a peer gets two connections and concurrent transfers use both", async () => {
  await using relay = await startRelay();
  const body = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) & 0xff);
  const digest = async (b: Uint8Array<ArrayBuffer>) =>
    toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", b)));
  const want = await digest(body);
  const a = await startTestNode(relay.url, { lanes: 2, workers: true });
  const b = await startTestNode(relay.url, {
    lanes: 2,
    workers: true,
    // Echoes the request body back: every byte crosses both Worker boundaries twice.
    handler: async (req) => new Response(new Uint8Array(await req.arrayBuffer())),
  });
  try {
    befriend(a, b);
    await a.signal.waitRegistered(5_000);
    await b.signal.waitRegistered(5_000);
    const peer = { nodeId: b.signer.nodeId, publicKey: "" };
    await a.links.connect(peer);
    await until("the second lane", () => a.links.openLanes(b.signer.nodeId) === 2, 30_000);
    await until("b's two lanes", () => b.links.openLanes(a.signer.nodeId) === 2);
    const used = new Set<unknown>();
    const echoes = await Promise.all([0, 1, 2, 3].map(async () => {
      const link = await a.links.connect(peer);
      used.add(link);
      const res = await link.fetch("/internal/v1/echo", {
        method: "POST",
        headers: { "p2pos-node": a.signer.nodeId },
        body,
      });
      assert.equal(res.status, 200);
      return await digest(new Uint8Array(await res.arrayBuffer()));
    }));
    assert.deepEqual(echoes, [want, want, want, want]);
    assert.equal(used.size, 2, "the four transfers went over both lanes");
  } finally {
    stopAll(a, b);
  }
});

Deno.test("A lane that closes leaves the link up on the other; the peer is down only when both are", async () => {
  await using relay = await startRelay();
  const a = await startTestNode(relay.url, { lanes: 2 });
  const b = await startTestNode(relay.url, { lanes: 2 });
  try {
    befriend(a, b);
    await a.signal.waitRegistered(5_000);
    await b.signal.waitRegistered(5_000);
    const peer = { nodeId: b.signer.nodeId, publicKey: "" };
    const first = await a.links.connect(peer);
    await until("two lanes", () => a.links.openLanes(b.signer.nodeId) === 2, 30_000);
    first.close("test closes one lane");
    assert.equal(a.links.openLanes(b.signer.nodeId), 1);
    const other = a.links.link(b.signer.nodeId);
    assert.ok(other && other !== first, "the other lane still carries the link");
    const res = await other.fetch("/internal/v1/still", {
      method: "GET",
      headers: { "p2pos-node": a.signer.nodeId },
    });
    assert.deepEqual(await res.json(), { path: "/internal/v1/still" });
    // The next use opens the closed lane again.
    await a.links.connect(peer);
    await until("the lane back", () => a.links.openLanes(b.signer.nodeId) === 2, 30_000);
  } finally {
    stopAll(a, b);
  }
});
