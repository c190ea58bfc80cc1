/**
 * Two relay instances sharing a real NATS server (Debian `nats-server`,
 * started here on 127.0.0.1): nodes registered on different instances reach
 * each other, an unknown id is still refused, a node that moves takes its
 * registration with it, and a bus with credentials refuses strangers.
 */

import assert from "node:assert/strict";
import net from "node:net";
import { NatsBus } from "./nats_bus.ts";
import { serveRelay } from "./serve_relay.ts";
import { startNats } from "../tests/_support/nats.ts";
import { befriend, startTestNode, type TestNode, until } from "../tests/_support/webrtc.ts";

async function cluster(natsUrl: string) {
  const buses = [
    await NatsBus.connect({ servers: [natsUrl] }),
    await NatsBus.connect({ servers: [natsUrl] }),
  ];
  const relays = await Promise.all(
    buses.map((bus) => serveRelay({ host: "127.0.0.1", port: 0 }, { bus })),
  );
  return {
    relays,
    async [Symbol.asyncDispose]() {
      for (const r of relays) await r.shutdown();
      for (const b of buses) await b.close();
    },
  };
}

function stopAll(...nodes: TestNode[]) {
  for (const n of nodes) n.stop();
}

Deno.test("Nodes registered on two relay instances that share NATS open a data channel", async () => {
  const nats = await startNats();
  try {
    await using c = await cluster(nats.url);
    const [r1, r2] = c.relays;
    const a = await startTestNode(r1.url);
    const b = await startTestNode(r2.url, {
      handler: (req) => Promise.resolve(Response.json({ via: new URL(req.url).pathname })),
    });
    try {
      befriend(a, b);
      assert.ok(await a.signal.waitRegistered(5_000));
      assert.ok(await b.signal.waitRegistered(5_000));
      const link = await a.links.connect({ nodeId: b.signer.nodeId, publicKey: "" });
      const res = await link.fetch("/internal/v1/x", {
        method: "GET",
        headers: { "p2pos-node": a.signer.nodeId },
      });
      assert.deepEqual(await res.json(), { via: "/internal/v1/x" });
      const s1 = r1.relay.stats();
      const s2 = r2.relay.stats();
      assert.ok(s1.forwardedViaBus >= 1 && s2.deliveredFromBus >= 1, "the offer crossed the bus");
      assert.ok(s2.forwardedViaBus >= 1 && s1.deliveredFromBus >= 1, "the answer came back");
      assert.equal(s1.bus, "nats");
      assert.equal(s1.busConnected, true);
    } finally {
      stopAll(a, b);
    }
  } finally {
    await nats.stop();
  }
});

Deno.test("A signal to an id no instance holds is refused as not registered", async () => {
  const nats = await startNats();
  try {
    await using c = await cluster(nats.url);
    const a = await startTestNode(c.relays[0].url);
    const errors: string[] = [];
    try {
      assert.ok(await a.signal.waitRegistered(5_000));
      const ghost = await startTestNode(c.relays[1].url);
      const ghostId = ghost.signer.nodeId;
      assert.ok(await ghost.signal.waitRegistered(5_000));
      ghost.stop();
      await until("the ghost gone", () => c.relays[1].relay.stats().registered === 0);
      befriend(a, ghost);
      await assert.rejects(
        a.links.connect({ nodeId: ghostId, publicKey: "" }),
        (err: Error) => {
          errors.push(err.message);
          return /not_registered/.test(err.message);
        },
      );
      assert.match(errors[0], /other instances/);
    } finally {
      stopAll(a);
    }
  } finally {
    await nats.stop();
  }
});

