import assert from "node:assert/strict";
import { KindRegistry } from "../core/record_kinds.ts";
import { type BlobStore, FsBlobStore, IndexDb, RecordLog } from "../store/mod.ts";
import { Replicator } from "./replicator.ts";
import { ObservedBlobStore } from "./observed_blob_store.ts";
import { blobId } from "../crypto/mod.ts";

/** A replicator of a node with no peers, over `db` and `blobs`. */
function replicatorOver(db: IndexDb, blobs: BlobStore): Replicator {
  const kinds = new KindRegistry();
  return new Replicator({
    db,
    blobs,
    records: new RecordLog(db, kinds),
    kinds,
    self: { nodeId: "self", publicKey: new Uint8Array(32) },
    transports: [],
  });
}

Deno.test("stop() waits for the count of the store that start() began", async () => {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-replicator-" });
  const db = await IndexDb.open(":memory:");
  try {
    const store = await FsBlobStore.open(dir);
    // A store whose count is still running when the node stops (an object store listing its keys).
    let release!: () => void;
    const released = new Promise<void>((r) => release = r);
    let counted = false;
    const count = async () => {
      await released;
      counted = true;
      return 0;
    };
    const blobs = new Proxy(store, {
      get: (target, key) => {
        if (key === "count") return count;
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const replicator = replicatorOver(db, blobs);
    replicator.start();
    let stopped = false;
    const stopping = replicator.stop().then(() => stopped = true);
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(stopped, false, "stop() is still waiting for the count");
    release();
    await stopping;
    assert.equal(counted, true, "the count ended before stop() returned");
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("A replicator stopped while a status event was pending sends status events after it starts again", async () => {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-replicator-" });
  const db = await IndexDb.open(":memory:");
  try {
    const blobs = new ObservedBlobStore(await FsBlobStore.open(dir));
    const replicator = replicatorOver(db, blobs);
    const statuses: number[] = [];
    replicator.events.on((e) => {
      if (e.type === "status") statuses.push(Date.now());
    });
    const store = async (text: string) => {
      const bytes = new TextEncoder().encode(text);
      await blobs.put(await blobId(bytes), new Blob([bytes]).stream());
    };
    replicator.start();
    await store("first");
    // Stopped before the coalesced status event fires (it waits 250 ms).
    await replicator.stop();
    replicator.start();
    const next = new Promise<void>((resolve) => {
      const off = replicator.events.on((e) => {
        if (e.type === "status") off(), resolve();
      });
    });
    await store("second");
    let bound: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      next,
      new Promise((_, reject) =>
        bound = setTimeout(() => reject(new Error("no status event within 10 s")), 10_000)
      ),
    ]).finally(() => clearTimeout(bound));
    assert.equal(statuses.length, 1, "one status event, after the restart");
    await replicator.stop();
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
