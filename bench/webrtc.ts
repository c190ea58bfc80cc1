/**
 * Replication over WebRTC data channels (issues #11, #12) beside HTTP, in the
 * same run: the 200-file, ~430 MB set of `../shared/bench/syncthing_baseline.sh`
 * is on node A; B is paired and pulls it all ("pair → 100 %"), over
 *
 * - `http`: HTTP (A's URL answers, no relay);
 * - `direct-1`: one data channel, werift on the node's thread (issue #11's
 *   transport: the single-channel baseline of issue #12);
 * - `direct-1w`, `direct-2w`, `direct-3w`: 1, 2 or 3 peer connections per peer,
 *   each in its own Worker (`--webrtc-lanes N --webrtc-workers on`);
 * - `direct-lw`, `turn-lw`: one connection on libwebrtc (`--webrtc-engine libwebrtc`,
 *   what a node run with `deno task start` uses);
 * - `turn-1`, `turn-2w`: the same through a real coturn
 *   (`--ice-transport-policy relay`, REST credentials from the relay).
 *
 * Over WebRTC, A's record names an address B cannot reach and B has none: the
 * channel is the only path. Reported per path: MB/s, the ratio to `direct-1`,
 * CPU-seconds per GiB moved on each end (user + system of the node process,
 * all threads; the in-process relay and coturn are not counted) and B's peak
 * RSS. Rounds rotate the order of the paths; the load average is printed
 * with each run.
 *
 *   deno run -A bench/webrtc.ts [--rounds 3] [--paths http,direct-1,direct-lw,turn-lw]
 *
 * With `--big-mib N`, instead: one blob of N MiB (put into A's store while A is
 * stopped) replicated to B over each path, and both nodes' peak RSS (VmHWM).
 *
 * MB = 10⁶ bytes, GiB = 2³⁰ bytes. Needs `turnserver` (apt-get install coturn).
 */

import { parseArgs } from "node:util";
import { type Admin, createFamily, pairNode } from "../demo.ts";
import { serveRelay } from "../signal/mod.ts";
import { startCoturn } from "../tests/_support/coturn.ts";
import {
  bigStream,
  cpuOf,
  type DataSet,
  dataSet,
  holdsAll,
  type Node,
  sh,
  start,
  status,
  stop,
  until,
  upload,
  verifyB,
  vmHwmKiB,
} from "./replication.ts";
import { FsBlobStore } from "../lib/store/mod.ts";

interface PathSpec {
  rtc: boolean;
  turn: boolean;
  lanes: number;
  workers: boolean;
  label: string;
  /** `--webrtc-engine`; werift when absent. */
  engine?: "libwebrtc";
}

const PATHS: Record<string, PathSpec> = {
  "http": { rtc: false, turn: false, lanes: 1, workers: false, label: "HTTP" },
  "direct-1": {
    rtc: true,
    turn: false,
    lanes: 1,
    workers: false,
    label: "WebRTC direct, 1 connection, node thread",
  },
  "direct-1w": {
    rtc: true,
    turn: false,
    lanes: 1,
    workers: true,
    label: "WebRTC direct, 1 connection in a Worker",
  },
  "direct-2w": {
    rtc: true,
    turn: false,
    lanes: 2,
    workers: true,
    label: "WebRTC direct, 2 connections in Workers",
  },
  "direct-3w": {
    rtc: true,
    turn: false,
    lanes: 3,
    workers: true,
    label: "WebRTC direct, 3 connections in Workers",
  },
  "direct-lw": {
    rtc: true,
    turn: false,
    lanes: 1,
    workers: false,
    engine: "libwebrtc",
    label: "WebRTC direct, 1 connection, libwebrtc",
  },
  "turn-lw": {
    rtc: true,
    turn: true,
    lanes: 1,
    workers: false,
    engine: "libwebrtc",
    label: "through coturn, 1 connection, libwebrtc",
  },
  "turn-1": {
    rtc: true,
    turn: true,
    lanes: 1,
    workers: false,
    label: "through coturn, 1 connection, node thread",
  },
  "turn-2w": {
    rtc: true,
    turn: true,
    lanes: 2,
    workers: true,
    label: "through coturn, 2 connections in Workers",
  },
};

interface Run {
  path: string;
  seconds: number;
  cpu: [number, number];
  peakBKiB: number;
  /** Load average (1 min) when the run started and when it ended. */
  load0: number;
  load: number;
  /** UDP datagrams the kernel dropped for a full receive buffer (machine-wide) during the run. */
  drops: number;
  /** B's `GET /health` answer times during the transfer, ms: how free its event loop is. */
  probes: number[];
}

