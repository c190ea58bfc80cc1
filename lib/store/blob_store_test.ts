import assert from "node:assert/strict";
import { join } from "node:path";
import {
  IntegrityError,
  NotFoundError,
  RangeNotSatisfiableError,
  TooLargeError,
  ValidationError,
} from "../core/errors.ts";
import { BlobStore } from "./blob_store.ts";
import { hashStream } from "./hash_file.ts";
import {
  byteStreamOf,
  filesUnder,
  generatedStream,
  patterned,
  readAll,
  sha256,
  streamOf,
  withStore,
} from "./_testing.ts";

const enc = new TextEncoder();
const HELLO = enc.encode("hello, family vault");
const HELLO_ID = sha256(HELLO);

Deno.test("BlobStore.put() stores bytes under their SHA-256 and get() streams them back", async () => {
  await withStore(async (store, root) => {
    assert.deepEqual(await store.put(HELLO_ID, streamOf(HELLO)), {
      id: HELLO_ID,
      size: HELLO.byteLength,
      created: true,
    });
    const got = await store.get(HELLO_ID);
    assert.deepEqual(await readAll(got.stream), HELLO);
    assert.deepEqual([got.size, got.start, got.end], [HELLO.byteLength, 0, HELLO.byteLength - 1]);
    assert.equal(await store.has(HELLO_ID), true);
    assert.equal((await store.stat(HELLO_ID))?.size, HELLO.byteLength);
    const path = `blobs/${HELLO_ID.slice(0, 2)}/${HELLO_ID.slice(2, 4)}/${HELLO_ID}`;
    assert.deepEqual(await filesUnder(root), [`${path}:${HELLO.byteLength}`]);
  });
});

Deno.test("BlobStore.put() rejects bytes whose hash differs from the id and keeps nothing", async () => {
  await withStore(async (store, root) => {
    const other = sha256(enc.encode("something else"));
    await assert.rejects(store.put(other, streamOf(HELLO)), IntegrityError);
    assert.equal(await store.has(other), false);
    assert.deepEqual(await filesUnder(root), []);
  });
});

Deno.test("BlobStore.put() stops reading past maxBytes and removes the partial file", async () => {
  await withStore(async (store, root) => {
    let pulls = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull: (c) => void (pulls++, c.enqueue(new Uint8Array(64 * 1024))),
    }, { highWaterMark: 0 });
    const id = sha256(new Uint8Array(0)).replace(/^./, "0");
    await assert.rejects(store.put(id, endless, { maxBytes: 1 << 20 }), TooLargeError);
    assert.equal(pulls, 17, "reads one chunk past the limit, then stops");
    assert.deepEqual(await filesUnder(root), []);
  });
});

Deno.test("BlobStore.put() removes the partial file when the source errors midway", async () => {
  await withStore(async (store, root) => {
    const cut = new Error("connection reset");
    let sent = 0;
    const failing = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ === 3) return c.error(cut);
        c.enqueue(new Uint8Array(100_000).fill(sent));
      },
    });
    await assert.rejects(store.put(HELLO_ID, failing), (err) => err === cut);
    assert.deepEqual(await filesUnder(root), []);
  });
});

Deno.test("BlobStore.put() stops and cleans up when its signal aborts mid-upload", async () => {
  await withStore(async (store, root) => {
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
    assert.deepEqual(await filesUnder(root), []);
  });
});

Deno.test("BlobStore.put() of a stored blob verifies the bytes without rewriting", async () => {
  await withStore(async (store) => {
    await store.put(HELLO_ID, streamOf(HELLO));
    const before = await Deno.stat(join(store.root, "blobs", HELLO_ID.slice(0, 2)));
    const mtime = (await store.stat(HELLO_ID))?.mtime;
    await new Promise((r) => setTimeout(r, 20));
    const again = await store.put(HELLO_ID, streamOf(HELLO));
    assert.deepEqual(again, { id: HELLO_ID, size: HELLO.byteLength, created: false });
    assert.deepEqual((await store.stat(HELLO_ID))?.mtime, mtime);
    assert.equal(
      (await Deno.stat(join(store.root, "blobs", HELLO_ID.slice(0, 2)))).ino,
      before.ino,
    );
    await assert.rejects(store.put(HELLO_ID, streamOf(enc.encode("forged"))), IntegrityError);
  });
});

