import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { isDiskFull } from "../core/errors.ts";
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

Deno.test("IndexDb.tx() rethrows SQLITE_FULL as it is, after SQLite rolled the transaction back itself", async () => {
  const { path, dir } = await tempDb();
  const db = await IndexDb.open(path);
  try {
    db.db.exec("CREATE TABLE filler (x TEXT)");
    // A database that may not grow stands in for a full disk: SQLite answers SQLITE_FULL.
    const pages = (db.db.prepare("PRAGMA page_count").get() as { page_count: number }).page_count;
    db.db.exec(`PRAGMA max_page_count = ${pages + 2}`);
    let caught: unknown;
    try {
      db.tx((d) => {
        for (let i = 0; i < 100; i++) {
          d.prepare("INSERT INTO filler VALUES (?)").run("x".repeat(4000));
        }
      });
    } catch (err) {
      caught = err;
    }
    assert.equal((caught as { errcode?: number })?.errcode, 13, `SQLITE_FULL, not ${caught}`);
    assert.ok(isDiskFull(caught));
    assert.equal(db.db.isTransaction, false);
    // Nothing of the batch is kept, and the database takes the next transaction.
    assert.equal((db.db.prepare("SELECT count(*) AS n FROM filler").get() as { n: number }).n, 0);
    db.tx((d) => d.prepare("INSERT INTO filler VALUES ('small')").run());
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
