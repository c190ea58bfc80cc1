// deno-lint-ignore-file no-explicit-any
/**
 * The werift SCTP patch (`_werift_sctp_patch.ts`), on two real werift SCTP associations joined by
 * an in-memory wire that can hold packets back (reordering) and drop them. Only DTLS and UDP are
 * left out: each association's packets go to the other's `handleData`, as werift's DTLS would
 * hand them over.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { RTCSctpTransport } from "werift";
import {
  installWeriftSctpPatch,
  MAX_REORDER,
  reorderThreshold,
  spuriousRetransmits,
} from "./_werift_sctp_patch.ts";

installWeriftSctpPatch();

/** Decides, per packet, whether the wire drops it or holds it back behind `delay` later ones. */
type Fate = (n: number) => { drop?: boolean; delay?: number };

/** A werift SCTP association whose packets go through `wire`. */
function association(name: string, role: "client" | "server", wire: (b: Buffer) => void) {
  const dtls: any = {
    id: name,
    sendData: (data: Buffer) => {
      wire(Buffer.from(data));
      return Promise.resolve();
    },
    dataReceiver: (_: Buffer) => {},
    onStateChange: { subscribe: () => ({ unSubscribe() {} }) },
    iceTransport: { role: role === "client" ? "controlling" : "controlled" },
  };
  const transport = new RTCSctpTransport();
  transport.setDtlsTransport(dtls);
  return { transport, sctp: (transport as any).sctp, dtls };
}

/** A connected pair, client → server, with each direction's fate; `tsn` sets the client's first TSN. */
async function pair(fate: Fate, tsn?: number) {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const deliver = (to: () => any, data: Buffer) => {
    const t = setTimeout(() => {
      timers.delete(t);
      to().handleData(data).catch(() => {});
    }, 0);
    timers.add(t);
  };
  let n = 0;
  const held: { data: Buffer; left: number }[] = [];
  const forward = (data: Buffer) => {
    const f = fate(n++);
    if (f.drop) return;
    // Each packet that goes through counts down the ones held back before it.
    const due = held.filter((h) => --h.left <= 0);
    if (f.delay) held.push({ data, left: f.delay });
    else deliver(() => server.sctp, data);
    for (const h of due) {
      held.splice(held.indexOf(h), 1);
      deliver(() => server.sctp, h.data);
    }
  };
  const client = association("client", "client", forward);
  const server = association("server", "server", (d) => deliver(() => client.sctp, d));
  if (tsn !== undefined) {
    const s = client.sctp;
    s.localTsn = tsn;
    s.lastSackedTsn = s.advancedPeerAckTsn = (tsn - 1 + 2 ** 32) % 2 ** 32;
  }
  // A held packet is let go if nothing follows it for a while (the tail of a transfer).
  const flusher = setInterval(() => {
    for (const h of held.splice(0)) deliver(() => server.sctp, h.data);
  }, 20);
  const connected = new Promise<void>((r) => client.sctp.stateChanged.connected.subscribe(r));
  await server.transport.start(5000);
  await client.transport.start(5000);
  await connected;
  return {
    client: client.sctp,
    server: server.sctp,
    async close() {
      clearInterval(flusher);
      await client.sctp.stop().catch(() => {});
      await server.sctp.stop().catch(() => {});
      for (const t of timers) clearTimeout(t);
    },
  };
}

/** Sends `count` messages of `size` bytes client → server; resolves with what arrived, in order. */
async function transfer(p: Awaited<ReturnType<typeof pair>>, count: number, size: number) {
  const got: Buffer[] = [];
  const all = new Promise<void>((r) =>
    p.server.onReceive.subscribe((_s: number, _pp: number, data: Buffer) => {
      got.push(data);
      if (got.length === count) r();
    })
  );
  const sent: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const m = Buffer.alloc(size, i % 251);
    m.writeUInt32BE(i, 0);
    sent.push(m);
    // Like RTCDataChannel.send: queue without waiting for the chunks to be acknowledged.
    p.client.send(1, 53, m).catch(() => {});
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, f) => {
    timer = setTimeout(() => f(new Error(`${got.length} of ${count} messages arrived`)), 30_000);
  });
  try {
    await Promise.race([all, limit]);
  } finally {
    clearTimeout(timer);
  }
  return { sent, got };
}

/** How often the client's congestion window was cut by fast retransmit. */
function countCuts(sctp: any): { cuts: number } {
  const counter = { cuts: 0 };
  const original = sctp.receiveSackChunk;
  sctp.receiveSackChunk = async function (this: any, chunk: unknown) {
    const before = this.fastRecoveryExit;
    await original.call(this, chunk);
    if (before === undefined && this.fastRecoveryExit !== undefined) counter.cuts++;
  };
  return counter;
}

