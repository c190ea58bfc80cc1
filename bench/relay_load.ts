/**
 * The signaling relay under load (issue #12), on 127.0.0.1 only, bounded in
 * count and time: `conns` nodes (real Ed25519 keys, real registrations) hold
 * WebSockets to one `p2pos signal` process, or split over two that share a
 * real NATS server. Then random pairs exchange offer-sized signals (~1.6 KB):
 * first at a steady `rate` per second for `seconds` (p50/p99 time from send to
 * delivery at that load), then as fast as they are taken with at most `window`
 * in flight (offers forwarded per second). Reported per setup: connections
 * held, registration time, both, and relay RSS per 1,000 connections.
 *
 *   deno run -A bench/relay_load.ts [--conns 5000] [--seconds 10] [--rate 200] [--window 400] [--rounds 2]
 *
 * The load generator shares the machine's 2 cores with the relays (and NATS):
 * rates here are what this machine holds with all three on it, not a relay's
 * ceiling on its own machine. Needs `nats-server` (apt-get install nats-server).
 */

import { parseArgs } from "node:util";
import { ed25519 } from "@noble/curves/ed25519.js";
import { toBase64Url } from "../lib/crypto/mod.ts";
import { nodeIdFromPublicKey } from "../lib/core/node_id.ts";
import { registrationInput } from "../lib/net/signal_protocol.ts";
import { startNats } from "../tests/_support/nats.ts";
import { type RelayProcess, startRelayProcess } from "../tests/_support/relay_process.ts";

/** The relay's abuse limits, lifted: every client here comes from 127.0.0.1. */
const OPEN_LIMITS = [
  "--signal-ip-conns",
  "100000",
  "--signal-ip-rate",
  "1000000",
  "--signal-ip-connect-rate",
  "100000",
  "--signal-max-conns",
  "100000",
  "--signal-rate",
  "1000",
  "--log-level",
  "warn",
];

interface Client {
  id: string;
  ws: WebSocket;
}

interface Result {
  instances: number;
  conns: number;
  registerSeconds: number;
  sent: number;
  delivered: number;
  seconds: number;
  /** Send → delivery at the steady rate, ms. */
  latencies: number[];
  rate: number;
  rssMiB: number[];
  idleRssMiB: number[];
}

const PAD = "x".repeat(1500); // an SDP offer is ~1.2–1.8 KB

async function register(url: string, seed: Uint8Array, onSignal: (d: unknown) => void) {
  const pub = ed25519.getPublicKey(seed);
  const id = await nodeIdFromPublicKey(pub);
  const ws = new WebSocket(url);
  const host = new URL(url).host;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("registration timed out")), 60_000);
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === "challenge") {
        const sig = ed25519.sign(registrationInput(host, m.nonce, id), seed);
        ws.send(JSON.stringify({
          type: "register",
          nodeId: id,
          publicKey: toBase64Url(pub),
          signature: toBase64Url(sig),
        }));
      } else if (m.type === "registered") {
        clearTimeout(timer);
        ws.onmessage = (e2) => {
          const m2 = JSON.parse(e2.data);
          if (m2.type === "signal") onSignal(m2.data);
        };
        resolve();
      } else if (m.type === "error") reject(new Error(m.message));
    };
    ws.onerror = () => reject(new Error("WebSocket error"));
  });
  return { id, ws };
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function runOne(
  instances: number,
  conns: number,
  seconds: number,
  window: number,
  rate: number,
): Promise<Result> {
  const nats = instances > 1 ? await startNats() : undefined;
  const relays: RelayProcess[] = [];
  const clients: Client[] = [];
  try {
    for (let i = 0; i < instances; i++) {
      relays.push(
        await startRelayProcess({
          args: [...OPEN_LIMITS, ...(nats ? ["--signal-bus", nats.url] : [])],
        }),
      );
    }
    const idle = relays.map((r) => rssMiB(r.pid));
    let inFlight = 0;
    let delivered = 0;
    const latencies: number[] = [];
    let wake = () => {};
    const onSignal = (d: unknown) => {
      const t = (d as { t: number }).t;
      latencies.push(performance.now() - t);
      delivered++;
      inFlight--;
      wake();
    };
    const t0 = performance.now();
    // Registrations in batches of 100, spread over the instances.
    for (let i = 0; i < conns; i += 100) {
      const batch = [];
      for (let k = i; k < Math.min(conns, i + 100); k++) {
        const seed = crypto.getRandomValues(new Uint8Array(32));
        batch.push(register(relays[k % instances].url, seed, onSignal));
      }
      clients.push(...await Promise.all(batch));
    }
    const registerSeconds = (performance.now() - t0) / 1000;
    const rss = relays.map((r) => rssMiB(r.pid));
    const pick = () => {
      const from = clients[Math.floor(Math.random() * clients.length)];
      let to = clients[Math.floor(Math.random() * clients.length)];
      if (to === from) to = clients[(clients.indexOf(from) + 1) % clients.length];
      return { from, to };
    };
    // Steady rate: latency at that load.
    latencies.length = 0;
    const steadyEnd = performance.now() + seconds * 1000;
    let due = performance.now();
    while (performance.now() < steadyEnd) {
      const { from, to } = pick();
      inFlight++;
      from.ws.send(JSON.stringify({
        type: "signal",
        to: to.id,
        data: { t: performance.now(), sdp: PAD },
      }));
      due += 1000 / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const drainSteady = performance.now() + 5_000;
    while (inFlight > 0 && performance.now() < drainSteady) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const steady = [...latencies];
    inFlight = 0;
    let sent = 0;
    delivered = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    while (performance.now() < end) {
      while (inFlight >= window) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 100);
        });
      }
      const { from, to } = pick();
      from.ws.send(JSON.stringify({
        type: "signal",
        to: to.id,
        data: { t: performance.now(), sdp: PAD },
      }));
      sent++;
      inFlight++;
      if (sent % 50 === 0) await new Promise((r) => setTimeout(r, 0));
    }
    const elapsed = (performance.now() - start) / 1000;
    // Let the last ones land (bounded).
    const drainEnd = performance.now() + 5_000;
    while (inFlight > 0 && performance.now() < drainEnd) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return {
      instances,
      conns,
      registerSeconds,
      sent,
      delivered,
      seconds: elapsed,
      latencies: steady,
      rate,
      rssMiB: rss,
      idleRssMiB: idle,
    };
  } finally {
    for (const c of clients) {
      try {
        c.ws.close();
      } catch { /* closed */ }
    }
    for (const r of relays) await r.stop("SIGKILL");
    await nats?.stop();
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
}

