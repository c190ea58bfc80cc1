/**
 * The blob store's suite (`_blob_store_suite.ts`) against the filesystem backend, then what
 * only a filesystem store does: its fan-out paths, temp files, directories.
 * `s3/s3_blob_store_test.ts` runs the same suite against a real S3 server.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ValidationError } from "../core/errors.ts";
import { FsBlobStore } from "./fs_blob_store.ts";
import { type Backend, BAD_IDS, callsWith, SUITE } from "./_blob_store_suite.ts";
import {
  byteStreamOf,
  filesUnder,
  patterned,
  readAll,
  sha256,
  streamOf,
  withStore,
} from "./_testing.ts";

const enc = new TextEncoder();
const HELLO = enc.encode("hello, family vault");
const HELLO_ID = sha256(HELLO);

const blobPath = (root: string, id: string) =>
  join(root, "blobs", id.slice(0, 2), id.slice(2, 4), id);

export const FS_BACKEND: Backend = {
  name: "fs",
  async open() {
    const root = await Deno.makeTempDir({ prefix: "p2pos-store-" });
    return {
      store: await FsBlobStore.open(root),
      everything: () => filesUnder(root),
      async corrupt(id) {
        const bytes = await Deno.readFile(blobPath(root, id));
        bytes[3] ^= 0x01;
        await Deno.writeFile(blobPath(root, id), bytes);
      },
      reopen: () => FsBlobStore.open(root),
      [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
    };
  },
};

for (const c of SUITE) Deno.test(`FsBlobStore: ${c.name}`, () => c.fn(FS_BACKEND));

Deno.test("FsBlobStore keeps a blob at blobs/ab/cd/<id>", async () => {
  await withStore(async (store, root) => {
    await store.put(HELLO_ID, streamOf(HELLO));
    const path = `blobs/${HELLO_ID.slice(0, 2)}/${HELLO_ID.slice(2, 4)}/${HELLO_ID}`;
    assert.deepEqual(await filesUnder(root), [`${path}:${HELLO.byteLength}`]);
    const info = await store.describe();
    assert.equal(info.location, join(root, "blobs"));
    assert.ok(info.capacity && info.capacity.freeBytes > 0 && info.capacity.totalBytes > 0);
  });
});

Deno.test("FsBlobStore.put() of a stored blob does not touch its directory", async () => {
  await withStore(async (store) => {
    await store.put(HELLO_ID, streamOf(HELLO));
    const before = await Deno.stat(join(store.root, "blobs", HELLO_ID.slice(0, 2)));
    await store.put(HELLO_ID, streamOf(HELLO));
    const after = await Deno.stat(join(store.root, "blobs", HELLO_ID.slice(0, 2)));
    assert.equal(after.ino, before.ino);
  });
});

Deno.test("FsBlobStore rejects malformed ids before touching the filesystem", async () => {
  const parent = await Deno.makeTempDir();
  try {
    // Never opened, and its root does not exist: only validation can run.
    const store = new FsBlobStore({ root: join(parent, "missing") });
    for (const id of BAD_IDS) {
      for (const call of callsWith(store, id)) await assert.rejects(call(), ValidationError);
    }
    assert.deepEqual(await filesUnder(parent), []);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("FsBlobStore.open() removes temp files left by an interrupted upload", async () => {
  await withStore(async (_store, root) => {
    await Deno.writeFile(join(root, "tmp", crypto.randomUUID()), new Uint8Array(4096));
    await Deno.mkdir(join(root, "tmp", "stray-dir"));
    const reopened = await FsBlobStore.open(root);
    assert.deepEqual(await filesUnder(join(root, "tmp")), []);
    assert.deepEqual(await reopened.list(), { ids: [] });
  });
});

Deno.test("FsBlobStore.put() makes the fan-out directories again if they were removed", async () => {
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

Deno.test("FsBlobStore.list() pages in order across many fan-out directories", async () => {
  await withStore(async (store) => {
    const ids: string[] = [];
    for (let i = 0; i < 400; i++) {
      const bytes = enc.encode(`photo ${i}`);
      ids.push((await store.put(sha256(bytes), streamOf(bytes))).id);
    }
    ids.sort();
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
  });
});

Deno.test("FsBlobStore.put() calls onReceived before the blob is under its name", async () => {
  await withStore(async (store, root) => {
    const calls: boolean[] = [];
    const stored = () => {
      try {
        return Deno.statSync(blobPath(root, HELLO_ID)).isFile;
      } catch {
        return false;
      }
    };
    await store.put(HELLO_ID, streamOf(HELLO), { onReceived: () => calls.push(stored()) });
    assert.deepEqual(calls, [false]);
  });
});
