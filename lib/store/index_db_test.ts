import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  applyMigrations,
  IndexDb,
  loadMigrations,
  type Migration,
  SchemaTooNewError,
} from "./index_db.ts";

async function tempDb(): Promise<{ path: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-db-" });
  return { path: `${dir}/index.db`, dir };
}

Deno.test("IndexDb.open() applies the migration files in order and records the version", async () => {
  const { path, dir } = await tempDb();
  const files = await loadMigrations();
  assert.ok(files.length >= 1);
  files.forEach((m, i) => assert.equal(m.version, i + 1));
  const db = await IndexDb.open(path);
  assert.equal(db.schemaVersion, files.length);
  const mode = db.db.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
  assert.equal(mode.journal_mode, "wal");
  const sync = db.db.prepare("PRAGMA synchronous").get() as { synchronous: number };
  assert.equal(sync.synchronous, 2, "synchronous must be FULL");
  db.setSetting("k", "v");
  db.close();
  // Reopening applies nothing twice and keeps the data.
  const again = await IndexDb.open(path);
  assert.equal(again.getSetting("k"), "v");
  again.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("applyMigrations() applies only the new ones, each in its own transaction", async () => {
  const { path, dir } = await tempDb();
  const migs: Migration[] = [
    { version: 1, name: "a", sql: "CREATE TABLE a (x INTEGER) STRICT;" },
    { version: 2, name: "b", sql: "CREATE TABLE b (y INTEGER) STRICT;" },
  ];
  const raw = new DatabaseSync(path);
  assert.equal(applyMigrations(raw, migs.slice(0, 1)), 1);
  assert.equal(applyMigrations(raw, migs), 2);
  const broken: Migration = { version: 3, name: "c", sql: "CREATE TABLE c (z INTEGER); NOT SQL;" };
  assert.throws(() => applyMigrations(raw, [...migs, broken]), /Migration 3_c failed/);
  // The failed migration left neither its table nor its version behind.
  assert.equal(
    (raw.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
    2,
  );
  assert.equal(raw.prepare("SELECT name FROM sqlite_master WHERE name = 'c'").get(), undefined);
  raw.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("IndexDb.open() refuses a database written by a newer schema", async () => {
  const { path, dir } = await tempDb();
  const raw = new DatabaseSync(path);
  raw.exec("PRAGMA user_version = 999");
  raw.close();
  await assert.rejects(
    () => IndexDb.open(path),
    (err) =>
      err instanceof SchemaTooNewError && /schema version 999/.test(err.message) &&
      /upgrade p2pos/.test(err.message),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadMigrations() rejects a gap in the numbering", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/0001_a.sql`, "SELECT 1;");
  await Deno.writeTextFile(`${dir}/0003_c.sql`, "SELECT 1;");
  await assert.rejects(() => loadMigrations(new URL(`file://${dir}/`)), /out of sequence/);
  await Deno.remove(dir, { recursive: true });
});
