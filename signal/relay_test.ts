import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { toBase64Url } from "../lib/crypto/mod.ts";
import { registrationInput } from "../lib/net/signal_protocol.ts";
import { SignalClient } from "../lib/net/signal_client.ts";
import { newSigner, startRelay } from "../tests/_support/webrtc.ts";

/** A raw WebSocket to the relay, recording what it receives and how it closed. */
async function raw(url: string) {
  const ws = new WebSocket(url);
  const got: Record<string, unknown>[] = [];
  let closed: { code: number; reason: string } | undefined;
  const waiters: (() => void)[] = [];
  ws.onmessage = (e) => {
    got.push(JSON.parse(e.data));
    for (const w of waiters.splice(0)) w();
  };
  ws.onclose = (e) => {
    closed = { code: e.code, reason: e.reason };
    for (const w of waiters.splice(0)) w();
  };
  await new Promise((r, j) => {
    ws.onopen = r;
    ws.onerror = j;
  });
  const until = async (ok: () => boolean, what: string) => {
    const deadline = Date.now() + 5_000;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
      await Promise.race([
        new Promise<void>((r) => waiters.push(r)),
        new Promise((r) => setTimeout(r, 50)),
      ]);
    }
  };
  await until(() => got.length > 0, "the challenge");
  return {
    ws,
    got,
    nonce: got[0].nonce as string,
    closed: () => closed,
    until,
    close: () => ws.close(),
  };
}

function client(url: string, signer: Awaited<ReturnType<typeof newSigner>>) {
  const inbox: { from: string; data: Record<string, unknown> }[] = [];
  const errors: { code: string; to?: string }[] = [];
  const c = new SignalClient({
    urls: [url],
    signer,
    onSignal: (from, data) => inbox.push({ from, data }),
    onError: (code, _m, to) => errors.push({ code, to }),
  });
  c.start();
  return { c, inbox, errors };
}

Deno.test("The relay forwards signals between registered nodes, naming the sender", async () => {
  await using relay = await startRelay();
  const [a, b] = [await newSigner(), await newSigner()];
  const ca = client(relay.url, a);
  const cb = client(relay.url, b);
  try {
    assert.ok(await ca.c.waitRegistered(5_000));
    assert.ok(await cb.c.waitRegistered(5_000));
    assert.ok(ca.c.send(b.nodeId, { hello: "pine" }));
    const deadline = Date.now() + 5_000;
    while (!cb.inbox.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(cb.inbox, [{ from: a.nodeId, data: { hello: "pine" } }]);
    // To an id that is not registered: an error naming it, and the connection stays.
    const ghost = await newSigner();
    ca.c.send(ghost.nodeId, { hello: "nobody" });
    while (!ca.errors.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(ca.errors, [{ code: "not_registered", to: ghost.nodeId }]);
    assert.ok(ca.c.registered);
    assert.equal(relay.relay.stats().registered, 2);
  } finally {
    ca.c.stop();
    cb.c.stop();
  }
});

Deno.test("The relay refuses to register a node id without its key's signature", async () => {
  await using relay = await startRelay();
  const host = new URL(relay.url).host;
  const victim = await newSigner();
  const attacker = await newSigner();
  const register = (nodeId: string, publicKey: Uint8Array, signature: Uint8Array) =>
    JSON.stringify({
      type: "register",
      nodeId,
      publicKey: toBase64Url(publicKey),
      signature: toBase64Url(signature),
    });

  // The victim's id with the attacker's key (and a valid signature by that key).
  let c = await raw(relay.url);
  c.ws.send(register(
    victim.nodeId,
    attacker.publicKey,
    await attacker.sign(registrationInput(host, c.nonce, victim.nodeId)),
  ));
  await c.until(() => c.closed() !== undefined, "the close");
  assert.equal(c.got[1]?.code, "bad_registration");
  assert.equal(c.closed()!.code, 1008);

  // The victim's key with a signature over another challenge (a replayed registration).
  const earlier = await raw(relay.url);
  earlier.close();
  c = await raw(relay.url);
  c.ws.send(register(
    victim.nodeId,
    victim.publicKey,
    await victim.sign(registrationInput(host, earlier.nonce, victim.nodeId)),
  ));
  await c.until(() => c.closed() !== undefined, "the close");
  assert.equal(c.got[1]?.code, "bad_registration");

  // The victim's signature for this challenge but given to another relay (another host).
  c = await raw(relay.url);
  c.ws.send(register(
    victim.nodeId,
    victim.publicKey,
    await victim.sign(registrationInput("evil.example:443", c.nonce, victim.nodeId)),
  ));
  await c.until(() => c.closed() !== undefined, "the close");
  assert.equal(c.got[1]?.code, "bad_registration");
  assert.equal(relay.relay.stats().registered, 0);

  // The victim itself registers fine.
  c = await raw(relay.url);
  c.ws.send(register(
    victim.nodeId,
    victim.publicKey,
    await victim.sign(registrationInput(host, c.nonce, victim.nodeId)),
  ));
  await c.until(() => c.got.length > 1, "the answer");
  assert.equal(c.got[1].type, "registered");
  c.close();
});

Deno.test("The relay hands registered nodes TURN REST credentials coturn accepts", async () => {
  await using relay = await startRelay({
    turn: { secret: "s3cret", urls: ["turn:127.0.0.1:3478"], ttlSecs: 600 },
  });
  const node = await newSigner();
  const cl = client(relay.url, node);
  try {
    assert.ok(await cl.c.waitRegistered(5_000));
    const t = cl.c.turn!;
    assert.deepEqual(t.urls, ["turn:127.0.0.1:3478"]);
    const [expiry, id] = t.username.split(":");
    assert.equal(id, node.nodeId);
    assert.ok(Number(expiry) * 1000 > Date.now() + 590_000);
    assert.equal(t.credential, createHmac("sha1", "s3cret").update(t.username).digest("base64"));
  } finally {
    cl.c.stop();
  }
});

Deno.test("The relay closes connections that send garbage and throttles a flooding id", async () => {
  await using relay = await startRelay();
  const host = new URL(relay.url).host;
  const cases: [string, string | Uint8Array][] = [
    ["malformed JSON", "{not json"],
    ["unknown type", JSON.stringify({ type: "subscribe", topic: "*" })],
    ["oversize", JSON.stringify({ type: "ping", pad: "x".repeat(70_000) })],
    ["signal before registering", JSON.stringify({ type: "signal", to: "A", data: {} })],
    ["binary", new Uint8Array([1, 2, 3])],
  ];
  for (const [what, frame] of cases) {
    const c = await raw(relay.url);
    c.ws.send(frame);
    await c.until(() => c.closed() !== undefined, what);
    assert.ok([1003, 1008, 1009].includes(c.closed()!.code), `${what}: ${c.closed()!.code}`);
  }
  // A registered node that floods: throttled, then closed.
  const flooder = await newSigner();
  const c = await raw(relay.url);
  c.ws.send(JSON.stringify({
    type: "register",
    nodeId: flooder.nodeId,
    publicKey: toBase64Url(flooder.publicKey),
    signature: toBase64Url(await flooder.sign(registrationInput(host, c.nonce, flooder.nodeId))),
  }));
  await c.until(() => c.got.length > 1, "registration");
  for (let i = 0; i < 1000; i++) c.ws.send(JSON.stringify({ type: "ping" }));
  await c.until(() => c.closed() !== undefined, "the flooder's close");
  assert.ok(relay.relay.stats().throttled > 0, "it was throttled before it was closed");
  assert.ok(relay.relay.stats().closedForAbuse >= cases.length + 1);
});