/** How often the client's T3 (retransmission) timer expired. */
function countTimeouts(sctp: any): { count: number } {
  const counter = { count: 0 };
  const expired = sctp.timer3Expired; // an instance field, read when the timer is armed
  sctp.timer3Expired = () => {
    counter.count++;
    return expired();
  };
  return counter;
}

Deno.test("reordered packets: the threshold is learnt, spurious cuts are undone, every message arrives in order", async () => {
  // Every 40th packet is held back behind the next 8: reordering of degree 8, no loss.
  const p = await pair((n) => (n > 20 && n % 40 === 0 ? { delay: 8 } : {}));
  try {
    const cuts = countCuts(p.client);
    const { sent, got } = await transfer(p, 300, 16 * 1024); // ≈ 4,100 DATA chunks
    assert.deepEqual(got.map((b) => b.readUInt32BE(0)), sent.map((_, i) => i));
    assert.ok(got.every((b, i) => b.equals(sent[i])), "bytes intact");
    // Unpatched werift cuts the window at each of the ≈ 100 late packets; the patch learns the
    // degree after the first one or two, and undoes the cuts they caused.
    assert.ok(reorderThreshold(p.client) > 8, `threshold ${reorderThreshold(p.client)}`);
    assert.ok(reorderThreshold(p.client) <= MAX_REORDER);
    assert.ok(cuts.cuts <= 3, `${cuts.cuts} window cuts`);
    assert.equal(spuriousRetransmits(p.client) >= 1 || cuts.cuts === 0, true);
  } finally {
    await p.close();
  }
});

Deno.test("lost packets are still repaired by fast retransmit, with the window cut", async () => {
  // Every 97th packet from the client is dropped (a real loss, once each).
  const p = await pair((n) => (n > 20 && n % 97 === 0 ? { drop: true } : {}));
  try {
    const cuts = countCuts(p.client);
    const { sent, got } = await transfer(p, 120, 16 * 1024);
    assert.ok(got.every((b, i) => b.equals(sent[i])), "every message, in order, intact");
    assert.ok(cuts.cuts >= 1, "a real loss still cuts the window");
    assert.equal(spuriousRetransmits(p.client), 0, "a real loss is not taken for reordering");
  } finally {
    await p.close();
  }
});

Deno.test("after reordering taught a high threshold, a loss in a small flight is still fast-retransmitted, not left to T3", async () => {
  let phase = 1;
  let phaseTwo = 0;
  const p = await pair((n) => {
    if (phase === 1) return n > 20 && n % 40 === 0 ? { delay: 8 } : {};
    return ++phaseTwo === 2 ? { drop: true } : {};
  });
  try {
    await transfer(p, 300, 16 * 1024);
    assert.ok(reorderThreshold(p.client) > 8, `threshold ${reorderThreshold(p.client)}`);
    phase = 2;
    const timeouts = countTimeouts(p.client);
    const cuts = countCuts(p.client);
    // Six one-chunk messages: the lost second one has at most four SACKs above it.
    const { sent, got } = await transfer(p, 6, 1000);
    assert.ok(got.every((b, i) => b.equals(sent[i])), "every message, in order, intact");
    assert.equal(timeouts.count, 0, "repaired by fast retransmit, not by the T3 timer");
    assert.equal(cuts.cuts, 1);
  } finally {
    await p.close();
  }
});

Deno.test("the cumulative TSN moves on across 999,999,999 → 1,000,000,000 and across the wrap to 0 when chunks arrive out of order there", async () => {
  for (const start of [999_999_990, 2 ** 32 - 10]) {
    // The packets carrying the TSNs just before the boundary are held back behind later ones.
    const p = await pair((n) => (n >= 3 && n <= 8 ? { delay: 4 } : {}), start);
    try {
      const { sent, got } = await transfer(p, 40, 2000);
      assert.ok(got.every((b, i) => b.equals(sent[i])), "every message, in order, intact");
      const expected = (start + 80 - 1) % 2 ** 32; // 40 messages of 2 chunks each
      assert.equal(
        p.server.lastReceivedTsn,
        expected,
        `cumulative TSN past the boundary (${start})`,
      );
      assert.equal(p.server.sackMisOrdered.size, 0);
    } finally {
      await p.close();
    }
  }
});

