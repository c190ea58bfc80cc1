/**
 * The blob store's own test suite, written against the {@link BlobStore} contract and run
 * against every backend: `blob_store_test.ts` (files) and `s3/s3_blob_store_test.ts` (a
 * real Ceph RADOS Gateway). A backend supplies a {@link Backend}: fresh stores and ways to
 * look behind them (everything they hold, and corrupting a blob as bit rot would).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  IntegrityError,
  NotFoundError,
  RangeNotSatisfiableError,
  StalledError,
  TooLargeError,
  ValidationError,
} from "../core/errors.ts";
import type { BlobStore } from "./blob_store.ts";
import { hashStream } from "./hash_file.ts";
import { byteStreamOf, generatedStream, patterned, readAll, sha256, streamOf } from "./_testing.ts";

export interface OpenedStore extends AsyncDisposable {
  store: BlobStore;
  /**
   * Everything the backend holds, as sorted strings: files under the data dir, or keys and
   * unfinished multipart uploads in the bucket. A store that kept nothing shows `[]`.
   */
  everything(): Promise<string[]>;
  /** Flips a byte of a stored blob behind the store's back. */
  corrupt(id: string): Promise<void>;
  /** The same place opened again, as after a restart. */
  reopen(): Promise<BlobStore>;
}

export interface Backend {
  name: "fs" | "s3";
  open(): Promise<OpenedStore>;
}

export interface SuiteCase {
  name: string;
  fn(backend: Backend): Promise<void>;
}

const enc = new TextEncoder();
const HELLO = enc.encode("hello, family vault");
const HELLO_ID = sha256(HELLO);

async function using(backend: Backend, fn: (o: OpenedStore) => Promise<void>): Promise<void> {
  const opened = await backend.open();
  try {
    await fn(opened);
  } finally {
    await opened[Symbol.asyncDispose]();
  }
}

const BAD_IDS = [
  "../x",
  "%2e%2e%2f" + HELLO_ID.slice(9),
  HELLO_ID.slice(0, 63) + "\0",
  HELLO_ID.slice(0, 2) + "\\" + HELLO_ID.slice(3),
  HELLO_ID.toUpperCase(),
  "a".repeat(10 * 1024),
  HELLO_ID.slice(0, 63),
  "../../" + HELLO_ID.slice(6),
  "",
];

export function callsWith(store: BlobStore, id: string): Array<() => Promise<unknown>> {
  return [
    () => store.put(id, streamOf(HELLO)),
    () => store.get(id),
    () => store.readBytes(id, 1 << 20),
    () => store.readable(id),
    () => store.stat(id),
    () => store.has(id),
    () => store.hasMany([id]),
    () => store.delete(id),
    () => store.importFile(id, "/nonexistent"),
    () => store.list({ after: id }),
  ];
}

export { BAD_IDS };

/** Stores `n` small distinct blobs; their ids in the order stored. */
async function putPhotos(store: BlobStore, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = enc.encode(`photo ${i}`);
    ids.push((await store.put(sha256(bytes), streamOf(bytes))).id);
  }
  return ids;
}

