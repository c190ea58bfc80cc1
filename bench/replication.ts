/**
 * Replication benchmarks (issue: replication between family nodes), each with
 * its baseline measured in the same run:
 *
 * 1. transfer — the 200-file, ~430 MB set of `../shared/bench/syncthing_baseline.sh`
 *    (same sizes, same seed, same bytes) replicated from node A to node B over
 *    HTTP, against Syncthing 1.19 between two local instances run by that
 *    script in the same run (rounds interleaved, their order rotated). Two p2pos figures:
 *    - "pair → 100 %": the set is already on A; B is paired and pulls it all
 *      (compare with Syncthing's "A→B pull to 100 %", which starts after A's scan);
 *    - "upload + replicate": B is paired first, the set is uploaded to A and
 *      pushed on as it lands (compare with Syncthing's "scan + pull").
 * 2. catchup — B is stopped while 1,000 photos (3 blobs + a record each) are
 *    uploaded to A; B is started again: seconds until it holds everything.
 * 3. rss — peak RSS (VmHWM) of both nodes while B pulls one 1 GiB blob.
 *
 *   deno run -A bench/replication.ts [--only transfer,catchup,rss] [--rounds 2]
 *       [--photos 1000] [--big-mib 1024]
 *
 * MB = 10⁶ bytes. Needs `syncthing` (apt-get install syncthing) for the baseline.
 */

import { parseArgs } from "node:util";
import { FsBlobStore } from "../lib/store/mod.ts";
import { call, createFamily, pairNode, type Running, signIn, spawnNode } from "../demo.ts";
import { createAlbum, uploadPhoto } from "../tests/integration/replication_cluster.ts";

const SCRIPT = new URL("../../shared/bench/syncthing_baseline.sh", import.meta.url).pathname;
const BASE = Deno.env.get("BASE") ?? "/tmp/stbase";
const QUIET = { P2POS_LOG_LEVEL: "warn" };

export interface Node extends Running {
  dataDir: string;
  port: number;
}

export async function start(
  dataDir: string,
  port = 0,
  env: Record<string, string> = {},
): Promise<Node> {
  const r = await spawnNode({ dataDir, port, env: { ...QUIET, ...env } });
  return { ...r, dataDir, port: Number(new URL(r.url).port) };
}

export async function stop(n: Node, signal: Deno.Signal = "SIGTERM"): Promise<void> {
  try {
    n.child.kill(signal);
  } catch { /* gone */ }
  await n.child.status;
}

export async function sh(cmd: string, env: Record<string, string> = {}): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: ["-c", cmd],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} failed:\n${text}`);
  return text;
}

export interface DataSet {
  files: { path: string; id: string; size: number }[];
  bytes: number;
}

/** Generates (or reuses) the Syncthing baseline's data set, byte for byte. */
export async function dataSet(): Promise<DataSet> {
  await sh(`GEN_ONLY=1 bash ${SCRIPT}`, { BASE });
  const sums = await Deno.readTextFile(`${BASE}/data/SHA256SUMS`);
  const files = [];
  for (const line of sums.trim().split("\n")) {
    const [id, name] = line.split(/\s+/);
    const path = `${BASE}/data/photos/${name}`;
    files.push({ path, id, size: (await Deno.stat(path)).size });
  }
  return { files, bytes: files.reduce((s, f) => s + f.size, 0) };
}

export type Admin = Awaited<ReturnType<typeof createFamily>>;

export async function family(a: Node): Promise<Admin> {
  return await createFamily(
    { url: a.url, setupCode: a.setupCode! },
    { family: "River", founder: "Alice", node: "A" },
  );
}

export async function status(admin: Admin, n: Node) {
  const cookie = admin.cookies.get(n.url) ?? await signIn(admin, n.url);
  const res = await call(`${n.url}/v1/replication/status`, "GET", undefined, cookie);
  if (!res.ok) throw new Error(`status ${res.status}`);
  return await res.json() as {
    storage: { blobs: number; bytes: number };
    backlog: { pending: number; inFlight: number; failed: number };
    lastSeq: number;
  };
}

export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out: ${what}`);
}

/**
 * PUTs the files to A with curl (one process, keep-alive, `parallel` at a time): a fast
 * client, as browsers are, so the upload measures the node and not Deno's streaming fetch.
 */
