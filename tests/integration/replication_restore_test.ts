/**
 * A node whose database is restored from an older backup hands out sequence numbers its peers
 * have already read past. It notices when a peer says it has read further than the feed
 * reaches, starts a new feed id, and every peer reads the feed again: records made after the
 * restore still reach them.
 */

import assert from "node:assert/strict";
import { type Admin, call, headsAt, signAs } from "../../demo.ts";
import { toBase64Url } from "../../lib/crypto/mod.ts";
import {
  cookieOn,
  createAlbum,
  FAST_ENV,
  recordsOf,
  startCluster,
  waitFor,
} from "./replication_cluster.ts";

const DB_FILES = ["index.db", "index.db-wal", "index.db-shm"];

async function copyDb(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for (const f of DB_FILES) {
    await Deno.remove(`${to}/${f}`).catch(() => {});
    await Deno.copyFile(`${from}/${f}`, `${to}/${f}`).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
  }
}

/** Waits until both nodes hold the same record versions. */
function sameRecords(nodes: { dataDir: string }[], what: string): Promise<unknown> {
  return waitFor(what, () => {
    const a = recordsOf(nodes[0].dataDir);
    const b = recordsOf(nodes[1].dataDir);
    return Promise.resolve(a.size === b.size && [...a].every(([k, v]) => b.get(k) === v));
  }, 30_000);
}

/** Signs a new version of an album (new encrypted name) and stores it through `url`. */
async function rename(c: { admin: Admin }, url: string, albumId: string): Promise<void> {
  const album = signAs(c.admin, "album", albumId, {
    owner: c.admin.key,
    epoch: 0,
    meta: toBase64Url(crypto.getRandomValues(new Uint8Array(96))),
    cover: null,
    trashedAt: null,
  }, await headsAt(c.admin, url));
  const res = await call(
    `${url}/v1/records`,
    "POST",
    { records: [album] },
    await cookieOn(c.admin, url),
  );
  assert.ok(res.ok, `rename: ${res.status} ${await res.text()}`);
}

Deno.test("A node restored from an older database backup starts a new feed; its new records still reach its peers", async () => {
  await using c = await startCluster(["Oak", "Pine"]);
  const [oak, pine] = c.nodes;
  const same = (what: string) => sameRecords(c.nodes, what);
  const restart = async () => {
    const n = await c.rig.node({
      dataDir: oak.dataDir,
      args: ["--port", String(oak.port)],
      env: FAST_ENV,
    });
    c.nodes[0] = n;
    c.admin.cookies.delete(oak.url); // sessions live in the database too
    return n;
  };

  await createAlbum(c.admin, oak.url);
  await same("Pine to hold Oak's records");
  await c.nodes[0].stop();
  const backup = await Deno.makeTempDir({ prefix: "p2pos-backup-" });
  try {
    await copyDb(oak.dataDir, backup);

    // After the backup: an album renamed five times. Pine reads all seven versions, moving
    // its cursor of Oak's feed seven on; after the restore only the latest two records come
    // back to Oak, so Oak's next records get sequence numbers Pine has read past.
    await restart();
    const renamed = await createAlbum(c.admin, oak.url);
    for (let i = 0; i < 5; i++) await rename(c, oak.url, renamed.id);
    await same("Pine to read the versions made after the backup");
    await c.nodes[0].stop();

    // The operator restores the backup, and Oak makes a record at a sequence Pine has read past.
    await copyDb(backup, oak.dataDir);
    const restored = await restart();
    const late = await createAlbum(c.admin, restored.url);
    await waitFor(
      "Pine to receive the album made after the restore",
      () => Promise.resolve(recordsOf(pine.dataDir).has(`album/${late.id}`)),
      30_000,
    );
    // And Oak takes back, from Pine, what the restore lost.
    await same("Oak and Pine to converge again");
    assert.match(restored.output(), /record feed went back in time/);
  } finally {
    await Deno.remove(backup, { recursive: true });
  }
});

Deno.test("A node restored from a backup while its peers are away starts a new feed before it writes anything", async () => {
  await using c = await startCluster(["Oak", "Pine"]);
  const [oak, pine] = c.nodes;
  const same = (what: string) => sameRecords(c.nodes, what);
  const restart = async (i: number) => {
    const was = [oak, pine][i];
    c.nodes[i] = await c.rig.node({
      dataDir: was.dataDir,
      args: ["--port", String(was.port)],
      env: FAST_ENV,
    });
    c.admin.cookies.delete(was.url);
    return c.nodes[i];
  };

  await createAlbum(c.admin, oak.url);
  await same("Pine to hold Oak's records");
  await c.nodes[0].stop();
  const backup = await Deno.makeTempDir({ prefix: "p2pos-backup-" });
  try {
    await copyDb(oak.dataDir, backup); // index.db only: the feed head file stays as it is

    await restart(0);
    const renamed = await createAlbum(c.admin, oak.url);
    for (let i = 0; i < 5; i++) await rename(c, oak.url, renamed.id);
    await same("Pine to read the versions made after the backup");
    await c.nodes[0].stop();
    await c.nodes[1].stop();

    // Restored while Pine is away, Oak writes more records than the restore lost, which would
    // carry its feed past Pine's cursor before Pine could say how far it read.
    await copyDb(backup, oak.dataDir);
    const restored = await restart(0);
    assert.match(restored.output(), /record feed went back in time/);
    const late: string[] = [];
    for (let i = 0; i < 5; i++) late.push((await createAlbum(c.admin, oak.url)).id);

    await restart(1);
    await waitFor(
      "Pine to receive every album made after the restore",
      () => {
        const b = recordsOf(c.nodes[1].dataDir);
        return Promise.resolve(late.every((id) => b.has(`album/${id}`)));
      },
      30_000,
    );
    await same("Oak and Pine to converge again");
  } finally {
    await Deno.remove(backup, { recursive: true });
  }
});
