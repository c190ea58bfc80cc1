/**
 * Integrity at rest (DESIGN §5, §7): a blob corrupted on disk is found by the
 * scrubber and fetched again from a peer; a peer that no longer holds a good
 * copy fails its proof of possession and stops counting as a holder.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { hashFile } from "../../lib/store/mod.ts";
import {
  createAlbum,
  FAST_ENV,
  getJson,
  startCluster,
  uploadPhoto,
  waitFor,
} from "./replication_cluster.ts";

const pathOf = (dataDir: string, id: string) =>
  `${dataDir}/blobs/${id.slice(0, 2)}/${id.slice(2, 4)}/${id}`;

async function flipByte(path: string, at: number): Promise<void> {
  const file = await Deno.open(path, { read: true, write: true });
  try {
    const b = new Uint8Array(1);
    await file.seek(at, Deno.SeekMode.Start);
    await file.read(b);
    b[0] ^= 0xff;
    await file.seek(at, Deno.SeekMode.Start);
    await file.write(b);
  } finally {
    file.close();
  }
}

Deno.test("A blob corrupted on disk on Pine is found by the scrubber and fetched again", async () => {
  await using c = await startCluster(["Oak", "Pine"], { P2POS_REP_SCRUB_INTERVAL_SECS: "1" });
  const [oak, pine] = c.nodes;
  const album = await createAlbum(c.admin, oak.url);
  const photo = await uploadPhoto(c.admin, oak.url, album, 200_000);
  const id = photo.blobs[0];
  const path = pathOf(pine.dataDir, id);
  await waitFor(
    "Pine to hold the photo",
    async () => (await Deno.stat(path).catch(() => null)) !== null,
  );
  await flipByte(path, 123_456);
  assert.notEqual((await hashFile(path)).hex, id);
  // The scrubber notices, drops the bad copy and pulls a good one from Oak.
  await waitFor(
    "Pine's scrubber to repair the blob",
    async () => {
      const now = await hashFile(path).catch(() => null);
      return now?.hex === id;
    },
    30_000,
    200,
  );
  assert.match(pine.output(), /Blob corrupt on disk; fetching it again from a peer/);
  const where = await getJson<{ nodes: { self: boolean; state: string }[] }>(
    c.admin,
    pine.url,
    `/v1/blobs/${id}/locations`,
  );
  assert.ok(where.nodes.find((n) => n.self)?.state === "verified");
});

Deno.test("A peer whose copy went bad fails its proof of possession, and repairs it", async () => {
  // Pine runs no proof rounds of its own: proving Oak's copy would hash its own
  // first, find it rotten and repair it before Oak could ask.
  await using c = await startCluster(["Oak", "Pine"], { P2POS_REP_REVERIFY_AFTER_SECS: "1" }, [
    {},
    { P2POS_REP_PROOF_INTERVAL_SECS: "3600" },
  ]);
  const [oak, pine] = c.nodes;
  const album = await createAlbum(c.admin, oak.url);
  const photo = await uploadPhoto(c.admin, oak.url, album, 100_000);
  const id = photo.blobs[0];
  type Where = { nodes: { nodeId: string; state: string }[] };
  const pineState = async () =>
    (await getJson<Where>(c.admin, oak.url, `/v1/blobs/${id}/locations`)).nodes
      .find((n) => n.nodeId === pine.nodeId)?.state;
  await waitFor("Oak to verify Pine's copy", async () => (await pineState()) === "verified");
  // Pine's disk rots; Pine scrubs only daily here. Oak's next proof fails, and answering
  // it made Pine notice and fetch a good copy again.
  const path = pathOf(pine.dataDir, id);
  await flipByte(path, 10);
  await waitFor(
    "the proof to fail",
    () => Promise.resolve(/Peer failed a proof of possession/.test(oak.output())),
    30_000,
    100,
  );
  assert.match(pine.output(), /Blob corrupt on disk; fetching it again from a peer/);
  await waitFor(
    "Pine's copy to be good again",
    async () => (await hashFile(path).catch(() => null))?.hex === id,
    30_000,
    100,
  );
  await waitFor("Oak to verify the new copy", async () => (await pineState()) === "verified");
});

Deno.test("The scrub schedule survives a restart: a scrub that came due while down runs at start", async () => {
  await using c = await startCluster(["Oak"], { P2POS_REP_SCRUB_INTERVAL_SECS: "1" });
  const oak = c.nodes[0];
  type Status = { lastScrub?: number };
  const first = await waitFor(
    "a first scrub",
    async () => (await getJson<Status>(c.admin, oak.url, "/v1/replication/status")).lastScrub,
  );
  await oak.stop("SIGTERM");
  // Down until the next scrub, as the node scheduled it, has come due.
  const db = new DatabaseSync(`${oak.dataDir}/index.db`, { readOnly: true });
  const due = Number(
    (db.prepare("SELECT value FROM settings WHERE key = 'replication.next_scrub'").get() as {
      value: string;
    }).value,
  );
  db.close();
  assert.ok(due > first, "the next scrub is scheduled after the first");
  await waitFor("the next scrub to come due", () => Promise.resolve(Date.now() > due), 10_000, 20);
  // Restarted with a daily interval: the scrub due a second after the last one runs now,
  // and the time of the last one was remembered meanwhile.
  const again = await c.rig.node({
    dataDir: oak.dataDir,
    args: ["--port", String(oak.port)],
    env: { ...FAST_ENV, P2POS_REP_SCRUB_INTERVAL_SECS: "86400" },
  });
  c.nodes[0] = again;
  const status = await getJson<Status>(c.admin, again.url, "/v1/replication/status");
  assert.ok(status.lastScrub !== undefined && status.lastScrub >= first, "last scrub remembered");
  await waitFor(
    "the overdue scrub",
    async () =>
      ((await getJson<Status>(c.admin, again.url, "/v1/replication/status")).lastScrub ?? 0) >
        first,
    10_000,
  );
});
