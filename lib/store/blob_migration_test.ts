import assert from "node:assert/strict";
import { join } from "node:path";
import {
  BACKEND_SETTING,
  checkBackend,
  migrateBlobs,
  MIGRATION_SETTING,
  migrationUnderWay,
} from "./blob_migration.ts";
import { FsBlobStore } from "./fs_blob_store.ts";
import { IndexDb } from "./index_db.ts";
import { readAll, sha256, streamOf } from "./_testing.ts";

async function withTwoStores(
  fn: (db: IndexDb, from: FsBlobStore, to: FsBlobStore) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-migrate-" });
  const db = await IndexDb.open(join(dir, "index.db"));
  try {
    await fn(db, await FsBlobStore.open(join(dir, "a")), await FsBlobStore.open(join(dir, "b")));
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const photos = (n: number) =>
  Array.from({ length: n }, (_, i) => new TextEncoder().encode(`photo ${i} `.repeat(i + 1)));

Deno.test("checkBackend() records the backend at first start and refuses a switch without a migration", async () => {
  // deno-lint-ignore require-await -- withTwoStores takes an async body
  await withTwoStores(async (db) => {
    assert.equal(checkBackend(db, "fs", false), undefined);
    assert.equal(db.getSetting(BACKEND_SETTING), "fs");
    assert.match(
      checkBackend(db, "s3", false)!,
      /blobs are in its data dir \(fs\), but it was started with --blob-store s3.*p2pos blobs migrate --to s3/,
    );
    db.deleteSetting(BACKEND_SETTING);
    // A data dir from before the record, with blob files: it is an fs node.
    assert.match(checkBackend(db, "s3", true)!, /blobs are in its data dir/);
    db.deleteSetting(BACKEND_SETTING);
    assert.equal(checkBackend(db, "s3", false), undefined, "a new node starts on S3");
    db.setSetting(MIGRATION_SETTING, JSON.stringify({ to: "fs", copied: 0 }));
    assert.match(checkBackend(db, "s3", false)!, /migration .* to fs is under way/);
  });
});

Deno.test("migrateBlobs() copies every blob, switches the backend, and refuses to run twice", async () => {
  await withTwoStores(async (db, from, to) => {
    db.setSetting(BACKEND_SETTING, "fs");
    const blobs = photos(45);
    for (const b of blobs) await from.put(sha256(b), streamOf(b));
    const seen: number[] = [];
    const r = await migrateBlobs(db, from, to, "s3", { onProgress: (p) => seen.push(p.done) });
    assert.deepEqual(r, { total: 45, copied: 45 });
    assert.equal(seen.at(-1), 45);
    assert.equal(db.getSetting(BACKEND_SETTING), "s3");
    assert.equal(migrationUnderWay(db), undefined);
    for (const b of blobs) assert.deepEqual(await readAll((await to.get(sha256(b))).stream), b);
    assert.equal(await from.count(), 45, "the source is left in place");
    await assert.rejects(migrateBlobs(db, from, to, "s3"), /in s3 already: nothing to move/);
  });
});

Deno.test("migrateBlobs() goes on where an interrupted run stopped, and finishes only with every blob", async () => {
  await withTwoStores(async (db, from, to) => {
    db.setSetting(BACKEND_SETTING, "fs");
    const blobs = photos(30);
    for (const b of blobs) await from.put(sha256(b), streamOf(b));
    // A first run that died after 12 blobs (its cursor saved after the 10th).
    const ids = blobs.map(sha256).sort();
    for (const id of ids.slice(0, 12)) await to.put(id, (await from.get(id)).stream);
    db.setSetting(MIGRATION_SETTING, JSON.stringify({ to: "s3", after: ids[9], copied: 10 }));
    assert.equal(checkBackend(db, "fs", false)?.includes("under way"), true);
    await assert.rejects(migrateBlobs(db, from, to, "fs"), /migration to s3 is under way/);
    const r = await migrateBlobs(db, from, to, "s3");
    assert.deepEqual(r, { total: 30, copied: 10 + 18 });
    assert.equal(await to.count(), 30);
    assert.equal(db.getSetting(BACKEND_SETTING), "s3");
  });
});

Deno.test("migrateBlobs() does not switch over while a blob is missing from the target, and a run after checks all", async () => {
  await withTwoStores(async (db, from, to) => {
    db.setSetting(BACKEND_SETTING, "fs");
    const blobs = photos(5);
    for (const b of blobs) await from.put(sha256(b), streamOf(b));
    const ids = blobs.map(sha256).sort();
    // A cursor past a blob that never made it (a damaged saved state).
    db.setSetting(MIGRATION_SETTING, JSON.stringify({ to: "s3", after: ids[2], copied: 3 }));
    await assert.rejects(migrateBlobs(db, from, to, "s3"), /missing from the target/);
    assert.equal(db.getSetting(BACKEND_SETTING), "fs");
    assert.equal(migrationUnderWay(db), "s3");
    assert.deepEqual(await migrateBlobs(db, from, to, "s3"), { total: 5, copied: 3 + 5 });
    assert.equal(db.getSetting(BACKEND_SETTING), "s3");
  });
});