Deno.test("BlobStore.put() of one id from two callers at once creates it once", async () => {
  await withStore(async (store, root) => {
    const results = await Promise.all([1, 2, 3].map(() => store.put(HELLO_ID, streamOf(HELLO))));
    assert.deepEqual(results.map((r) => r.created).sort(), [false, false, true]);
    const many = Array.from({ length: 20 }, (_, i) => enc.encode(`blob ${i}`));
    await Promise.all(many.map((b) => store.put(sha256(b), streamOf(b, 2))));
    assert.equal(await store.count(), 21);
    assert.deepEqual(await filesUnder(join(root, "tmp")), []);
  });
});

Deno.test("BlobStore.get() serves inclusive byte ranges and refuses ones past the end", async () => {
  await withStore(async (store) => {
    const bytes = enc.encode("0123456789");
    const id = sha256(bytes);
    await store.put(id, streamOf(bytes));
    const text = async (range: { start: number; end?: number }) => {
      const got = await store.get(id, range);
      return [new TextDecoder().decode(await readAll(got.stream)), got.start, got.end, got.size];
    };
    assert.deepEqual(await text({ start: 7 }), ["789", 7, 9, 10]);
    assert.deepEqual(await text({ start: 2, end: 4 }), ["234", 2, 4, 10]);
    assert.deepEqual(await text({ start: 9, end: 9 }), ["9", 9, 9, 10]);
    assert.deepEqual(await text({ start: 8, end: 1000 }), ["89", 8, 9, 10], "end is clamped");
    await assert.rejects(store.get(id, { start: 10 }), (err) => {
      assert.ok(err instanceof RangeNotSatisfiableError);
      assert.equal(err.size, 10);
      return true;
    });
    await assert.rejects(store.get(id, { start: 5, end: 4 }), RangeError);
    await assert.rejects(store.get(id, { start: -1 }), RangeError);
  });
});

Deno.test("BlobStore reports a missing blob as NotFoundError, null or false", async () => {
  await withStore(async (store) => {
    await assert.rejects(store.get(HELLO_ID), NotFoundError);
    assert.equal(await store.stat(HELLO_ID), null);
    assert.equal(await store.delete(HELLO_ID), false);
  });
});

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

function callsWith(store: BlobStore, id: string): Array<() => Promise<unknown>> {
  return [
    () => store.put(id, streamOf(HELLO)),
    () => store.get(id),
    () => store.readBytes(id, 1 << 20),
    () => store.stat(id),
    () => store.has(id),
    () => store.delete(id),
    () => store.list({ after: id }),
  ];
}

