/**
 * Blob upload throughput against a same-run disk baseline (DESIGN §11: a bench prints a
 * table with a baseline measured in the same run).
 *
 *   deno run -A bench/blob_put.ts [--store] [--no-http] [--url http://127.0.0.1:PORT]
 *                                 [--cookie "__Host-p2pos_session=…"] [--count 200] [--seed 42]
 *
 * Rows: `raw` writes each blob and fsyncs it (the disk's own speed); `store` (with --store)
 * calls BlobStore.put(), adding hashing, rename and directory fsync; `http` PUTs
 * `/v1/blobs/:id` to the node at --url, or to one it spawns from main.ts (`--no-http` skips
 * it). The same 200 blobs of 1–3 MiB (seeded sizes, AES-CTR bytes) go to every row, one
 * at a time, each row into an empty store; BlobStore.put gets them as streams of 64 KiB
 * chunks. Generating the blobs is not timed. MB = 10^6 bytes.
 */

import { startNode } from "../tests/_support/node_process.ts";
import { setupRemoteFamily } from "../tests/_support/remote_family.ts";
import { createCipheriv, createHash } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FsBlobStore } from "../lib/store/mod.ts";

export interface BenchBlob {
  id: string;
  bytes: Uint8Array<ArrayBuffer>;
}

export interface BenchRow {
  method: string;
  concurrency: number;
  files: number;
  bytes: number;
  seconds: number;
}

export interface BlobPutBenchOptions {
  /** @default 200 */
  count?: number;
  /** @default 42 */
  seed?: number;
  /** Bench BlobStore.put() directly as a middle row. */
  store?: boolean;
  /** A running node; `null` skips the HTTP row; `undefined` spawns one from main.ts. */
  url?: string | null;
  /** Session cookie for the HTTP row when benching a running node (--url). */
  cookie?: string;
}

const MiB = 1 << 20;
const CHUNK = 64 * 1024;

