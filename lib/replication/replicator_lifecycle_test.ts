import assert from "node:assert/strict";
import { KindRegistry } from "../core/record_kinds.ts";
import { FsBlobStore, IndexDb, RecordLog } from "../store/mod.ts";
import { Replicator } from "./replicator.ts";

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
    const kinds = new KindRegistry();
    const replicator = new Replicator({
      db,
      blobs,
      records: new RecordLog(db, kinds),
      kinds,
      self: { nodeId: "self", publicKey: new Uint8Array(32) },
      transports: [],
    });
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