Deno.test("A node that registers on the other instance takes its registration with it", async () => {
  const nats = await startNats();
  try {
    await using c = await cluster(nats.url);
    const [r1, r2] = c.relays;
    const a = await startTestNode(r1.url);
    try {
      assert.ok(await a.signal.waitRegistered(5_000));
      // The same key registers on instance 2 (as a node that moved would).
      const moved = await startTestNode(r2.url, { signer: a.signer });
      try {
        assert.ok(await moved.signal.waitRegistered(5_000));
        await until(
          "instance 1 to let the stale connection go",
          () => r1.relay.stats().registered === 0,
        );
        assert.equal(r2.relay.stats().registered, 1);
      } finally {
        moved.stop();
      }
    } finally {
      a.stop();
    }
  } finally {
    await nats.stop();
  }
});

Deno.test("A relay with a wrong bus password does not start, and says where it tried", async () => {
  const nats = await startNats({ user: "relay", pass: "right" });
  try {
    const wrong = nats.url.replace("right", "wrong");
    await assert.rejects(
      NatsBus.connect({ servers: [wrong] }),
      (err: Error) =>
        /Cannot reach the NATS bus at 127\.0\.0\.1:\d+/.test(err.message) &&
        !err.message.includes("wrong"),
    );
    const ok = await NatsBus.connect({ servers: [nats.url] });
    assert.equal(ok.connected, true);
    await ok.close();
  } finally {
    await nats.stop();
  }
});

Deno.test("With the bus down, nodes still register and meet on the same instance", async () => {
  const nats = await startNats();
  await using c = await cluster(nats.url);
  await nats.stop();
  const a = await startTestNode(c.relays[0].url);
  const b = await startTestNode(c.relays[0].url);
  try {
    befriend(a, b);
    assert.ok(await a.signal.waitRegistered(10_000), "registered without the bus");
    assert.ok(await b.signal.waitRegistered(10_000));
    await a.links.connect({ nodeId: b.signer.nodeId, publicKey: "" });
    assert.equal(c.relays[0].relay.stats().busConnected, false);
  } finally {
    stopAll(a, b);
  }
});

Deno.test("When NATS comes back, nodes on different instances reach each other again", async () => {
  let nats = await startNats();
  const port = nats.port;
  try {
    await using c = await cluster(nats.url);
    await nats.stop();
    await until(
      "both relays to see the bus gone",
      () => c.relays.every((r) => r.relay.stats().busConnected === false),
    );
    nats = await startNats({ port });
    await until(
      "both relays back on the bus",
      () => c.relays.every((r) => r.relay.stats().busConnected === true),
      30_000,
    );
    const a = await startTestNode(c.relays[0].url);
    const b = await startTestNode(c.relays[1].url);
    try {
      befriend(a, b);
      assert.ok(await a.signal.waitRegistered(10_000));
      assert.ok(await b.signal.waitRegistered(10_000));
      await a.links.connect({ nodeId: b.signer.nodeId, publicKey: "" });
    } finally {
      stopAll(a, b);
    }
  } finally {
    await nats.stop();
  }
});

Deno.test("A server that refuses the password and resets the connection does not crash the relay", async () => {
  // What nats-server does on a wrong password, with the reset on the heels of the -ERR (a real
  // server does so when the client's PING arrives after it closed): before the fix, nats.js
  // dropped the socket's listeners on the -ERR and the late `read ECONNRESET` was an uncaught
  // error that stopped the process.
  const server = net.createServer((c) => {
    c.on("error", () => {});
    c.write(
      'INFO {"server_id":"fake","version":"2.9.0","proto":1,"auth_required":true,"max_payload":1048576}\r\n',
    );
    c.once("data", () => c.write("-ERR 'Authorization Violation'\r\n", () => c.resetAndDestroy()));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as net.AddressInfo;
  try {
    for (let i = 0; i < 5; i++) {
      await assert.rejects(
        NatsBus.connect({
          servers: [`nats://relay:pw@127.0.0.1:${port}`],
          connectTimeoutMs: 1_000,
        }),
        /Cannot reach the NATS bus at 127\.0\.0\.1:\d+/,
      );
    }
    // A late reset would surface here, between tests, as an uncaught error.
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await new Promise((ok) => server.close(ok));
  }
});