/** mulberry32: a tiny seeded PRNG, so every run and every row sees the same sizes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** `count` blobs of 1–3 MiB; incompressible bytes from an AES-128-CTR keystream. */
export function generateBlobs(count: number, seed: number): BenchBlob[] {
  const rand = prng(seed);
  const key = createHash("sha256").update(`p2pos-bench-${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, new Uint8Array(16));
  return Array.from({ length: count }, () => {
    const size = MiB + Math.floor(rand() * 2 * MiB);
    const bytes = new Uint8Array(cipher.update(new Uint8Array(size)));
    return { id: createHash("sha256").update(bytes).digest("hex"), bytes };
  });
}

function chunked(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.byteLength) return c.close();
      c.enqueue(bytes.subarray(off, off + CHUNK));
      off += CHUNK;
    },
  }, { highWaterMark: 0 });
}

type Putter = (blob: BenchBlob) => Promise<void>;
type GroupPutter = (group: BenchBlob[]) => Promise<void>;

export interface Method {
  name: string;
  /** How many puts run at once (a browser uploads a few files in parallel). */
  concurrency: number;
  putGroup: GroupPutter;
}

/** A method that puts one blob at a time, `concurrency` at once. */
function perBlob(name: string, put: Putter, concurrency: number): Method {
  return { name, concurrency, putGroup: (group) => runGroup(group, put, concurrency) };
}

/** A group putter split into `concurrency` parallel slices. */
function sliced(name: string, put: GroupPutter, concurrency: number): Method {
  return {
    name,
    concurrency,
    putGroup: (group) =>
      Promise.all(
        Array.from(
          { length: concurrency },
          (_, k) => put(group.filter((_, i) => i % concurrency === k)),
        ),
      ).then(() => {}),
  };
}

/** Puts `group` with at most `concurrency` puts in flight. */
async function runGroup(group: BenchBlob[], put: Putter, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < group.length) await put(group[next++]);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * Times each method on the same blobs, interleaved in groups of 8 with the order rotated, so
 * disk drift (host write-back, a neighbour's I/O on a VM) hits every row alike instead of
 * whichever row happened to run during it. Rows run one after another vary by 2× here.
 */
async function timeInterleaved(blobs: BenchBlob[], methods: Method[]): Promise<BenchRow[]> {
  const seconds = methods.map(() => 0);
  const GROUP = 8;
  for (let g = 0; g * GROUP < blobs.length; g++) {
    const group = blobs.slice(g * GROUP, (g + 1) * GROUP);
    for (let k = 0; k < methods.length; k++) {
      const m = (g + k) % methods.length;
      const t0 = performance.now();
      await methods[m].putGroup(group);
      seconds[m] += (performance.now() - t0) / 1000;
    }
  }
  const bytes = blobs.reduce((n, b) => n + b.bytes.byteLength, 0);
  return methods.map(({ name, concurrency }, m) => ({
    method: name,
    concurrency,
    files: blobs.length,
    bytes,
    seconds: seconds[m],
  }));
}

async function rawPutter(dir: string): Promise<Putter> {
  await Deno.mkdir(dir);
  return async ({ id, bytes }) => {
    const file = await Deno.open(join(dir, id), { write: true, createNew: true });
    try {
      for (let off = 0; off < bytes.byteLength;) off += await file.write(bytes.subarray(off));
      await file.sync();
    } finally {
      file.close();
    }
  };
}

async function storePutter(dir: string): Promise<Putter> {
  const store = await FsBlobStore.open(dir);
  return async ({ id, bytes }) => {
    const { created } = await store.put(id, chunked(bytes));
    if (!created) throw new Error(`Blob ${id} was already stored: the bench needs a fresh store`);
  };
}

/**
 * Uploads with curl, as the shared Syncthing baseline script does: one curl process per
 * group, keep-alive, each file read from the page cache. The node's cost per byte is what
 * is measured, not a JavaScript HTTP client's (Deno's fetch spends about as much CPU as the
 * node on these 2 cores). The files are written before the clock starts.
 */
function curlGroupPutter(url: string, cookie: string | undefined, dir: string): GroupPutter {
  return async (group) => {
    const args = ["-sS", "--fail-with-body", "-o", "/dev/null"];
    if (cookie) args.push("-H", `Cookie: ${cookie}`);
    args.push("-H", "Content-Type: application/octet-stream", "-H", "Expect:");
    for (const b of group) args.push("-T", join(dir, b.id), new URL(`/v1/blobs/${b.id}`, url).href);
    const out = await new Deno.Command("curl", { args, stderr: "piped" }).output();
    if (!out.success) throw new Error(`curl failed: ${new TextDecoder().decode(out.stderr)}`);
  };
}

function httpPutter(url: string, cookie?: string): Putter {
  return async ({ id, bytes }) => {
    const headers: Record<string, string> = { "content-type": "application/octet-stream" };
    if (cookie) headers.cookie = cookie;
    // A byte body, not a stream: Deno's fetch drops Content-Length for a ReadableStream and
    // sends it chunked, while browsers upload a File with its length, as here. The bytes
    // still reach the server as a stream of ~64 KiB pieces.
    const res = await fetch(new URL(`/v1/blobs/${id}`, url), {
      method: "PUT",
      headers,
      body: bytes,
    });
    const text = await res.text();
    if (res.status === 200) {
      throw new Error(`Blob ${id} was already stored: bench a fresh node or pass another --seed`);
    }
    if (res.status !== 201) {
      throw new Error(`PUT /v1/blobs/${id} answered ${res.status}: ${text.slice(0, 200)}`);
    }
  };
}

/** Starts `main.ts node` on a free port, creates a family on it and signs its founder in. */
export async function spawnNode(dataDir: string) {
  const node = await startNode({ dataDir });
  const founder = await setupRemoteFamily(node.url, node.setupCode!);
  return { url: node.url, cookie: founder.cookie, stop: () => node.stop() };
}

/** Runs the rows in a fresh temp dir (removed afterwards) and returns them, raw first. */
export async function runBlobPutBench(options: BlobPutBenchOptions = {}): Promise<BenchRow[]> {
  const blobs = generateBlobs(options.count ?? 200, options.seed ?? 42);
  const dir = await Deno.makeTempDir({ prefix: "p2pos-bench-" });
  const nodes: Awaited<ReturnType<typeof spawnNode>>[] = [];
  try {
    const methods: Method[] = [
      perBlob("raw write+fsync", await rawPutter(join(dir, "raw1")), 1),
      perBlob("raw write+fsync", await rawPutter(join(dir, "raw2")), 2),
    ];
    if (options.store) {
      methods.push(perBlob("BlobStore.put", await storePutter(join(dir, "store")), 1));
    }
    if (options.url !== null) {
      // The upload sources, written before any clock starts.
      const files = join(dir, "files");
      await Deno.mkdir(files);
      for (const b of blobs) await Deno.writeFile(join(files, b.id), b.bytes);
      if (options.url) {
        // A running node holds its blobs once: one row only.
        methods.push(perBlob("HTTP PUT, Deno fetch", httpPutter(options.url, options.cookie), 1));
      } else {
        // One fresh node per row: a row must not find the blobs already stored.
        const fresh = async (name: string) => {
          const n = await spawnNode(join(dir, name));
          nodes.push(n);
          return n;
        };
        for (const c of [1, 2]) {
          const f = await fresh(`node-fetch${c}`);
          methods.push(perBlob("HTTP PUT, Deno fetch", httpPutter(f.url, f.cookie), c));
        }
        for (const c of [1, 2]) {
          const n = await fresh(`node-curl${c}`);
          methods.push(sliced("HTTP PUT, curl", curlGroupPutter(n.url, n.cookie, files), c));
        }
      }
    }
    return await timeInterleaved(blobs, methods);
  } finally {
    for (const n of nodes) await n.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A Markdown table. `vs raw` compares each row with the raw disk row at the same number of
 * writes in flight (the fair comparison); `vs raw ×1` with sequential raw writes.
 */
export function formatTable(rows: BenchRow[]): string {
  const mbps = (r: BenchRow) => r.bytes / 1e6 / r.seconds;
  const raw = (c: number) => rows.find((r) => r.method.startsWith("raw") && r.concurrency === c);
  const lines = [
    "| method | in flight | files | MiB | seconds | MB/s | vs raw | vs raw ×1 |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map((r) =>
      `| ${r.method} | ${r.concurrency} | ${r.files} | ${(r.bytes / MiB).toFixed(1)} | ` +
      `${r.seconds.toFixed(2)} | ${mbps(r).toFixed(1)} | ` +
      `${(mbps(r) / mbps(raw(r.concurrency) ?? rows[0])).toFixed(2)}× | ` +
      `${(mbps(r) / mbps(rows[0])).toFixed(2)}× |`
    ),
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      url: { type: "string" },
      cookie: { type: "string" },
      store: { type: "boolean", default: false },
      "no-http": { type: "boolean", default: false },
      count: { type: "string", default: "200" },
      seed: { type: "string", default: "42" },
    },
  });
  const rows = await runBlobPutBench({
    count: Number(values.count),
    seed: Number(values.seed),
    store: values.store,
    url: values["no-http"] ? null : values.url,
    cookie: values.cookie,
  });
  console.log(formatTable(rows));
}
