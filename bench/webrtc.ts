/**
 * Replication over WebRTC data channels (issue #11) beside HTTP, in the same run:
 * the 200-file, ~430 MB set of `../shared/bench/syncthing_baseline.sh` is on
 * node A; B is paired and pulls it all ("pair → 100 %"), over
 *
 * - HTTP (the baseline: A's URL answers, no relay);
 * - a direct data channel (a relay; A's record names an address B cannot reach,
 *   B has none: the channel is the only path);
 * - a data channel through a real coturn (`--ice-transport-policy relay`, REST
 *   credentials from the relay).
 *
 * Reported per path: MB/s, and CPU-seconds per GiB moved on each end (user +
 * system of the node process, all threads; the in-process relay and coturn are
 * not counted). Rounds rotate the order of the paths.
 *
 *   deno run -A bench/webrtc.ts [--rounds 3]
 *
 * MB = 10⁶ bytes, GiB = 2³⁰ bytes. Needs `turnserver` (apt-get install coturn).
 */

import { parseArgs } from "node:util";
import { createFamily, pairNode } from "../demo.ts";
import { serveRelay } from "../signal/mod.ts";
import { startCoturn } from "../tests/_support/coturn.ts";
import {
  cpuOf,
  type DataSet,
  dataSet,
  holdsAll,
  type Node,
  sh,
  start,
  stop,
  until,
  upload,
  verifyB,
} from "./replication.ts";

type PathName = "HTTP" | "WebRTC, direct" | "WebRTC through coturn";
const PATHS: PathName[] = ["HTTP", "WebRTC, direct", "WebRTC through coturn"];

interface Run {
  path: PathName;
  seconds: number;
  cpu: [number, number];
}

async function pull(set: DataSet, path: PathName): Promise<Run> {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-bench-rtc-" });
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    let env: Record<string, string> = {};
    if (path !== "HTTP") {
      const turn = path === "WebRTC through coturn" ? await startCoturn() : undefined;
      if (turn) cleanup.push(() => turn.stop());
      const relay = await serveRelay({ host: "127.0.0.1", port: 0 }, {
        turn: turn ? { secret: turn.secret, urls: [turn.url], ttlSecs: 3600 } : undefined,
      });
      cleanup.push(() => relay.shutdown());
      env = turn
        ? { P2POS_SIGNAL_URL: relay.url, P2POS_ICE_TRANSPORT_POLICY: "relay" }
        : { P2POS_SIGNAL_URL: relay.url, P2POS_ICE_LOOPBACK: "on" };
    }
    const a = await start(`${dir}/a`, 0, env);
    cleanup.push(() => stop(a));
    const b = await start(`${dir}/b`, 0, env);
    cleanup.push(() => stop(b));
    // Over WebRTC, A's record names an address B cannot reach: the channel is the only path.
    const admin = await createFamily(
      { url: a.url, setupCode: a.setupCode! },
      { family: "River", founder: "Alice", node: "A" },
      undefined,
      path === "HTTP" ? a.url : "http://127.0.0.1:9",
    );
    await upload(admin, a, set);
    await sh("sync");
    const cpu0 = await cpuOf(a, b);
    const t0 = performance.now();
    await pairNode(admin, a.url, { url: b.url, setupCode: b.setupCode! }, "B");
    await until(() => holdsAll(admin, b, set), 1_800_000, `B to hold the set (${path})`);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = (await cpuOf(a, b)).map((x, i) => x - cpu0[i]) as [number, number];
    await verifyB(b as Node, set);
    return { path, seconds, cpu };
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function stats(xs: number[]): string {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const spread = xs.length > 1
    ? ` (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`
    : "";
  return `${mean.toFixed(1)}${spread}`;
}

export async function runWebrtcBench(rounds: number): Promise<string> {
  const set = await dataSet();
  const runs: Run[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < PATHS.length; k++) {
      const path = PATHS[(r + k) % PATHS.length];
      const run = await pull(set, path);
      runs.push(run);
      console.error(`round ${r + 1}: ${path} ${run.seconds.toFixed(1)} s`);
    }
  }
  const mb = set.bytes / 1e6;
  const gib = set.bytes / 2 ** 30;
  const lines = [
    `${set.files.length} files, ${mb.toFixed(1)} MB, on A; B paired and pulls it all. ` +
    `${rounds} round(s): mean (min–max)`,
    "",
    "| path | seconds | MB/s | vs HTTP | CPU-s/GiB on A (sender) | CPU-s/GiB on B (receiver) |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  const http = runs.filter((r) => r.path === "HTTP");
  const httpMean = http.reduce((s, r) => s + r.seconds, 0) / http.length;
  for (const path of PATHS) {
    const rs = runs.filter((r) => r.path === path);
    const mean = rs.reduce((s, r) => s + r.seconds, 0) / rs.length;
    lines.push(
      `| ${path} | ${stats(rs.map((r) => r.seconds))} | ${stats(rs.map((r) => mb / r.seconds))} | ${
        (httpMean / mean).toFixed(3)
      }× | ${stats(rs.map((r) => r.cpu[0] / gib))} | ${stats(rs.map((r) => r.cpu[1] / gib))} |`,
    );
  }
  lines.push("", "Per run:", "");
  for (const r of runs) {
    lines.push(
      `- ${r.path}: ${r.seconds.toFixed(2)} s, CPU s A ${r.cpu[0].toFixed(2)}, B ${
        r.cpu[1].toFixed(2)
      }`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { rounds: { type: "string" } } });
  console.log(await runWebrtcBench(Number(values.rounds ?? 3)));
}