export async function upload(admin: Admin, a: Node, set: DataSet, parallel = 2): Promise<void> {
  const cookie = admin.cookies.get(a.url)!;
  const cfg = await Deno.makeTempFile({ suffix: ".curl" });
  try {
    await Deno.writeTextFile(
      cfg,
      set.files.map((f) =>
        `upload-file = "${f.path}"\nurl = "${a.url}/v1/blobs/${f.id}"\noutput = "/dev/null"\n`
      ).join(""),
    );
    await sh(
      `curl -sS --fail --parallel --parallel-max ${parallel} -H 'Expect:' ` +
        `-H 'cookie: ${cookie}' -K ${cfg}`,
    );
  } finally {
    await Deno.remove(cfg);
  }
}

export async function holdsAll(admin: Admin, b: Node, set: DataSet): Promise<boolean> {
  const s = await status(admin, b);
  return s.storage.blobs === set.files.length && s.storage.bytes === set.bytes;
}

export async function verifyB(b: Node, set: DataSet): Promise<void> {
  for (const f of set.files) {
    const st = await Deno.stat(
      `${b.dataDir}/blobs/${f.id.slice(0, 2)}/${f.id.slice(2, 4)}/${f.id}`,
    );
    if (st.size !== f.size) throw new Error(`B holds ${f.id} with the wrong size`);
  }
}

export interface Row {
  method: string;
  seconds: number;
  mb: number;
  note?: string;
  /** CPU seconds (user + system, all threads) of nodes A and B during the timed part. */
  cpu?: [number, number];
}

/** CPU seconds a process has used so far (Linux: /proc/<pid>/stat utime + stime). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
  // Fields after the command name, which is in parentheses and may contain spaces.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

export async function cpuOf(a: Node, b: Node): Promise<[number, number]> {
  return [await cpuSeconds(a.child.pid), await cpuSeconds(b.child.pid)];
}

/**
 * The set is on A, B (started with `bEnv`) is paired and pulls it all: seconds, CPU of A and
 * B, B's peak RSS. `verify` runs on B before it is stopped.
 */
export async function pairAndPull(
  set: DataSet,
  bEnv: Record<string, string> = {},
  verify: (b: Node) => Promise<void> = async () => {},
): Promise<{ seconds: number; cpu: [number, number]; peakBKiB: number }> {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-bench-" });
  const a = await start(`${dir}/a`);
  const b = await start(`${dir}/b`, 0, bEnv);
  try {
    const admin = await family(a);
    await upload(admin, a, set);
    await sh("sync");
    const cpu0 = await cpuOf(a, b);
    const t0 = performance.now();
    await pairNode(admin, a.url, { url: b.url, setupCode: b.setupCode! }, "B");
    await until(() => holdsAll(admin, b, set), 900_000, "B to hold the set");
    const seconds = (performance.now() - t0) / 1000;
    const cpu = (await cpuOf(a, b)).map((x, i) => x - cpu0[i]) as [number, number];
    const peakBKiB = vmHwmKiB(b.child.pid);
    await verify(b);
    return { seconds, cpu, peakBKiB };
  } finally {
    await Promise.all([stop(a), stop(b)]);
    await Deno.remove(dir, { recursive: true });
  }
}

/** p2pos: the set is on A, B is paired and pulls it (pair → 100 %). */
async function p2posPull(set: DataSet): Promise<Row> {
  const { seconds, cpu } = await pairAndPull(set, {}, (b) => verifyB(b, set));
  return { method: "p2pos A→B, pair → 100 %", seconds, mb: set.bytes / 1e6, cpu };
}

/** p2pos: B is paired first; the set is uploaded to A and pushed on as it lands. */
async function p2posUploadAndPush(set: DataSet): Promise<Row> {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-bench-" });
  const a = await start(`${dir}/a`);
  const b = await start(`${dir}/b`);
  try {
    const admin = await family(a);
    await pairNode(admin, a.url, { url: b.url, setupCode: b.setupCode! }, "B");
    await sh("sync");
    const cpu0 = await cpuOf(a, b);
    const t0 = performance.now();
    await upload(admin, a, set);
    await until(() => holdsAll(admin, b, set), 600_000, "B to hold the set");
    const seconds = (performance.now() - t0) / 1000;
    const cpu = (await cpuOf(a, b)).map((x, i) => x - cpu0[i]) as [number, number];
    await verifyB(b, set);
    return { method: "p2pos upload to A + replicate to B", seconds, mb: set.bytes / 1e6, cpu };
  } finally {
    await Promise.all([stop(a), stop(b)]);
    await Deno.remove(dir, { recursive: true });
  }
}

