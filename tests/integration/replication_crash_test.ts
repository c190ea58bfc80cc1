/**
 * Crash and catch-up with real node processes (DESIGN §11): a node killed with
 * SIGKILL in the middle of replication, while uploads continue elsewhere,
 * catches up after restart by itself — nothing lost, nothing duplicated.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { hashFile } from "../../lib/store/mod.ts";
import {
  blobFiles,
  createAlbum,
  FAST_ENV,
  recordsOf,
  type RemotePhoto,
  startCluster,
  uploadPhoto,
  waitFor,
} from "./replication_cluster.ts";

function rowCount(dataDir: string, table: string): number {
  const db = new DatabaseSync(`${dataDir}/index.db`, { readOnly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

Deno.test("kill -9 Pine while 50 photos replicate, keep uploading on Oak, restart Pine: it converges", async () => {
  await using c = await startCluster(["Oak", "Pine"]);
  const [oak, pine] = c.nodes;
  const album = await createAlbum(c.admin, oak.url);
  const photos: RemotePhoto[] = [];
  // 50 photos with 600 KB originals: enough that transfers are in flight when Pine dies.
  const uploading = (async () => {
    for (let i = 0; i < 50; i++) photos.push(await uploadPhoto(c.admin, oak.url, album, 600_000));
  })();
  await waitFor(
    "Pine to be part-way through",
    async () => {
      const n = (await blobFiles(pine.dataDir)).size;
      return n >= 10 && n < 150;
    },
    60_000,
    20,
  );
  const killed = await pine.stop("SIGKILL");
  assert.equal(killed.signal, "SIGKILL");
  const heldAtKill = (await blobFiles(pine.dataDir)).size;
  await uploading;
  // More photos while Pine is down.
  for (let i = 0; i < 20; i++) photos.push(await uploadPhoto(c.admin, oak.url, album, 50_000));
  assert.ok(heldAtKill < photos.length * 3, "Pine was really behind");

  const restarted = await c.rig.node({
    dataDir: pine.dataDir,
    args: ["--port", String(pine.port)],
    env: FAST_ENV,
  });
  c.nodes[1] = restarted;
  const ids = photos.flatMap((p) => p.blobs);
  await waitFor(
    "Pine to catch up",
    async () => {
      const files = await blobFiles(restarted.dataDir);
      const a = recordsOf(oak.dataDir);
      const b = recordsOf(restarted.dataDir);
      return ids.every((id) => files.has(id)) && a.size === b.size;
    },
    90_000,
    250,
  );

  // Nothing lost: the same record versions and every blob, with bytes matching ids.
  const a = recordsOf(oak.dataDir);
  const b = recordsOf(restarted.dataDir);
  assert.deepEqual([...b].sort(), [...a].sort());
  for (const p of photos) assert.ok(b.has(`photo/${p.id}`));
  const files = await blobFiles(restarted.dataDir);
  assert.equal(files.size, ids.length, "no extra blobs");
  for (const id of ids) {
    const path = `${restarted.dataDir}/blobs/${id.slice(0, 2)}/${id.slice(2, 4)}/${id}`;
    assert.equal((await hashFile(path)).hex, id);
  }
  // Nothing duplicated: one row per record, no temp files left by the killed transfers.
  assert.equal(rowCount(restarted.dataDir, "records"), a.size);
  assert.deepEqual([...Deno.readDirSync(`${restarted.dataDir}/tmp`)], []);
  // Oak's queue for Pine drains: the jobs failed at the kill were retried and completed.
  await waitFor(
    "Oak's backlog to drain",
    () => {
      const db = new DatabaseSync(`${oak.dataDir}/index.db`, { readOnly: true });
      try {
        const row = db.prepare("SELECT count(*) AS n FROM blob_jobs WHERE state != 'done'")
          .get() as { n: number };
        return Promise.resolve(row.n === 0);
      } finally {
        db.close();
      }
    },
    30_000,
    250,
  );
});
