/**
 * Convergence with real node processes: what is uploaded on one node reaches
 * the others, records and blobs byte for byte, and every node can say where
 * each copy is and whether it was verified.
 */

import assert from "node:assert/strict";
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