/** Times `GET /health` on `url` every 250 ms until `stop` is set (one at a time). */
async function probe(url: string, out: number[], stop: { done: boolean }): Promise<void> {
  while (!stop.done) {
    const t = performance.now();
    try {
      await (await fetch(`${url}/health`)).body?.cancel();
      out.push(performance.now() - t);
    } catch { /* node busy restarting a link: not a latency */ }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
}

/** /proc/net/snmp's Udp RcvbufErrors: datagrams dropped because a socket's buffer was full. */
export function udpRcvbufErrors(): number {
  const rows = Deno.readTextFileSync("/proc/net/snmp").split("\n").filter((l) =>
    l.startsWith("Udp:")
  );
  const names = rows[0].split(/\s+/);
  return Number(rows[1].split(/\s+/)[names.indexOf("RcvbufErrors")]);
}

/** The relay (and coturn) a path needs, and the nodes' environment for it. */
async function pathEnv(
  spec: PathSpec,
  cleanup: (() => Promise<unknown>)[],
): Promise<Record<string, string>> {
  if (!spec.rtc) return {};
  const turn = spec.turn ? await startCoturn() : undefined;
  if (turn) cleanup.push(() => turn.stop());
  const relay = await serveRelay({ host: "127.0.0.1", port: 0 }, {
    turn: turn ? { secret: turn.secret, urls: [turn.url], ttlSecs: 3600 } : undefined,
  });
  cleanup.push(() => relay.shutdown());
  return {
    P2POS_SIGNAL_URL: relay.url,
    ...(turn ? { P2POS_ICE_TRANSPORT_POLICY: "relay" } : { P2POS_ICE_LOOPBACK: "on" }),
    P2POS_WEBRTC_LANES: String(spec.lanes),
    P2POS_WEBRTC_WORKERS: spec.workers ? "on" : "off",
    P2POS_WEBRTC_ENGINE: spec.engine ?? "werift",
  };
}

/** Nodes A and B started for one path, and Alice's family founded on A. */
interface Pair {
  /** A, replaced in place when a measurement restarts it (cleanup stops the one running). */
  a: Node;
  b: Node;
  admin: Admin;
  env: Record<string, string>;
}

/**
 * Starts A and B for `path` in a fresh directory, founds the family on A, runs `measure`,
 * then stops all it started. Over WebRTC, A's record names an address B cannot reach: the
 * channel is the only path.
 */
async function onPair<T>(path: string, prefix: string, measure: (pair: Pair) => Promise<T>) {
  const spec = PATHS[path];
  const dir = await Deno.makeTempDir({ prefix });
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    const env = await pathEnv(spec, cleanup);
    const a = await start(`${dir}/a`, 0, env);
    const pair = { a, env } as Pair;
    cleanup.push(() => stop(pair.a));
    pair.b = await start(`${dir}/b`, 0, env);
    cleanup.push(() => stop(pair.b));
    pair.admin = await createFamily(
      { url: a.url, setupCode: a.setupCode! },
      { family: "River", founder: "Alice", node: "A" },
      undefined,
      spec.rtc ? "http://127.0.0.1:9" : a.url,
    );
    return await measure(pair);
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** One blob of `mib` MiB, A → B over `path`: seconds and both nodes' peak RSS. */
function bigBlob(mib: number, path: string) {
  return onPair(path, "p2pos-bench-rtc-big-", async (pair) => {
    const { admin, b, env } = pair;
    // Into A's store while A is stopped: A's process never held it.
    await stop(pair.a);
    const store = await FsBlobStore.open(pair.a.dataDir);
    const { createHash } = await import("node:crypto");
    const hash = createHash("sha256");
    for await (const chunk of bigStream(mib)) hash.update(chunk);
    await store.put(hash.digest("hex"), bigStream(mib));
    const a = pair.a = await start(pair.a.dataDir, pair.a.port, env);
    admin.cookies.delete(a.url);
    const t0 = performance.now();
    await pairNode(admin, a.url, { url: b.url, setupCode: b.setupCode! }, "B");
    await until(async () => (await status(admin, b)).storage.blobs === 1, 3_600_000, "the blob");
    const seconds = (performance.now() - t0) / 1000;
    return {
      path,
      seconds,
      peakA: vmHwmKiB(a.child.pid) / 1024,
      peakB: vmHwmKiB(b.child.pid) / 1024,
      load: Deno.loadavg()[0],
    };
  });
}

export async function runBigBlobBench(mib: number, paths: string[]): Promise<string> {
  const lines = [
    `One blob of ${mib} MiB replicated A → B; peak RSS is VmHWM of each node process.`,
    "",
    "| path | seconds | MB/s | A peak RSS MiB | B peak RSS MiB | load |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const path of paths) {
    const r = await bigBlob(mib, path);
    console.error(`${path}: ${r.seconds.toFixed(1)} s, B peak ${r.peakB.toFixed(0)} MiB`);
    lines.push(
      `| ${PATHS[path].label} | ${r.seconds.toFixed(1)} | ${
        (mib * 1.048576 / r.seconds).toFixed(1)
      } | ${r.peakA.toFixed(0)} | ${r.peakB.toFixed(0)} | ${r.load.toFixed(1)} |`,
    );
  }
  return lines.join("\n");
}

function pull(set: DataSet, path: string): Promise<Run> {
  return onPair(path, "p2pos-bench-rtc-", async ({ a, b, admin }) => {
    await upload(admin, a, set);
    await sh("sync");
    const load0 = Deno.loadavg()[0];
    const cpu0 = await cpuOf(a, b);
    const drops0 = udpRcvbufErrors();
    const probes: number[] = [];
    const probing = { done: false };
    const t0 = performance.now();
    const prober = probe(b.url, probes, probing);
    await pairNode(admin, a.url, { url: b.url, setupCode: b.setupCode! }, "B");
    await until(() => holdsAll(admin, b, set), 1_800_000, `B to hold the set (${path})`)
      .finally(() => (probing.done = true));
    await prober;
    const seconds = (performance.now() - t0) / 1000;
    const cpu = (await cpuOf(a, b)).map((x, i) => x - cpu0[i]) as [number, number];
    const peakBKiB = vmHwmKiB(b.child.pid);
    await verifyB(b, set);
    const drops = udpRcvbufErrors() - drops0;
    return { path, seconds, cpu, peakBKiB, load0, load: Deno.loadavg()[0], drops, probes };
  });
}

function stats(xs: number[], digits = 1): string {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const spread = xs.length > 1
    ? ` (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`
    : "";
  return `${mean.toFixed(digits)}${spread}`;
}

export async function runWebrtcBench(rounds: number, paths: string[]): Promise<string> {
  for (const p of paths) {
    if (!PATHS[p]) throw new RangeError(`Unknown path "${p}": one of ${Object.keys(PATHS)}`);
  }
  const set = await dataSet();
  const runs: Run[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < paths.length; k++) {
      const path = paths[(r + k) % paths.length];
      const run = await pull(set, path);
      runs.push(run);
      console.error(
        `round ${r + 1}: ${path} ${run.seconds.toFixed(1)} s, ${
          (set.bytes / 1e6 / run.seconds).toFixed(1)
        } MB/s, load ${run.load0.toFixed(1)} → ${run.load.toFixed(1)}`,
      );
    }
  }
  const mb = set.bytes / 1e6;
  const gib = set.bytes / 2 ** 30;
  const base = paths.includes("direct-1") ? "direct-1" : paths[0];
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const baseRate = mean(runs.filter((r) => r.path === base).map((r) => mb / r.seconds));
  const loads = runs.map((r) => r.load);
  const lines = [
    `${set.files.length} files, ${mb.toFixed(1)} MB, on A; B paired and pulls it all. ` +
    `${rounds} round(s): mean (min–max). Load average 1 min at the end of each run: ` +
    `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}.`,
    "",
    `| path | seconds | MB/s | MiB/s | vs ${base} | CPU-s/GiB on A (sender) | CPU-s/GiB on B (receiver) | B peak RSS MiB | UDP drops | B /health p50 / p99 ms |`,
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const path of paths) {
    const rs = runs.filter((r) => r.path === path);
    const rates = rs.map((r) => mb / r.seconds);
    const ratios = rates.map((x) => x / baseRate);
    lines.push(
      `| ${PATHS[path].label} | ${stats(rs.map((r) => r.seconds))} | ${stats(rates)} | ${
        stats(rates.map((x) => x / 1.048576))
      } | ${stats(ratios, 2)}× | ${stats(rs.map((r) => r.cpu[0] / gib))} | ${
        stats(rs.map((r) => r.cpu[1] / gib))
      } | ${stats(rs.map((r) => r.peakBKiB / 1024), 0)} | ${stats(rs.map((r) => r.drops), 0)} | ${
        pct(rs.flatMap((r) => r.probes), 0.5).toFixed(0)
      } / ${pct(rs.flatMap((r) => r.probes), 0.99).toFixed(0)} |`,
    );
  }
  lines.push("", "Per run:", "");
  for (const r of runs) {
    lines.push(
      `- ${r.path}: ${r.seconds.toFixed(2)} s, ${(mb / r.seconds).toFixed(1)} MB/s, CPU s A ${
        r.cpu[0].toFixed(2)
      }, B ${r.cpu[1].toFixed(2)}, B peak ${(r.peakBKiB / 1024).toFixed(0)} MiB, load ${
        r.load0.toFixed(1)
      } → ${r.load.toFixed(1)}, UDP drops ${r.drops}, /health p99 ${
        pct(r.probes, 0.99).toFixed(0)
      } ms`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string" },
      paths: { type: "string" },
      "big-mib": { type: "string" },
    },
  });
  const paths = (values.paths ?? "http,direct-1,direct-lw,turn-lw").split(",");
  if (values["big-mib"]) console.log(await runBigBlobBench(Number(values["big-mib"]), paths));
  else console.log(await runWebrtcBench(Number(values.rounds ?? 3), paths));
}
