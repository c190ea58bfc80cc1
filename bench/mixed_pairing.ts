/**
 * How reliably a libwebrtc node and a werift node pair behind "NAT" (issue #12 §1): N pairings of
 * each order — the node that pairs the other offers — each with two fresh node processes and a
 * relay on 127.0.0.1, the data channel their only path (tests/integration/webrtc_cluster.ts). A
 * pairing fails when the channel does not open within the link's 15 s (the pairing answers 502).
 *
 *   deno run -A bench/mixed_pairing.ts [--pairs 10] [--beside]
 *
 * `--beside` runs `bench/werift_raw.ts --configs 1x64k+wrtc` (two processes moving 256 MiB over
 * libwebrtc, 3 rounds) in a loop beside the pairings: the load under which the mixed pairs failed.
 * Reported per order: pairings that opened, time to pair (median, max), UDP datagrams the kernel
 * dropped for a full buffer during them (machine-wide), the load average; and for each failure the
 * states each node's attempt reached ("WebRTC attempt failed", PROTOCOL §8.3).
 */

import { parseArgs } from "node:util";
import { Rig } from "../tests/_support/rig.ts";
import type { NodeProcess } from "../tests/_support/node_process.ts";
import { startRelayProcess } from "../tests/_support/relay_process.ts";
import { FAST_ENV } from "../tests/integration/replication_cluster.ts";
import { pairBehindNat } from "../tests/integration/webrtc_cluster.ts";
import { udpRcvbufErrors } from "./webrtc.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { pairs: { type: "string", default: "10" }, beside: { type: "boolean" } },
});
const pairs = Number(values.pairs);

/** One pairing: whether it opened, how long it took, and each failed attempt's states. */
async function pairOnce(oak: string, pine: string) {
  const rig = new Rig();
  const nodes: NodeProcess[] = [];
  const node = rig.node.bind(rig);
  rig.node = async (options) => {
    const n = await node(options);
    nodes.push(n);
    return n;
  };
  const t0 = performance.now();
  try {
    const relay = rig.track(await startRelayProcess());
    const env = { ...FAST_ENV, P2POS_SIGNAL_URL: relay.url, P2POS_ICE_LOOPBACK: "on" };
    await pairBehindNat(rig, env, {
      oak: { P2POS_WEBRTC_ENGINE: oak },
      pine: { P2POS_WEBRTC_ENGINE: pine },
    });
    return { ok: true, ms: performance.now() - t0, failures: [] as string[] };
  } catch {
    const ms = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 2_000)); // the answerer's attempt times out too
    const failures = nodes.flatMap((n) =>
      [...n.output().matchAll(/WebRTC attempt failed (\{.*\})/g)].map((m) => {
        const f = JSON.parse(m[1]);
        return `${f.role}: ice ${f.ice}, connection ${f.connection}, channel ${f.channel}`;
      })
    );
    return { ok: false, ms, failures };
  } finally {
    await rig[Symbol.asyncDispose]();
  }
}

let flooding = values.beside;
const flood = (async () => {
  while (flooding) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./werift_raw.ts", import.meta.url).pathname, "--mib", "256"]
        .concat(["--rounds", "3", "--configs", "1x64k+wrtc"]),
      stdout: "null",
      stderr: "null",
    }).spawn();
    await child.status;
  }
})();
if (values.beside) await new Promise((r) => setTimeout(r, 5_000)); // the flood under way

const orders = [["libwebrtc", "werift"], ["werift", "libwebrtc"]];
const rows: string[] = [];
const results = new Map(
  orders.map(([o, p]) => [`${o} → ${p}`, [] as { ok: boolean; ms: number }[]]),
);
const drops = new Map<string, number>();
const loads = new Map<string, number[]>();
for (let i = 0; i < pairs * 2; i++) {
  const [oak, pine] = orders[i % 2]; // the orders alternate, so both see the same conditions
  const key = `${oak} → ${pine}`;
  const d0 = udpRcvbufErrors();
  const r = await pairOnce(oak, pine);
  drops.set(key, (drops.get(key) ?? 0) + udpRcvbufErrors() - d0);
  loads.set(key, [...loads.get(key) ?? [], Deno.loadavg()[0]]);
  results.get(key)!.push(r);
  const load = Deno.loadavg()[0].toFixed(1);
  console.log(
    `${key}: ${r.ok ? "paired" : "FAILED"} in ${(r.ms / 1000).toFixed(1)} s, load ${load}`,
  );
  for (const f of r.failures) console.log(`  ${f}`);
}
flooding = false;
await flood;

rows.push("| offerer → answerer | paired | time to pair, median (max) | UDP drops | load |");
rows.push("| --- | ---: | ---: | ---: | ---: |");
for (const [key, rs] of results) {
  const ms = rs.filter((r) => r.ok).map((r) => r.ms).sort((a, b) => a - b);
  const median = ms.length ? (ms[Math.floor(ms.length / 2)] / 1000).toFixed(1) : "–";
  const max = ms.length ? (ms[ms.length - 1] / 1000).toFixed(1) : "–";
  const l = loads.get(key)!;
  rows.push(
    `| ${key} | ${ms.length}/${rs.length} | ${median} s (${max} s) | ${drops.get(key)} | ` +
      `${Math.min(...l).toFixed(1)}–${Math.max(...l).toFixed(1)} |`,
  );
}
console.log(`\n${values.beside ? "beside bench/werift_raw.ts on libwebrtc" : "nothing beside"}`);
console.log(rows.join("\n"));
Deno.exit(0);
