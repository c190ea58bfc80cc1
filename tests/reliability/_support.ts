/**
 * Shared parts of the reliability suite (docs/RELIABILITY.md): a seeded random source so a
 * failing run can be replayed, blob sizes drawn around every buffer edge of the store and the
 * replication path, the short (CI) and full counts, and the figures each part reports.
 */

import fc from "fast-check";
import { DatabaseSync } from "node:sqlite";
import { type Admin, after, type Follows, signAs } from "../../demo.ts";
import { toBase64Url } from "../../lib/crypto/mod.ts";
import { hashFile } from "../../lib/store/mod.ts";
import { type NodeProcess, startNode } from "../_support/node_process.ts";

/** `P2POS_RELIABILITY=full` (deno task reliability) runs the full counts. */
export const FULL = Deno.env.get("P2POS_RELIABILITY") === "full";

/** A count: its own variable, else the full or the short default. */
export function count(name: string, short: number, full: number): number {
  const raw = Deno.env.get(name);
  if (raw !== undefined && /^\d+$/.test(raw)) return Number(raw);
  return FULL ? full : short;
}

/** The seed of this run: `P2POS_RELIABILITY_SEED`, else random (printed, to replay). */
export function runSeed(): number {
  const raw = Deno.env.get("P2POS_RELIABILITY_SEED");
  return raw && /^\d+$/.test(raw) ? Number(raw) : crypto.getRandomValues(new Uint32Array(1))[0];
}

/** A small seeded generator (mulberry32): the same seed, the same rounds. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** In [0, 1). */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Where a byte count changes the path a blob takes: the 4 KiB direct I/O block, the 64 KiB
 * smallest BYOB read, the 1 MiB write buffer and push piece (and its multiples, where Deno's
 * chunked-body bug bit), and 8 MiB, past which a blob is offered and pulled instead of pushed.
 */
export const BUFFER_EDGES = [4 * KiB, 64 * KiB, 1 * MiB, 2 * MiB, 3 * MiB, 8 * MiB];

/**
 * A blob size: often a small photo-like size, else within 8 bytes of a buffer edge. Sizes past
 * `maxEdge` are left out (the 8 MiB edge costs CPU that a short run cannot spare).
 */
export function drawSize(rng: Rng, maxEdge = 8 * MiB): number {
  const edges = BUFFER_EDGES.filter((e) => e <= maxEdge);
  if (rng.chance(0.45)) return rng.int(1, 300 * KiB);
  // The big edges are rarer: each costs a few MiB on both nodes.
  const edge = rng.chance(0.8) ? rng.pick(edges.filter((e) => e <= MiB)) : rng.pick(edges);
  return Math.max(1, edge + rng.int(-8, 8));
}

/**
 * `size` bytes unique to this call: a random 64 KiB block repeated, with a random head, so
 * large blobs cost little to make and no two blobs share an id.
 */
export function uniqueBytes(size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  const block = crypto.getRandomValues(new Uint8Array(Math.min(size, 64 * KiB)));
  for (let off = 0; off < size; off += block.length) out.set(block.subarray(0, size - off), off);
  crypto.getRandomValues(out.subarray(0, Math.min(size, 32)));
  return out;
}

/** A random hex string of `bytes` bytes. */
export function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/**
 * `n` fresh invite records signed by `admin`, the cheapest records an admin can write: the
 * first follows `follows` (a node's heads, `headsAt`), each next one the one before it.
 */
export function inviteRecords(admin: Admin, follows: Follows, n = 1) {
  const out: ReturnType<typeof signAs>[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      signAs(admin, "invite", toBase64Url(crypto.getRandomValues(new Uint8Array(16))), {
        tokenHash: randomHex(32),
        // Any 32 bytes stand for the invite link's X25519 key (FORMAT §14): nobody joins.
        x25519: toBase64Url(crypto.getRandomValues(new Uint8Array(32))),
        role: "member",
        expiresAt: Date.now() + 3600_000,
        revoked: false,
      }, i === 0 ? follows : after(out[i - 1])),
    );
  }
  return out;
}

export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function blobPath(dataDir: string, id: string): string {
  return `${dataDir}/blobs/${id.slice(0, 2)}/${id.slice(2, 4)}/${id}`;
}

