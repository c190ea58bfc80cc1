/**
 * Blob upload throughput against a same-run disk baseline (DESIGN §11: a bench prints a
 * table with a baseline measured in the same run).
 *
 *   deno run -A bench/blob_put.ts [--store] [--no-http] [--url http://127.0.0.1:PORT]
 *                                 [--token T] [--count 200] [--seed 42]
 *
 * Rows: `raw` writes each blob and fsyncs it (the disk's own speed); `store` (with --store)
 * calls BlobStore.put(), adding hashing, rename and directory fsync; `http` PUTs
 * `/v1/blobs/:id` to the node at --url, or to one it spawns from main.ts (`--no-http` skips
 * it). The same 200 blobs of 1–3 MiB (seeded sizes, AES-CTR bytes) go to every row, one
 * at a time, each row into an empty store; BlobStore.put gets them as streams of 64 KiB
 * chunks. Generating the blobs is not timed. MB = 10^6 bytes.
 */

import { createCipheriv, createHash } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BlobStore } from "../lib/store/mod.ts";

export interface BenchBlob {
  id: string;
  bytes: Uint8Array<ArrayBuffer>;
}

export interface BenchRow {
  method: string;
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
  /** Bearer token for the HTTP row, if the node asks for one. */
  token?: string;
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

/**
 * Times each method on the same blobs, interleaved per blob with the order rotated, so disk
 * drift (host write-back, a neighbour's I/O on a VM) hits every row alike instead of
 * whichever row happened to run during it. Rows run one after another vary by 2× here.
 */
async function timeInterleaved(
  blobs: BenchBlob[],
  methods: Array<[string, Putter]>,
): Promise<BenchRow[]> {
  const seconds = methods.map(() => 0);
  for (const [i, blob] of blobs.entries()) {
    for (let k = 0; k < methods.length; k++) {
      const m = (i + k) % methods.length;
      const t0 = performance.now();
      await methods[m][1](blob);
      seconds[m] += (performance.now() - t0) / 1000;
    }
  }
  const bytes = blobs.reduce((n, b) => n + b.bytes.byteLength, 0);
  return methods.map(([method], m) => ({
    method,
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
  const store = await BlobStore.open(dir);
  return async ({ id, bytes }) => {
    const { created } = await store.put(id, chunked(bytes));
    if (!created) throw new Error(`Blob ${id} was already stored: the bench needs a fresh store`);
  };
}

function httpPutter(url: string, token?: string): Putter {
  return async ({ id, bytes }) => {
    const headers: Record<string, string> = { "content-type": "application/octet-stream" };
    if (token) headers.authorization = `Bearer ${token}`;
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

/** Starts `main.ts node` on a free port and waits for `GET /health` to answer 200. */
export async function spawnNode(dataDir: string) {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const main = new URL("../main.ts", import.meta.url).pathname;
  const args = ["run", "-A", main, "node", "--data-dir", dataDir, "--port", String(port)];
  const child = new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "inherit" })
    .spawn();
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  child.status.then(() => exited = true);
  const stop = async () => {
    if (!exited) child.kill("SIGTERM");
    await child.status;
  };
  for (const deadline = Date.now() + 30_000; Date.now() < deadline && !exited;) {
    const ok = await fetch(`${url}/health`).then(async (r) => (await r.body?.cancel(), r.ok))
      .catch(() => false);
    if (ok) return { url, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`Cannot bench HTTP: ${main} did not answer GET /health on ${url}`);
}

/** Runs the rows in a fresh temp dir (removed afterwards) and returns them, raw first. */
export async function runBlobPutBench(options: BlobPutBenchOptions = {}): Promise<BenchRow[]> {
  const blobs = generateBlobs(options.count ?? 200, options.seed ?? 42);
  const dir = await Deno.makeTempDir({ prefix: "p2pos-bench-" });
  let node: Awaited<ReturnType<typeof spawnNode>> | undefined;
  try {
    const methods: Array<[string, Putter]> = [[
      "raw write+fsync",
      await rawPutter(join(dir, "raw")),
    ]];
    if (options.store) methods.push(["BlobStore.put", await storePutter(join(dir, "store"))]);
    if (options.url !== null) {
      if (options.url === undefined) node = await spawnNode(join(dir, "node"));
      methods.push(["HTTP PUT /v1/blobs", httpPutter(options.url ?? node!.url, options.token)]);
    }
    return await timeInterleaved(blobs, methods);
  } finally {
    await node?.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/** A Markdown table; the last column compares each row's throughput with the raw baseline. */
export function formatTable(rows: BenchRow[]): string {
  const mbps = (r: BenchRow) => r.bytes / 1e6 / r.seconds;
  const lines = [
    "| method | files | MiB | seconds | MB/s | vs raw |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows.map((r) =>
      `| ${r.method} | ${r.files} | ${(r.bytes / MiB).toFixed(1)} | ${r.seconds.toFixed(2)} | ` +
      `${mbps(r).toFixed(1)} | ${(mbps(r) / mbps(rows[0])).toFixed(2)}× |`
    ),
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      url: { type: "string" },
      token: { type: "string" },
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
    token: values.token,
  });
  console.log(formatTable(rows));
}
