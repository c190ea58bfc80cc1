import assert from "node:assert/strict";
import type { Transport } from "../core/transport.ts";
import { FsBlobStore, IndexDb, type PutOptions } from "../store/mod.ts";
import { BlobJobQueue } from "./blob_jobs.ts";
import { DiskSpace } from "./disk_space.ts";
import { BlobWorker } from "./blob_worker.ts";
import { LocationStore } from "./locations.ts";
import type { Peer, PeerDirectory } from "./peers.ts";

const PINE: Peer = { nodeId: "pine", publicKey: "k", url: "http://127.0.0.1:1", name: "Pine" };
const [A, B, C] = ["a", "b", "c"].map((c) => c.repeat(64));

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), `timed out waiting for ${what}`);
}

Deno.test("A pull frees its transfer slot once its bytes are in, and acks only once they are durable", async () => {
  const root = await Deno.makeTempDir({ prefix: "p2pos-worker-" });
  const db = await IndexDb.open(":memory:");
  const jobs = new BlobJobQueue(db);
  const locations = new LocationStore(db);
  const events: string[] = [];
  // Each blob's put waits, after its bytes are in, until the test says it is durable.
  const durable = new Map([A, B, C].map((id) => [id, Promise.withResolvers<void>()]));
  const transport = {
    getBlob: (_peer: Peer, id: string) => {
      events.push(`get ${id[0]}`);
      return Promise.resolve({ size: 3, stream: new Blob(["abc"]).stream() });
    },
  } as unknown as Transport;
  const peers = {
    get: (id: string) => id === PINE.nodeId ? PINE : undefined,
    transportFor: () => transport,
    reachableIds: () => [PINE.nodeId],
    markDown: () => false,
  } as unknown as PeerDirectory;
  const worker = new BlobWorker({
    jobs,
    blobs: await FsBlobStore.open(root),
    ingest: async (id: string, stream: ReadableStream<Uint8Array>, o: PutOptions) => {
      await new Response(stream).arrayBuffer();
      o.onReceived?.();
      events.push(`in ${id[0]}`);
      await durable.get(id)!.promise;
      return { id, size: 3, created: true };
    },
    locations,
    peers,
    disk: new DiskSpace({ freeBytes: () => 1 << 30, now: Date.now, onChange: () => {} }),
    now: Date.now,
    inbound: new Set(),
    onLocation: () => {},
    onChange: () => {},
  }, { maxConcurrent: 1 });
  try {
    jobs.enqueueMany([A, B, C].map((blobId) => ({ blobId, peerId: PINE.nodeId, dir: "pull" })));
    worker.start();
    // One transfer at a time, but A's durable wait does not hold up B's transfer.
    await until(() => events.includes("get b"), "B to start while A is made durable");
    assert.equal(jobs.get(A, PINE.nodeId, "pull")?.state, "in_flight", "A is not done yet");
    assert.deepEqual(locations.holders(A), [], "and not acknowledged");
    // With B in as well, two pulls are finishing: the cap (twice the transfers) holds C back,
    // however often the worker is asked to start what is due (a job starts synchronously in
    // pump(): it is in flight, or it is not).
    await until(() => events.includes("in b"), "B's bytes");
    worker.pump();
    assert.deepEqual(
      worker.inFlightIds().sort(),
      [A, B],
      "finishing pulls still count as in flight",
    );
    assert.equal(
      jobs.get(C, PINE.nodeId, "pull")?.state,
      "pending",
      "C waits for a finishing pull",
    );
    assert.equal(events.includes("get c"), false);

    durable.get(A)!.resolve();
    await until(() => events.includes("get c"), "C to start once A is durable");
    assert.equal(jobs.get(A, PINE.nodeId, "pull")?.state, "done");
    assert.deepEqual(locations.holders(A).map((l) => l.nodeId), [PINE.nodeId]);
    durable.get(B)!.resolve();
    durable.get(C)!.resolve();
    await until(
      () => [B, C].every((id) => jobs.get(id, PINE.nodeId, "pull")?.state === "done"),
      "all",
    );
    assert.deepEqual(events, ["get a", "in a", "get b", "in b", "get c", "in c"]);
  } finally {
    for (const d of durable.values()) d.resolve();
    await worker.stop();
    db.close();
    await Deno.remove(root, { recursive: true });
  }
});
