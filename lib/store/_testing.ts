/**
 * Helpers for this folder's tests: temp stores, byte streams, file-tree snapshots.
 * Not exported from `mod.ts`.
 */

import { createCipheriv, createHash } from "node:crypto";
import { join, relative } from "node:path";
import { FsBlobStore, type FsBlobStoreOptions } from "./fs_blob_store.ts";

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Opens a store in a fresh temp dir, runs `fn`, and removes the dir whatever happens. */
export async function withStore(
  fn: (store: FsBlobStore, root: string) => Promise<void>,
  options: Omit<FsBlobStoreOptions, "root"> = {},
) {
  const root = await Deno.makeTempDir({ prefix: "p2pos-store-" });
  try {
    await fn(await FsBlobStore.open(root, options), root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** A stream yielding `bytes` in `chunkSize` pieces, pulled on demand. */
export function streamOf(bytes: Uint8Array, chunkSize = 7): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.byteLength) return c.close();
      c.enqueue(bytes.slice(off, off + chunkSize));
      off += chunkSize;
    },
  }, { highWaterMark: 0 });
}

/**
 * A byte stream (`type: "bytes"`, like an HTTP body in Deno) of `bytes`, at most `maxChunk`
 * bytes per pull. It fills a BYOB reader's own buffer when given one; `stats.byob` counts
 * the pulls that did.
 */
export function byteStreamOf(
  bytes: Uint8Array,
  maxChunk = 100_003,
): { stream: ReadableStream<Uint8Array>; stats: { byob: number; pulls: number } } {
  const stats = { byob: 0, pulls: 0 };
  let off = 0;
  const stream = new ReadableStream({
    type: "bytes",
    pull(c) {
      stats.pulls++;
      const req = c.byobRequest;
      if (off >= bytes.byteLength) {
        c.close();
        req?.respond(0);
        return;
      }
      const n = Math.min(maxChunk, bytes.byteLength - off, req?.view?.byteLength ?? Infinity);
      if (req?.view) {
        stats.byob++;
        const view = new Uint8Array(req.view.buffer, req.view.byteOffset, req.view.byteLength);
        view.set(bytes.subarray(off, off + n));
        req.respond(n);
      } else {
        c.enqueue(bytes.slice(off, off + n));
      }
      off += n;
    },
  });
  return { stream, stats };
}

/**
 * `size` pseudo-random bytes generated on demand (AES-128-CTR over zeros keyed by `seed`),
 * so a 64 MiB blob never exists in memory at once and the same seed gives the same bytes.
 */
export function generatedStream(size: number, seed: number): ReadableStream<Uint8Array> {
  const key = createHash("sha256").update(`seed:${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, new Uint8Array(16));
  const zeros = new Uint8Array(1 << 20);
  let left = size;
  return new ReadableStream({
    pull(c) {
      if (left === 0) return c.close();
      const n = Math.min(zeros.byteLength, left);
      c.enqueue(new Uint8Array(cipher.update(zeros.subarray(0, n))));
      left -= n;
    },
  }, { highWaterMark: 0 });
}

/** `size` bytes of a pattern that differs with `seed` and never repeats within 2 KiB. */
export function patterned(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed * 7 + (i >> 11)) & 0xff;
  return bytes;
}

export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Every file under `dir` as `relative/path:size`, sorted; `[]` if `dir` does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await visit(p);
      else out.push(`${relative(dir, p)}:${(await Deno.stat(p)).size}`);
    }
  };
  try {
    await visit(dir);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort();
}

/** Every size from 8 below to 8 above 1, 2 and 3 MiB: where the store's 1 MiB buffers fill. */
export const EDGE_SIZES: number[] = [1, 2, 3].flatMap((m) =>
  Array.from({ length: 17 }, (_, i) => m * (1 << 20) - 8 + i)
);

/** `bytes` as a stream of 64 KiB copies: sent by fetch as a chunked body. */
export function chunkedBody(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.byteLength) return c.close();
      c.enqueue(bytes.slice(off, off += 65_536));
    },
  });
}