export const SUITE: SuiteCase[] = [
  {
    name: "put() stores bytes under their SHA-256 and get() streams them back",
    fn: (b) =>
      using(b, async ({ store, everything }) => {
        assert.deepEqual(await store.put(HELLO_ID, streamOf(HELLO)), {
          id: HELLO_ID,
          size: HELLO.byteLength,
          created: true,
        });
        const got = await store.get(HELLO_ID);
        assert.deepEqual(await readAll(got.stream), HELLO);
        assert.deepEqual([got.size, got.start, got.end], [
          HELLO.byteLength,
          0,
          HELLO.byteLength - 1,
        ]);
        assert.equal(await store.has(HELLO_ID), true);
        assert.equal((await store.stat(HELLO_ID))?.size, HELLO.byteLength);
        const all = await everything();
        assert.equal(all.length, 1, `one item holds the blob: ${all}`);
        assert.ok(all[0].includes(HELLO_ID));
        assert.equal((await store.describe()).backend, b.name);
      }),
  },
  {
    name: "put() rejects bytes whose hash differs from the id and keeps nothing",
    fn: (b) =>
      using(b, async ({ store, everything }) => {
        const other = sha256(enc.encode("something else"));
        await assert.rejects(store.put(other, streamOf(HELLO)), IntegrityError);
        assert.equal(await store.has(other), false);
        // Larger than one buffer or part: the bytes went out before the hash was known.
        const big = patterned((9 << 20) + 5, 2);
        await assert.rejects(store.put(other, byteStreamOf(big).stream), IntegrityError);
        await assert.rejects(store.put(other, streamOf(big, 1 << 20)), IntegrityError);
        assert.equal(await store.has(other), false);
        assert.deepEqual(await everything(), []);
      }),
  },
  {
    name: "put() stops reading past maxBytes and keeps nothing",
    fn: (b) =>
      using(b, async ({ store, everything }) => {
        let pulls = 0;
        const endless = new ReadableStream<Uint8Array>({
          pull: (c) => void (pulls++, c.enqueue(new Uint8Array(64 * 1024))),
        }, { highWaterMark: 0 });
        const id = sha256(new Uint8Array(0)).replace(/^./, "0");
        await assert.rejects(store.put(id, endless, { maxBytes: 1 << 20 }), TooLargeError);
        assert.equal(pulls, 17, "reads one chunk past the limit, then stops");
        // Past a multipart part too.
        const bytes = patterned(12 << 20, 3);
        await assert.rejects(
          store.put(sha256(bytes), byteStreamOf(bytes).stream, { maxBytes: 10 << 20 }),
          TooLargeError,
        );
        assert.deepEqual(await everything(), []);
      }),
  },
  {
    name: "put() keeps nothing when the source errors midway, or its signal aborts",
    fn: (b) =>
      using(b, async ({ store, everything }) => {
        const cut = new Error("connection reset");
        for (const chunk of [100_000, 3 << 20]) {
          let sent = 0;
          const failing = new ReadableStream<Uint8Array>({
            pull(c) {
              if (sent++ === 4) return c.error(cut);
              c.enqueue(new Uint8Array(chunk).fill(sent));
            },
          });
          await assert.rejects(store.put(HELLO_ID, failing), (err) => err === cut);
        }
        const ac = new AbortController();
        let cancelled = false;
        const stalled = new ReadableStream<Uint8Array>({
          start: (c) => c.enqueue(new Uint8Array(1000)),
          pull: () => new Promise(() => {}), // a client that went silent
          cancel: () => void (cancelled = true),
        });
        const putting = store.put(HELLO_ID, stalled, { signal: ac.signal });
        setTimeout(() => ac.abort(new Error("client went away")), 20);
        await assert.rejects(putting, /client went away/);
        assert.equal(cancelled, true);
        assert.deepEqual(await everything(), []);
      }),
  },
  {
    name: "put() with stallMs fails with StalledError when the sender goes silent",
    fn: (b) =>
      using(b, async ({ store, everything }) => {
        const silent = new ReadableStream<Uint8Array>({
          start: (c) => c.enqueue(new Uint8Array(1000)),
          pull: () => new Promise(() => {}),
        });
        await assert.rejects(store.put("0".repeat(64), silent, { stallMs: 50 }), StalledError);
        assert.deepEqual(await everything(), []);
      }),
  },
  {
    name: "put() of a stored blob verifies the bytes without rewriting",
    fn: (b) =>
      using(b, async ({ store }) => {
        await store.put(HELLO_ID, streamOf(HELLO));
        const mtime = (await store.stat(HELLO_ID))?.mtime;
        await new Promise((r) => setTimeout(r, 20));
        const again = await store.put(HELLO_ID, streamOf(HELLO));
        assert.deepEqual(again, { id: HELLO_ID, size: HELLO.byteLength, created: false });
        assert.deepEqual((await store.stat(HELLO_ID))?.mtime, mtime);
        await assert.rejects(store.put(HELLO_ID, streamOf(enc.encode("forged"))), IntegrityError);
        assert.deepEqual(await readAll((await store.get(HELLO_ID)).stream), HELLO);
      }),
  },
  {
    name: "put() of one id from several callers at once creates it once",
    fn: (b) =>
      using(b, async ({ store, everything }) => {
        const results = await Promise.all(
          [1, 2, 3].map(() => store.put(HELLO_ID, streamOf(HELLO))),
        );
        assert.deepEqual(results.map((r) => r.created).sort(), [false, false, true]);
        const many = Array.from({ length: 20 }, (_, i) => enc.encode(`blob ${i}`));
        await Promise.all(many.map((x) => store.put(sha256(x), streamOf(x, 2))));
        assert.equal(await store.count(), 21);
        assert.equal((await everything()).length, 21);
      }),
  },
  {
    name: "get() serves inclusive byte ranges and refuses ones past the end",
    fn: (b) =>
      using(b, async ({ store }) => {
        const bytes = enc.encode("0123456789");
        const id = sha256(bytes);
        await store.put(id, streamOf(bytes));
        const text = async (range: { start: number; end?: number }) => {
          const got = await store.get(id, range);
          return [
            new TextDecoder().decode(await readAll(got.stream)),
            got.start,
            got.end,
            got.size,
          ];
        };
        assert.deepEqual(await text({ start: 7 }), ["789", 7, 9, 10]);
        assert.deepEqual(await text({ start: 2, end: 4 }), ["234", 2, 4, 10]);
        assert.deepEqual(await text({ start: 9, end: 9 }), ["9", 9, 9, 10]);
        assert.deepEqual(await text({ start: 0, end: 9 }), ["0123456789", 0, 9, 10]);
        assert.deepEqual(await text({ start: 8, end: 1000 }), ["89", 8, 9, 10], "end is clamped");
        await assert.rejects(store.get(id, { start: 10 }), (err) => {
          assert.ok(err instanceof RangeNotSatisfiableError);
          assert.equal(err.size, 10);
          return true;
        });
        await assert.rejects(store.get(id, { start: 5, end: 4 }), RangeError);
        await assert.rejects(store.get(id, { start: -1 }), RangeError);
        // An empty blob read whole.
        const empty = sha256(new Uint8Array(0));
        await store.put(empty, streamOf(new Uint8Array(0)));
        const got = await store.get(empty);
        assert.deepEqual([got.size, got.start, got.end], [0, 0, -1]);
        assert.equal((await readAll(got.stream)).byteLength, 0);
      }),
  },
  {
    name: "reports a missing blob as NotFoundError, null or false",
    fn: (b) =>
      using(b, async ({ store }) => {
        await assert.rejects(store.get(HELLO_ID), NotFoundError);
        await assert.rejects(store.get(HELLO_ID, { start: 1 }), NotFoundError);
        await assert.rejects(store.readable(HELLO_ID), NotFoundError);
        await assert.rejects(store.readBytes(HELLO_ID, 100), NotFoundError);
        assert.equal(await store.stat(HELLO_ID), null);
        assert.equal(await store.has(HELLO_ID), false);
        assert.equal(await store.delete(HELLO_ID), false);
      }),
  },
  {
    name: "rejects malformed ids and leaves what it holds untouched",
    fn: (b) =>
      using(b, async ({ store, everything }) => {
        await store.put(HELLO_ID, streamOf(HELLO));
        const before = await everything();
        for (const id of BAD_IDS) {
          for (const call of callsWith(store, id)) await assert.rejects(call(), ValidationError);
        }
        assert.deepEqual(await everything(), before);
      }),
  },
  {
    name: "list() pages through ids in ascending order, from any cursor",
    fn: (b) =>
      using(b, async ({ store }) => {
        const ids = (await putPhotos(store, 60)).sort();
        for (const start of [undefined, ids[0], ids[23], ids[58]]) {
          const pages: string[][] = [];
          let after = start;
          do {
            const page = await store.list({ after, limit: 7 });
            pages.push(page.ids);
            after = page.next;
          } while (after);
          assert.deepEqual(pages.flat(), ids.filter((id) => start === undefined || id > start));
          assert.ok(pages.slice(0, -1).every((p) => p.length === 7));
        }
        assert.deepEqual(await store.list({ after: ids[59] }), { ids: [] });
        assert.deepEqual(await store.list({ limit: 60 }), { ids });
        assert.deepEqual(await store.list({ limit: 59 }), { ids: ids.slice(0, 59), next: ids[58] });
        await assert.rejects(store.list({ limit: 0 }), RangeError);
        assert.equal(await store.count(), 60);
        const bytes = Array.from({ length: 60 }, (_, i) => enc.encode(`photo ${i}`).byteLength);
        assert.equal(await store.totalBytes(), bytes.reduce((sum, n) => sum + n, 0));
      }),
  },
  {
    name: "hasMany() says which of many or few ids are stored, in the order asked",
    fn: (b) =>
      using(b, async ({ store }) => {
        const stored = await putPhotos(store, 50);
        const absent = Array.from({ length: 60 }, (_, i) => sha256(enc.encode(`absent ${i}`)));
        // Interleaved and unsorted, with absent ids below, inside and above the stored range.
        const asked = [...stored, ...absent].sort(() => Math.random() - 0.5);
        const want = asked.map((id) => stored.includes(id));
        assert.deepEqual(await store.hasMany(asked), want);
        assert.deepEqual(await store.hasMany(asked.slice(0, 5)), want.slice(0, 5));
        assert.deepEqual(await store.hasMany([]), []);
        const first = [...stored].sort()[0];
        assert.deepEqual(await store.hasMany([first, ...absent]), [
          true,
          ...absent.map(() => false),
        ]);
        await assert.rejects(store.hasMany([...absent, "../x"]), ValidationError);
      }),
  },
  {
    name: "delete() removes a blob and says whether it was there",
    fn: (b) =>
      using(b, async ({ store, everything }) => {
        await store.put(HELLO_ID, streamOf(HELLO));
        assert.equal(await store.delete(HELLO_ID), true);
        assert.equal(await store.has(HELLO_ID), false);
        assert.equal(await store.delete(HELLO_ID), false);
        assert.deepEqual(await store.list(), { ids: [] });
        assert.deepEqual(await everything(), []);
      }),
  },
  {
    name: "scrub() finds a blob whose stored bytes were flipped",
    fn: (b) =>
      using(b, async ({ store, corrupt }) => {
        const blobs = ["a", "b", "c"].map((s) => enc.encode(`blob ${s}`));
        for (const x of blobs) await store.put(sha256(x), streamOf(x));
        const victim = sha256(blobs[1]);
        await corrupt(victim);
        const progress: string[] = [];
        const report = await store.scrub({ onProgress: (d, t) => progress.push(`${d}/${t}`) });
        assert.deepEqual(report, { checked: 3, corrupt: [victim] });
        assert.deepEqual(progress, ["1/3", "2/3", "3/3"]);
      }),
  },
  {
    name: "streams a 40 MiB blob in and out in bounded chunks",
    fn: (b) =>
      using(b, async ({ store }) => {
        const size = 40 << 20;
        const { hex: id } = await hashStream(generatedStream(size, 7));
        assert.deepEqual(await store.put(id, generatedStream(size, 7)), {
          id,
          size,
          created: true,
        });
        const got = await store.get(id);
        let largest = 0;
        const sized = got.stream.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, c) {
              largest = Math.max(largest, chunk.byteLength);
              c.enqueue(chunk);
            },
          }),
        );
        assert.deepEqual(await hashStream(sized), { hex: id, size });
        assert.ok(largest <= 1 << 20, `get() yielded a ${largest}-byte chunk`);
        const part = await store.get(id, { start: (17 << 20) + 3, end: (17 << 20) + 9 });
        assert.equal((await readAll(part.stream)).byteLength, 7);
      }),
  },
  {
    name: "put() reads a byte stream into its own buffers, across buffer edges",
    fn: (b) =>
      using(b, async ({ store }) => {
        const bytes = patterned((5 << 19) + 3, 1);
        const id = sha256(bytes);
        const { stream, stats } = byteStreamOf(bytes);
        assert.deepEqual(await store.put(id, stream), {
          id,
          size: bytes.byteLength,
          created: true,
        });
        assert.ok(
          stats.byob > 0 && stats.byob === stats.pulls - 1,
          "every read but the last filled a BYOB view",
        );
        assert.deepEqual(await readAll((await store.get(id)).stream), bytes);
        const again = byteStreamOf(bytes, 1 << 20);
        assert.deepEqual(await store.put(id, again.stream), {
          id,
          size: bytes.byteLength,
          created: false,
        });
        await assert.rejects(
          store.put(id, byteStreamOf(patterned(bytes.byteLength, 2)).stream),
          IntegrityError,
        );
      }),
  },
  {
    name: "put() reuses its buffers without carrying bytes from one blob to the next",
    fn: (b) =>
      using(b, async ({ store }) => {
        const blobs = [3, 1, 2, 4, 13].map((n, seed) => patterned(n * 700_001, seed));
        const bad = patterned(1_500_000, 9);
        await assert.rejects(store.put(sha256(blobs[0]), byteStreamOf(bad).stream), IntegrityError);
        for (const [i, bytes] of blobs.entries()) {
          const stream = i % 2 ? streamOf(bytes, 65_536) : byteStreamOf(bytes).stream;
          await store.put(sha256(bytes), stream);
        }
        const more = [5, 6, 7].map((seed) => patterned(1_200_000 + seed, seed));
        await Promise.all(more.map((x) => store.put(sha256(x), byteStreamOf(x, 65_536).stream)));
        for (const bytes of [...blobs, ...more]) {
          assert.deepEqual(await readAll((await store.get(sha256(bytes))).stream), bytes);
        }
      }),
  },
  {
    name: "readBytes() returns a whole small blob and refuses one over the limit",
    fn: (b) =>
      using(b, async ({ store }) => {
        const bytes = patterned(2_500_001, 4);
        const id = sha256(bytes);
        await store.put(id, streamOf(bytes, 65_536));
        assert.deepEqual(await store.readBytes(id, 8 << 20), bytes);
        await assert.rejects(store.readBytes(id, 1 << 20), RangeError);
      }),
  },
  {
    name: "readable() streams a whole blob",
    fn: (b) =>
      using(b, async ({ store }) => {
        const bytes = patterned(3 * 65_536 + 5, 3);
        const id = sha256(bytes);
        await store.put(id, byteStreamOf(bytes).stream);
        const got = await store.readable(id);
        assert.equal(got.size, bytes.byteLength);
        assert.deepEqual(await readAll(got.stream), bytes);
      }),
  },
  {
    name: "put() calls onReceived once the bytes are in and verified, and only then",
    fn: (b) =>
      using(b, async ({ store }) => {
        let calls = 0;
        const onReceived = () => void calls++;
        const other = sha256(enc.encode("something else"));
        await assert.rejects(store.put(other, streamOf(HELLO), { onReceived }), IntegrityError);
        assert.equal(calls, 0, "not for bytes that fail their hash");
        await store.put(HELLO_ID, streamOf(HELLO), { onReceived });
        assert.equal(calls, 1);
        await store.put(HELLO_ID, streamOf(HELLO), { onReceived });
        assert.equal(calls, 1, "not for a blob already stored");
      }),
  },
  {
    name: "importFile() stores a finished local file once it hashes to the id",
    fn: (b) =>
      using(b, async ({ store, everything }) => {
        const bytes = patterned((9 << 20) + 11, 5);
        const id = sha256(bytes);
        const uploads = join(store.root, "uploads");
        await Deno.mkdir(uploads, { recursive: true });
        const path = join(uploads, "session-1");
        await Deno.writeFile(path, bytes);
        await assert.rejects(store.importFile(HELLO_ID, path), IntegrityError);
        assert.equal((await Deno.stat(path)).size, bytes.byteLength, "left for the caller");
        assert.deepEqual(await store.importFile(id, path), {
          id,
          size: bytes.byteLength,
          created: true,
        });
        await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
        assert.deepEqual(await readAll((await store.get(id)).stream), bytes);
        await Deno.writeFile(path, bytes);
        assert.equal((await store.importFile(id, path)).created, false);
        await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
        assert.equal((await everything()).filter((e) => e.includes(id)).length, 1);
        await Deno.remove(uploads, { recursive: true });
      }),
  },
  {
    name: "a store opened again finds what was stored",
    fn: (b) =>
      using(b, async ({ store, reopen }) => {
        const ids = await putPhotos(store, 5);
        const again = await reopen();
        assert.deepEqual((await again.list()).ids, ids.sort());
        assert.equal(await again.has(ids[0]), true);
      }),
  },
];
