/**
 * Convergence with real node processes: what is uploaded on one node reaches
 * the others, records and blobs byte for byte, and every node can say where
 * each copy is and whether it was verified.
 */

import assert from "node:assert/strict";
import type { ReplicationStatus } from "../../lib/replication/mod.ts";
import { hashFile } from "../../lib/store/mod.ts";
import {
  blobFiles,
  createAlbum,
  getJson,
  recordsOf,
  startCluster,
  uploadPhoto,
  waitFor,
} from "./replication_cluster.ts";

function sameRecords(dirs: string[]): boolean {
  const [first, ...rest] = dirs.map(recordsOf);
  return rest.every((r) => r.size === first.size && [...first].every(([k, v]) => r.get(k) === v));
}

interface Locations {
  blobId: string;
  nodes: { nodeId: string; state: string; ackedAt?: number; verifiedAt?: number }[];
  names: Record<string, string>;
}

Deno.test("An upload on Oak reaches Pine and Cedar: records and blobs byte-identical", async () => {
  await using c = await startCluster(["Oak", "Pine", "Cedar"]);
  const [oak, pine, cedar] = c.nodes;
  const album = await createAlbum(c.admin, oak.url);
  const photos = [];
  for (let i = 0; i < 5; i++) photos.push(await uploadPhoto(c.admin, oak.url, album, 30_000 + i));
  // And one from Pine: replication is symmetric.
  photos.push(await uploadPhoto(c.admin, pine.url, album, 12_345));
  const ids = photos.flatMap((p) => p.blobs);
  await waitFor(
    "records and blobs on all three nodes",
    async () => {
      if (!sameRecords(c.nodes.map((n) => n.dataDir))) return false;
      for (const n of c.nodes) {
        const files = await blobFiles(n.dataDir);
        if (!ids.every((id) => files.has(id))) return false;
      }
      return true;
    },
    30_000,
    200,
  );
  for (const n of c.nodes) {
    const files = await blobFiles(n.dataDir);
    assert.equal(files.size, ids.length, `${n.url} holds exactly the uploaded blobs`);
    for (const id of ids) {
      const path = `${n.dataDir}/blobs/${id.slice(0, 2)}/${id.slice(2, 4)}/${id}`;
      assert.equal((await hashFile(path)).hex, id, "the bytes hash to the id");
    }
  }
  // Where is it stored: Oak knows all three hold the original, and proofs verify them.
  const original = photos[0].blobs[0];
  const where = await waitFor(
    "verified copies on Pine and Cedar",
    async () => {
      const w = await getJson<Locations>(c.admin, oak.url, `/v1/blobs/${original}/locations`);
      return w.nodes.every((n) => n.state === "verified") ? w : undefined;
    },
    30_000,
    300,
  );
  assert.deepEqual(
    where.nodes.map((n) => where.names[n.nodeId]).sort(),
    ["Cedar", "Oak", "Pine"],
  );
  for (const n of where.nodes) assert.ok(n.ackedAt && n.verifiedAt, "acknowledged and verified");
  // The backlog drains to zero.
  await waitFor("an empty backlog", async () => {
    const s = await getJson<{ backlog: { pending: number; inFlight: number; failed: number } }>(
      c.admin,
      cedar.url,
      "/v1/replication/status",
    );
    return s.backlog.pending + s.backlog.inFlight + s.backlog.failed === 0;
  });
});

Deno.test("A blob over the inline push size (12 MB) is offered and pulled, at once", async () => {
  await using c = await startCluster(["Oak", "Pine"], { P2POS_REP_INVENTORY_INTERVAL_SECS: "600" });
  const [oak, pine] = c.nodes;
  const album = await createAlbum(c.admin, oak.url);
  // Inventories run on connect (and again as the nodes learn of each other), then every 10
  // minutes here: a blob that reaches Pine while no inventory ran was moved by the push
  // (offer → pull). A run that an inventory overlapped proves nothing and is tried again
  // with a new photo; a push that moves nothing fails every run.
  const inventories = async () => {
    const at = async (n: typeof oak, peer: typeof pine) =>
      (await getJson<ReplicationStatus>(c.admin, n.url, "/v1/replication/status")).peers
        .find((p) => p.nodeId === peer.nodeId)?.lastInventory;
    return [await at(oak, pine), await at(pine, oak)];
  };
  let id: string | undefined;
  for (let run = 1; run <= 3 && id === undefined; run++) {
    const before = await waitFor(
      "the first inventory exchanges",
      async () => (await inventories()).every((t) => t !== undefined) && await inventories(),
    );
    const photo = await uploadPhoto(c.admin, oak.url, album, 12_000_000);
    const original = photo.blobs[0];
    await waitFor(
      "Pine to hold the 12 MB original",
      async () => (await blobFiles(pine.dataDir)).get(original) === 12_000_000,
      20_000,
      100,
    );
    const path = `${pine.dataDir}/blobs/${original.slice(0, 2)}/${
      original.slice(2, 4)
    }/${original}`;
    assert.equal((await hashFile(path)).hex, original);
    const after = await inventories();
    if (after.every((t, i) => t === before[i])) id = original;
  }
  assert.ok(id, "in three runs an inventory always ran while the blob moved");
  const where = await waitFor("Oak to see Pine's copy", async () => {
    const w = await getJson<Locations>(c.admin, oak.url, `/v1/blobs/${id}/locations`);
    return w.nodes.find((n) => n.nodeId === pine.nodeId)?.ackedAt ? w : undefined;
  });
  assert.ok(where);
});