/** The ceiling on B: the same files from local disk into a BlobStore, as many at once. */
async function storeCeiling(set: DataSet, parallel: number): Promise<Row> {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-bench-" });
  try {
    const store = await FsBlobStore.open(dir);
    await sh("sync");
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: parallel }, async () => {
      while (next < set.files.length) {
        const f = set.files[next++];
        await store.put(f.id, (await Deno.open(f.path)).readable);
      }
    }));
    return {
      method: `(ceiling) local files → BlobStore.put, ${parallel} at once`,
      seconds: (performance.now() - t0) / 1000,
      mb: set.bytes / 1e6,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Syncthing via the shared script (same data set), parsed from its summary table. */
async function syncthing(): Promise<{ rows: Row[]; extra: string }> {
  const out = await sh(`SKIP_CP=1 SKIP_HTTP=1 bash ${SCRIPT}`, { BASE });
  const rows: Row[] = [];
  const pick = (label: string, method: string) => {
    const m = new RegExp(`${label}\\s*\\|\\s*([0-9.]+)\\s*\\|`).exec(out);
    if (m) rows.push({ method, seconds: Number(m[1]), mb: 0 });
  };
  pick("Syncthing A->B pull to 100%", "Syncthing A→B pull to 100 %");
  pick("Syncthing scan \\+ pull", "Syncthing scan + pull");
  const mb = Number(/= ([0-9.]+) MB/.exec(out)?.[1] ?? 0);
  for (const r of rows) r.mb = mb;
  const extra = out.split("\n").filter((l) => /^syncthing CPU|^== run/.test(l)).join("\n");
  if (rows.length < 2) throw new Error(`Could not read Syncthing's results:\n${out}`);
  return { rows, extra };
}

export async function runTransferBench(rounds: number): Promise<string> {
  const set = await dataSet();
  const all: Row[] = [];
  let extra = "";
  // The phases rotate from round to round: what ran just before changes a phase's cost on a VM
  // (page cache, freed memory handed back to the host), so no method always follows the same one.
  const phases: (() => Promise<void>)[] = [
    async () => void all.push(await p2posPull(set)),
    async () => void all.push(await p2posUploadAndPush(set)),
    async () => {
      const st = await syncthing();
      all.push(...st.rows);
      extra = st.extra;
    },
    async () => void all.push(await storeCeiling(set, 4)),
  ];
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < phases.length; k++) await phases[(r + k) % phases.length]();
  }
  const mean = (method: string) => {
    const xs = all.filter((r) => r.method === method);
    return xs.reduce((s, r) => s + r.seconds, 0) / xs.length;
  };
  const table = [
    `${set.files.length} files, ${
      (set.bytes / 1e6).toFixed(1)
    } MB; ${rounds} round(s), mean seconds`,
    "",
    "| method | seconds | MB/s | vs Syncthing |",
    "| --- | ---: | ---: | ---: |",
  ];
  const pairs: [string, string][] = [
    ["p2pos A→B, pair → 100 %", "Syncthing A→B pull to 100 %"],
    ["p2pos upload to A + replicate to B", "Syncthing scan + pull"],
  ];
  for (const [ours, theirs] of pairs) {
    for (const m of [ours, theirs]) {
      const s = mean(m);
      const ratio = m === ours ? `${(mean(theirs) / s).toFixed(2)}×` : "1.00×";
      table.push(`| ${m} | ${s.toFixed(2)} | ${(set.bytes / 1e6 / s).toFixed(1)} | ${ratio} |`);
    }
  }
  const ceiling = all.find((r) => r.method.startsWith("(ceiling)"))!.method;
  const c = mean(ceiling);
  table.push(
    `| ${ceiling} | ${c.toFixed(2)} | ${(set.bytes / 1e6 / c).toFixed(1)} | ${
      (mean(pairs[0][1]) / c).toFixed(2)
    }× |`,
  );
  table.push("", "Per round:", "");
  for (const r of all) {
    const cpu = r.cpu ? ` (CPU s: A ${r.cpu[0].toFixed(2)}, B ${r.cpu[1].toFixed(2)})` : "";
    table.push(`- ${r.method}: ${r.seconds.toFixed(2)} s${cpu}`);
  }
  if (extra) table.push("", "```", extra, "```");
  return table.join("\n");
}