Deno.test("two chunks lost just before the TSN wraps to 0: the receiver goes on acknowledging and every message arrives", async () => {
  // The client's first TSN is 18 before the wrap; packets 10 and 11 (its 9th and 10th DATA chunks,
  // TSNs 2^32 − 10 and 2^32 − 9) are lost. Unpatched, the receiver's gap blocks for the TSNs past
  // 0 came out negative and no SACK could be sent until both were repaired: 1 of 60 arrived.
  const p = await pair((n) => (n === 10 || n === 11 ? { drop: true } : {}), 2 ** 32 - 18);
  try {
    let sacks = 0;
    const sendChunk = p.server.sendChunk;
    p.server.sendChunk = function (this: any, chunk: any) {
      if (chunk.type === 3) sacks++;
      return sendChunk.call(this, chunk);
    };
    const { sent, got } = await transfer(p, 60, 5000);
    assert.ok(got.every((b, i) => b.equals(sent[i])), "every message, in order, intact");
    assert.equal(p.server.lastReceivedTsn, (2 ** 32 - 18 + 300 - 1) % 2 ** 32);
    assert.ok(sacks > 10, `${sacks} SACKs sent`);
  } finally {
    await p.close();
  }
});

Deno.test("any pattern of reordering and loss: every message arrives, in order, intact", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({ at: fc.nat(400), delay: fc.integer({ min: 0, max: 12 }), drop: fc.boolean() }),
        {
          maxLength: 12,
        },
      ),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      async (events, tsn) => {
        const byPacket = new Map(events.map((e) => [e.at + 10, e]));
        const p = await pair((n) => {
          const e = byPacket.get(n);
          return e ? (e.drop ? { drop: true } : { delay: e.delay }) : {};
        }, tsn);
        try {
          const { sent, got } = await transfer(p, 60, 5000);
          assert.ok(got.every((b, i) => b.equals(sent[i])));
        } finally {
          await p.close();
        }
      },
    ),
    { numRuns: 25 },
  );
});

/**
 * Two associations that both send an INIT, as libwebrtc's does from each end (and a werift
 * "client" does from its end), joined by a wire that drops what `lose` says; resolves once both
 * are established, or says which were not after `ms`.
 */
async function bothInit(lose: (from: string, chunkType: number) => boolean, ms = 15_000) {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const ends: Record<string, ReturnType<typeof association>> = {};
  const wire = (from: string, to: string) => (data: Buffer) => {
    if (lose(from, data[12])) return; // the first chunk's type follows the 12-byte common header
    const t = setTimeout(() => {
      timers.delete(t);
      ends[to].sctp.handleData(data).catch(() => {});
    }, 0);
    timers.add(t);
  };
  ends.a = association("a", "client", wire("a", "b"));
  ends.b = association("b", "client", wire("b", "a"));
  const up = (e: ReturnType<typeof association>) =>
    new Promise<void>((r) => e.sctp.stateChanged.connected.subscribe(r));
  const both = Promise.all([up(ends.a), up(ends.b)]);
  await ends.a.transport.start(5000);
  await ends.b.transport.start(5000);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, f) => {
    timer = setTimeout(() => {
      const states = Object.entries(ends).map(([k, e]) => `${k}: ${e.sctp.associationState}`);
      f(new Error(`not established after ${ms} ms (${states.join(", ")})`));
    }, ms);
  });
  const close = async () => {
    clearTimeout(timer);
    for (const e of Object.values(ends)) await e.sctp.stop().catch(() => {});
    for (const t of timers) clearTimeout(t);
  };
  try {
    await Promise.race([both, limit]);
  } catch (err) {
    await close();
    throw err;
  }
  return { a: ends.a.sctp, b: ends.b.sctp, close };
}

const INIT = 1;

Deno.test("INITs from both ends cross (as libwebrtc's do): the association starts, and carries data both ways", async () => {
  const p = await bothInit(() => false);
  try {
    for (const [from, to] of [[p.a, p.b], [p.b, p.a]]) {
      const got = new Promise<Buffer>((r) =>
        to.onReceive.subscribe((_s: number, _p: number, d: Buffer) => r(d))
      );
      await from.send(1, 53, Buffer.from("hello"));
      assert.equal((await got).toString(), "hello");
    }
    assert.equal(p.a.timer1Handle, undefined, "no INIT or COOKIE ECHO is retransmitted after");
    assert.equal(p.b.timer1Handle, undefined);
  } finally {
    await p.close();
  }
});

Deno.test("an end whose every INIT is lost still joins the association the peer's INIT starts", async () => {
  // What a werift end met when its INIT reached a libwebrtc peer before the peer's DTLS was up.
  const p = await bothInit((from, type) => from === "a" && type === INIT);
  try {
    assert.equal(p.a.timer1Handle, undefined, "its own INIT is no longer retransmitted");
    const got = new Promise<Buffer>((r) =>
      p.b.onReceive.subscribe((_s: number, _p: number, d: Buffer) => r(d))
    );
    await p.a.send(1, 53, Buffer.from("after all"));
    assert.equal((await got).toString(), "after all");
  } finally {
    await p.close();
  }
});
