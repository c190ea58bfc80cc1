/**
 * Replication into an S3-backed node beside a filesystem-backed one, in the same run
 * (issue #17): the 200-file, ~430 MB set of `../shared/bench/syncthing_baseline.sh` is on
 * node A (files); B is paired and pulls it all ("pair → 100 %"), once with B's blobs in its
 * data dir and once with them in a bucket of a local Ceph RADOS Gateway (single node,
 * memstore OSD, started by the bench). Rounds alternate which B goes first.
 *
 * Reported per B: seconds, MB/s, CPU seconds of A and B (user + system), B's peak RSS
 * (VmHWM). Targets: the S3 node within 2× of the filesystem node's time, its peak RSS
 * under 150 MiB. The gateway runs on the same 2 cores, so the S3 figure includes Ceph's
 * own work: a remote store would take that off this machine and add network time instead.
 *
 *   deno run -A bench/s3_replication.ts [--rounds 2]
 */

import { parseArgs } from "node:util";
import { startCephRgw } from "../tests/_support/ceph_rgw.ts";
import { cpuSeconds, type DataSet, dataSet, pairAndPull } from "./replication.ts";

interface Result {
  backend: "fs" | "s3";
  seconds: number;
  cpu: [number, number];
  /** CPU seconds of the Ceph daemons (gateway, OSD, monitor) meanwhile. */
  cephCpu: number;
  peakMiB: number;
}

async function round(
  set: DataSet,
  backend: "fs" | "s3",
  env: Record<string, string>,
  cephPids: number[],
): Promise<Result> {
  const ceph = async () => (await Promise.all(cephPids.map(cpuSeconds))).reduce((a, b) => a + b);
  const before = await ceph();
  const { seconds, cpu, peakBKiB } = await pairAndPull(set, env);
  return { backend, seconds, cpu, cephCpu: (await ceph()) - before, peakMiB: peakBKiB / 1024 };
}

export async function runS3ReplicationBench(rounds: number): Promise<string> {
  const set = await dataSet();
  await using ceph = await startCephRgw();
  const results: Result[] = [];
  for (let r = 0; r < rounds; r++) {
    const order: ("fs" | "s3")[] = r % 2 === 0 ? ["fs", "s3"] : ["s3", "fs"];
    for (const backend of order) {
      let env: Record<string, string> = {};
      if (backend === "s3") {
        const bucket = `bench-${r}-${crypto.randomUUID().slice(0, 8)}`;
        await ceph.createBucket(bucket);
        env = ceph.nodeEnv(bucket);
      }
      results.push(await round(set, backend, env, ceph.pids()));
    }
  }
  const mb = set.bytes / 1e6;
  const mean = (b: string, f: (r: Result) => number) => {
    const xs = results.filter((r) => r.backend === b).map(f);
    return xs.reduce((s, x) => s + x, 0) / xs.length;
  };
  const spread = (b: string) => {
    const xs = results.filter((r) => r.backend === b).map((r) => r.seconds);
    return `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  };
  const fsS = mean("fs", (r) => r.seconds);
  const lines = [
    `${set.files.length} files, ${mb.toFixed(1)} MB on A (files); B pulls them all ` +
    `(pair → 100 %). ${rounds} round(s), means.`,
    "",
    "| B's blob store | seconds (range) | MB/s | vs fs | CPU s A | CPU s B | CPU s Ceph | B peak RSS MiB |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const b of ["fs", "s3"]) {
    const s = mean(b, (r) => r.seconds);
    lines.push(
      `| ${b === "fs" ? "(baseline) files in the data dir" : "S3 bucket on Ceph RGW"} | ` +
        `${s.toFixed(2)} (${spread(b)}) | ${(mb / s).toFixed(1)} | ${(s / fsS).toFixed(2)}× | ` +
        `${mean(b, (r) => r.cpu[0]).toFixed(2)} | ${mean(b, (r) => r.cpu[1]).toFixed(2)} | ` +
        `${mean(b, (r) => r.cephCpu).toFixed(2)} | ` +
        `${Math.max(...results.filter((r) => r.backend === b).map((r) => r.peakMiB)).toFixed(0)} |`,
    );
  }
  lines.push("", "Per round:", "");
  for (const r of results) {
    lines.push(
      `- ${r.backend}: ${r.seconds.toFixed(2)} s, CPU A ${r.cpu[0].toFixed(2)} s, ` +
        `B ${r.cpu[1].toFixed(2)} s, Ceph ${r.cephCpu.toFixed(2)} s, B peak RSS ` +
        `${r.peakMiB.toFixed(0)} MiB`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { rounds: { type: "string" } } });
  console.log(await runS3ReplicationBench(Number(values.rounds ?? 2)));
}