export async function runCatchupBench(photos: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-bench-" });
  const a = await start(`${dir}/a`);
  let b = await start(`${dir}/b`);
  try {
    const admin = await family(a);
    await pairNode(admin, a.url, { url: b.url, setupCode: b.setupCode! }, "B");
    await stop(b);
    const album = await createAlbum(admin, a.url);
    const up0 = performance.now();
    for (let i = 0; i < photos; i++) await uploadPhoto(admin, a.url, album, 40_000);
    const uploadS = (performance.now() - up0) / 1000;
    const target = await status(admin, a);
    const t0 = performance.now();
    b = await start(b.dataDir, b.port);
    admin.cookies.delete(b.url);
    await until(
      async () => {
        const s = await status(admin, b);
        return s.storage.blobs === target.storage.blobs &&
          s.storage.bytes === target.storage.bytes &&
          s.lastSeq >= target.lastSeq;
      },
      900_000,
      "B to catch up",
    );
    const seconds = (performance.now() - t0) / 1000;
    const mb = target.storage.bytes / 1e6;
    return [
      `${photos} photos uploaded to A while B was stopped (${target.storage.blobs} blobs, ` +
      `${mb.toFixed(1)} MB, ${target.lastSeq} records on A; upload took ${uploadS.toFixed(1)} s)`,
      "",
      "| phase | seconds | blobs/s | MB/s |",
      "| --- | ---: | ---: | ---: |",
      `| B restart → holds every record and blob | ${seconds.toFixed(2)} | ${
        (target.storage.blobs / seconds).toFixed(0)
      } | ${(mb / seconds).toFixed(1)} |`,
      `| (baseline) the same uploads into A | ${uploadS.toFixed(2)} | ${
        (target.storage.blobs / uploadS).toFixed(0)
      } | ${(mb / uploadS).toFixed(1)} |`,
    ].join("\n");
  } finally {
    await Promise.all([stop(a), stop(b)]);
    await Deno.remove(dir, { recursive: true });
  }
}

export function vmHwmKiB(pid: number): number {
  const s = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0);
}

/** Deterministic pseudo-random bytes (xorshift) in 1 MiB pieces: the same stream twice. */
export function bigStream(mib: number): ReadableStream<Uint8Array> {
  let i = 0;
  let x = 0x9e3779b9;
  return new ReadableStream({
    pull(c) {
      if (i === mib) return c.close();
      const buf = new Uint32Array(1 << 18);
      for (let k = 0; k < buf.length; k++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        buf[k] = x >>> 0;
      }
      i++;
      c.enqueue(new Uint8Array(buf.buffer));
    },
  });
}

export async function runRssBench(mib: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-bench-" });
  let a = await start(`${dir}/a`);
  const b = await start(`${dir}/b`);
  try {
    const admin = await family(a);
    // The blob goes into A's store while A is stopped, so A's process has never held it:
    // its peak RSS is what serving it costs.
    await stop(a);
    const store = await FsBlobStore.open(a.dataDir);
    const { createHash } = await import("node:crypto");
    const hash = createHash("sha256");
    for await (const chunk of bigStream(mib)) hash.update(chunk);
    const id = hash.digest("hex");
    await store.put(id, bigStream(mib));
    a = await start(a.dataDir, a.port);
    admin.cookies.delete(a.url);
    const idleA = vmHwmKiB(a.child.pid);
    const idleB = vmHwmKiB(b.child.pid);
    const t0 = performance.now();
    await pairNode(admin, a.url, { url: b.url, setupCode: b.setupCode! }, "B");
    await until(async () => (await status(admin, b)).storage.blobs === 1, 900_000, "the big blob");
    const seconds = (performance.now() - t0) / 1000;
    const peakA = vmHwmKiB(a.child.pid);
    const peakB = vmHwmKiB(b.child.pid);
    const MiB = (k: number) => (k / 1024).toFixed(0);
    return [
      `One blob of ${mib} MiB replicated A → B in ${seconds.toFixed(1)} s (${
        (mib * 1.048576 / seconds).toFixed(1)
      } MB/s)`,
      "",
      "| node | peak RSS idle (MiB) | peak RSS while replicating (MiB) | target |",
      "| --- | ---: | ---: | --- |",
      `| A (sender) | ${MiB(idleA)} | ${MiB(peakA)} | < 150 |`,
      `| B (receiver) | ${MiB(idleB)} | ${MiB(peakB)} | < 150 |`,
    ].join("\n");
  } finally {
    await Promise.all([stop(a), stop(b)]);
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      only: { type: "string", default: "transfer,catchup,rss" },
      rounds: { type: "string", default: "2" },
      photos: { type: "string", default: "1000" },
      "big-mib": { type: "string", default: "1024" },
    },
  });
  const only = new Set(values.only.split(","));
  if (only.has("transfer")) {
    console.log("\n## Replication A→B over HTTP vs Syncthing\n");
    console.log(await runTransferBench(Number(values.rounds)));
  }
  if (only.has("catchup")) {
    console.log("\n## Catch-up after being off\n");
    console.log(await runCatchupBench(Number(values.photos)));
  }
  if (only.has("rss")) {
    console.log("\n## Peak RSS replicating one big blob\n");
    console.log(await runRssBench(Number(values["big-mib"])));
  }
}