Deno.test("BlobStore rejects malformed ids before touching the filesystem", async () => {
  const parent = await Deno.makeTempDir();
  try {
    // Never opened, and its root does not exist: only validation can run.
    const store = new BlobStore({ root: join(parent, "missing") });
    for (const id of BAD_IDS) {
      for (const call of callsWith(store, id)) await assert.rejects(call(), ValidationError);
    }
    assert.deepEqual(await filesUnder(parent), []);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("BlobStore leaves an open data dir untouched when given malformed ids", async () => {
  await withStore(async (store, root) => {
    await store.put(HELLO_ID, streamOf(HELLO));
    const before = await filesUnder(root);
    for (const id of BAD_IDS) {
      for (const call of callsWith(store, id)) await assert.rejects(call(), ValidationError);
    }
    assert.deepEqual(await filesUnder(root), before);
  });
});

/** Stores `n` small distinct blobs; their ids in the order stored. */
async function putPhotos(store: BlobStore, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = enc.encode(`photo ${i}`);
    ids.push((await store.put(sha256(bytes), streamOf(bytes))).id);
  }
  return ids;
}

Deno.test("BlobStore.list() pages through ids in ascending order", async () => {
  await withStore(async (store) => {
    const ids = await putPhotos(store, 25);
    const pages: string[][] = [];
    let after: string | undefined;
    do {
      const page = await store.list({ after, limit: 10 });
      pages.push(page.ids);
      after = page.next;
    } while (after);
    assert.deepEqual(pages.map((p) => p.length), [10, 10, 5]);
    assert.deepEqual(pages.flat(), ids.sort());
    assert.deepEqual(await store.list({ after: ids[24] }), { ids: [] });
    assert.deepEqual(await store.list({ limit: 25 }), { ids });
    await assert.rejects(store.list({ limit: 0 }), RangeError);
  });
});

Deno.test("BlobStore.delete() removes a blob and says whether it was there", async () => {
  await withStore(async (store) => {
    await store.put(HELLO_ID, streamOf(HELLO));
    assert.equal(await store.delete(HELLO_ID), true);
    assert.equal(await store.has(HELLO_ID), false);
    assert.equal(await store.delete(HELLO_ID), false);
    assert.deepEqual(await store.list(), { ids: [] });
  });
});

Deno.test("BlobStore.scrub() finds a blob whose bytes were flipped on disk", async () => {
  await withStore(async (store, root) => {
    const blobs = ["a", "b", "c"].map((s) => enc.encode(`blob ${s}`));
    for (const b of blobs) await store.put(sha256(b), streamOf(b));
    const victim = sha256(blobs[1]);
    const path = join(root, "blobs", victim.slice(0, 2), victim.slice(2, 4), victim);
    const bytes = await Deno.readFile(path);
    bytes[3] ^= 0x01;
    await Deno.writeFile(path, bytes);
    const progress: string[] = [];
    const report = await store.scrub({ onProgress: (d, t) => progress.push(`${d}/${t}`) });
    assert.deepEqual(report, { checked: 3, corrupt: [victim] });
    assert.deepEqual(progress, ["1/3", "2/3", "3/3"]);
  });
});

Deno.test("BlobStore.open() removes temp files left by an interrupted upload", async () => {
  await withStore(async (_store, root) => {
    await Deno.writeFile(join(root, "tmp", crypto.randomUUID()), new Uint8Array(4096));
    await Deno.mkdir(join(root, "tmp", "stray-dir"));
    const reopened = await BlobStore.open(root);
    assert.deepEqual(await filesUnder(join(root, "tmp")), []);
    assert.deepEqual(await reopened.list(), { ids: [] });
  });
});

Deno.test("BlobStore streams a 64 MiB blob in and out in chunks", async () => {
  await withStore(async (store) => {
    const size = 64 << 20;
    const { hex: id } = await hashStream(generatedStream(size, 7));
    assert.deepEqual(await store.put(id, generatedStream(size, 7)), { id, size, created: true });
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
  });
});

/** `size` bytes that differ with `seed`, so a reused buffer holding old bytes shows. */
Deno.test("BlobStore.put() reads a byte stream into its own buffers, across buffer edges", async () => {
  await withStore(async (store) => {
    // 2.5 MiB + 3 in pieces of at most 100,003 bytes: reads end mid-buffer and at odd offsets.
    const bytes = patterned((5 << 19) + 3, 1);
    const id = sha256(bytes);
    const { stream, stats } = byteStreamOf(bytes);
    assert.deepEqual(await store.put(id, stream), { id, size: bytes.byteLength, created: true });
    assert.ok(
      stats.byob > 0 && stats.byob === stats.pulls - 1,
      "every read but the last filled a BYOB view",
    );
    assert.deepEqual(await readAll((await store.get(id)).stream), bytes);
    // Again, as a stored blob: verified through the counting writer, nothing rewritten.
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
  });
});

Deno.test("BlobStore.put() reuses its buffers without carrying bytes from one blob to the next", async () => {
  await withStore(async (store) => {
    const blobs = [3, 1, 2, 4].map((n, seed) => patterned(n * 700_001, seed));
    // A failed put in between returns its buffers too, half-filled.
    const bad = patterned(1_500_000, 9);
    await assert.rejects(store.put(sha256(blobs[0]), byteStreamOf(bad).stream), IntegrityError);
    for (const [i, bytes] of blobs.entries()) {
      const stream = i % 2 ? streamOf(bytes, 65_536) : byteStreamOf(bytes).stream;
      await store.put(sha256(bytes), stream);
    }
    // Concurrent puts share the pool.
    const more = [5, 6, 7].map((seed) => patterned(1_200_000 + seed, seed));
    await Promise.all(more.map((b) => store.put(sha256(b), byteStreamOf(b, 65_536).stream)));
    for (const bytes of [...blobs, ...more]) {
      assert.deepEqual(await readAll((await store.get(sha256(bytes))).stream), bytes);
    }
  });
});

Deno.test("BlobStore.put() of a byte stream: too large, hash mismatch or an error keep nothing", async () => {
  await withStore(async (store, root) => {
    const bytes = patterned(3 << 20, 3);
    await assert.rejects(
      store.put(sha256(bytes), byteStreamOf(bytes).stream, { maxBytes: 2 << 20 }),
      TooLargeError,
    );
    await assert.rejects(store.put(HELLO_ID, byteStreamOf(bytes).stream), IntegrityError);
    const cut = new Error("connection reset");
    let pulls = 0;
    const failing = new ReadableStream({
      type: "bytes",
      pull(c) {
        if (pulls++ === 20) return c.error(cut);
        const view = c.byobRequest!.view!;
        c.byobRequest!.respond(Math.min(view.byteLength, 100_000));
      },
    });
    await assert.rejects(store.put(HELLO_ID, failing), (err) => err === cut);
    assert.deepEqual(await filesUnder(root), []);
  });
});

Deno.test("BlobStore.put() makes the fan-out directories again if they were removed", async () => {
  await withStore(async (store, root) => {
    const first = patterned(5000, 1);
    const id = sha256(first);
    await store.put(id, streamOf(first));
    // An operator (or a restore) removes the whole top-level directory of that blob.
    await Deno.remove(join(root, "blobs", id.slice(0, 2)), { recursive: true });
    assert.equal(await store.has(id), false);
    await store.put(id, byteStreamOf(first).stream);
    assert.deepEqual(await readAll((await store.get(id)).stream), first);
  });
});

Deno.test("BlobStore.list() pages in order across many fan-out directories, from any cursor", async () => {
  await withStore(async (store) => {
    const ids = await putPhotos(store, 400);
    ids.sort();
    // A cursor inside a leaf, between leaves and past the last id, with pages of 7.
    for (const start of [undefined, ids[0], ids[133], ids[398]]) {
      const seen: string[] = [];
      let after = start;
      do {
        const page = await store.list({ after, limit: 7 });
        seen.push(...page.ids);
        after = page.next;
      } while (after);
      assert.deepEqual(seen, ids.filter((id) => start === undefined || id > start));
    }
    assert.equal(await store.count(), 400);
  });
});

Deno.test("BlobStore.readBytes() returns a whole small blob and refuses one over the limit", async () => {
  await withStore(async (store) => {
    const bytes = patterned(2_500_001, 4);
    const id = sha256(bytes);
    await store.put(id, streamOf(bytes, 65_536));
    assert.deepEqual(await store.readBytes(id, 8 << 20), bytes);
    await assert.rejects(store.readBytes(id, 1 << 20), RangeError);
    await assert.rejects(store.readBytes(HELLO_ID, 8 << 20), NotFoundError);
    await assert.rejects(store.readBytes("../etc/passwd", 8 << 20), ValidationError);
  });
});

Deno.test("BlobStore.put() calls onReceived when the bytes are in and verified, before they are stored", async () => {
  await withStore(async (store, root) => {
    const final = `${root}/blobs/${HELLO_ID.slice(0, 2)}/${HELLO_ID.slice(2, 4)}/${HELLO_ID}`;
    const calls: boolean[] = [];
    const stored = () => {
      try {
        return Deno.statSync(final).isFile;
      } catch {
        return false;
      }
    };
    const onReceived = () => calls.push(stored());
    const other = sha256(enc.encode("something else"));
    await assert.rejects(store.put(other, streamOf(HELLO), { onReceived }), IntegrityError);
    assert.deepEqual(calls, [], "not for bytes that fail their hash");
    await store.put(HELLO_ID, streamOf(HELLO), { onReceived });
    assert.deepEqual(calls, [false], "once, before the blob is under its name");
    await store.put(HELLO_ID, streamOf(HELLO), { onReceived });
    assert.deepEqual(calls, [false], "not for a blob already stored");
  });
});

Deno.test("BlobStore.readable() streams a whole blob from its file, or says it is not stored", async () => {
  await withStore(async (store) => {
    const bytes = patterned(3 * 65_536 + 5, 3);
    const id = sha256(bytes);
    await store.put(id, byteStreamOf(bytes).stream);
    const got = await store.readable(id);
    assert.equal(got.size, bytes.byteLength);
    assert.deepEqual(await readAll(got.stream), bytes);
    await assert.rejects(store.readable(HELLO_ID), NotFoundError);
    await assert.rejects(store.readable("../etc/passwd"), ValidationError);
  });
});