export async function runRelayLoadBench(
  o: { conns: number; seconds: number; window: number; rate: number; rounds: number },
): Promise<string> {
  const { conns, seconds, window, rate, rounds } = o;
  const results: Result[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const instances of r % 2 ? [2, 1] : [1, 2]) {
      const res = await runOne(instances, conns, seconds, window, rate);
      results.push(res);
      console.error(
        `round ${r + 1}, ${instances} instance(s): max ${
          (res.delivered / res.seconds).toFixed(0)
        }/s, p99 at ${rate}/s ${pct(res.latencies, 0.99).toFixed(1)} ms, load ${
          Deno.loadavg()[0].toFixed(1)
        }`,
      );
    }
  }
  const lines = [
    `${conns} registered nodes; ${seconds} s at ${rate} offers/s (latency), then ${seconds} s ` +
    `as fast as taken with ≤ ${window} in flight (rate); ${rounds} round(s). ` +
    `Load average at the end: ${Deno.loadavg().map((x) => x.toFixed(1)).join(" ")}`,
    "",
    "| instances | held | register s | p50 ms at rate | p99 ms at rate | offers forwarded/s (max) | relay RSS MiB per 1,000 conns (above idle) |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  for (const r of results) {
    const perK = (sum(r.rssMiB) - sum(r.idleRssMiB)) / (r.conns / 1000);
    lines.push(
      `| ${r.instances} | ${r.conns} | ${r.registerSeconds.toFixed(1)} | ${
        pct(r.latencies, 0.5).toFixed(1)
      } | ${pct(r.latencies, 0.99).toFixed(1)} | ${(r.delivered / r.seconds).toFixed(0)} | ${
        perK.toFixed(1)
      } (${r.rssMiB.map((x) => x.toFixed(0)).join(" + ")} MiB held, ${
        r.idleRssMiB.map((x) => x.toFixed(0)).join(" + ")
      } idle) |`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      conns: { type: "string" },
      seconds: { type: "string" },
      window: { type: "string" },
      rounds: { type: "string" },
      rate: { type: "string" },
    },
  });
  console.log(
    await runRelayLoadBench({
      conns: Number(values.conns ?? 5000),
      seconds: Number(values.seconds ?? 10),
      window: Number(values.window ?? 400),
      rate: Number(values.rate ?? 200),
      rounds: Number(values.rounds ?? 2),
    }),
  );
}