/**
 * Hashes blob files, remembering which file versions (inode, size, mtime) already hashed to
 * their id, so a long run does not re-read every blob after every round.
 */
export class BlobVerifier {
  readonly #ok = new Set<string>();

  /** The ids among `ids` whose file under `dataDir` is missing or does not hash to the id. */
  async bad(dataDir: string, ids: Iterable<string>): Promise<string[]> {
    const bad: string[] = [];
    for (const id of ids) {
      const path = blobPath(dataDir, id);
      let st: Deno.FileInfo;
      try {
        st = await Deno.stat(path);
      } catch {
        bad.push(id);
        continue;
      }
      const key = `${path}:${st.ino}:${st.size}:${st.mtime?.getTime()}`;
      if (this.#ok.has(key)) continue;
      // The file may go between the stat and the read (a scrub deleting a rotten copy).
      const hex = await hashFile(path).then((h) => h.hex, () => undefined);
      if (hex === id) this.#ok.add(key);
      else bad.push(id);
    }
    return bad;
  }
}

/** Starts a node again on its data dir and port (retrying while the port is still held). */
export async function restartNode(
  node: NodeProcess,
  env: Record<string, string>,
): Promise<NodeProcess> {
  for (let attempt = 0;; attempt++) {
    try {
      return await startNode({ dataDir: node.dataDir, args: ["--port", String(node.port)], env });
    } catch (err) {
      if (attempt >= 10 || !/AddrInUse|address already in use/i.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** Reads a node's index database read-only, beside the live node, and closes it. */
export function readIndex<T>(dataDir: string, read: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(`${dataDir}/index.db`, { readOnly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** `PRAGMA integrity_check` of a node's index database. */
export function integrityCheck(dataDir: string): string {
  return readIndex(dataDir, (db) => {
    const rows = db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join("; ");
  });
}

/** One row count of a node's index database. */
export function countRows(dataDir: string, sql: string): number {
  return readIndex(dataDir, (db) => (db.prepare(sql).get() as { n: number }).n);
}

/** Names of the entries of a directory (none when it does not exist). */
export async function entries(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) out.push(e.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out;
}

export interface Spread {
  n: number;
  min: number;
  median: number;
  max: number;
}

export function spread(values: number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    min: s[0] ?? 0,
    median: s.length ? s[Math.floor((s.length - 1) / 2)] : 0,
    max: s.at(-1) ?? 0,
  };
}

/**
 * Writes a part's figures where `deno task reliability` collects them
 * (`P2POS_RELIABILITY_REPORT_DIR`), and prints them either way.
 */
export async function report(part: string, figures: Record<string, unknown>): Promise<void> {
  const text = JSON.stringify(figures, null, 2);
  console.log(`\n[reliability] ${part}: ${text}`);
  const dir = Deno.env.get("P2POS_RELIABILITY_REPORT_DIR");
  if (dir) await Deno.writeTextFile(`${dir}/${part}.json`, text + "\n");
}

/**
 * Runs `parse` on `runs` inputs from `arb` (fast-check, seeded), after `examples` if given: it
 * may only return or throw one of `allowed`; anything else is a crash. An input that takes more
 * than 3 s is a hang (far above what any input takes on a loaded machine — hundreds of
 * milliseconds at most — and far below a quadratic path: the one this found took 9 s), and one
 * that never settles is stopped after 30 s and reported too. fast-check shrinks a failing input
 * before reporting it. Returns how many inputs ran.
 */
export async function fuzzParser<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  parse: (input: T) => unknown,
  allowed: (new (...a: never[]) => Error)[],
  options: { runs: number; seed: number; examples?: [T][] },
): Promise<number> {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(arb, async (input) => {
      n++;
      const started = performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const never = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name} never settled: a hang`)), 30_000);
      });
      try {
        await Promise.race([(async () => await parse(input))(), never]);
      } catch (err) {
        if (!allowed.some((E) => err instanceof E)) {
          throw new Error(
            `${name} crashed with ${(err as Error)?.name}: ${(err as Error)?.message}`,
          );
        }
      } finally {
        clearTimeout(timer);
      }
      const ms = performance.now() - started;
      if (ms > 3_000) throw new Error(`${name} took ${Math.round(ms)} ms: a hang`);
    }),
    { numRuns: options.runs, seed: options.seed, examples: options.examples },
  );
  return n;
}
