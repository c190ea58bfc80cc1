/**
 * The index database: `node:sqlite` in WAL mode with `synchronous=FULL`
 * (with NORMAL a committed transaction can vanish on power loss, and we
 * acknowledge records once committed — DESIGN §10).
 *
 * Schema migrations are the numbered `.sql` files in `migrations/`, applied in
 * order at open inside one transaction each; `PRAGMA user_version` records the
 * last one applied. A database written by a newer p2pos (higher version than
 * any file here) is refused rather than misread.
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";

export const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Thrown when the database is newer than this program understands. */
export class SchemaTooNewError extends Error {
  constructor(readonly found: number, readonly supported: number) {
    super(
      `The index database has schema version ${found}, but this p2pos supports up to ${supported}. ` +
        `It was written by a newer p2pos: upgrade p2pos, or restore a backup of the data directory.`,
    );
    this.name = "SchemaTooNewError";
  }
}

/** Reads `NNNN_name.sql` files from a directory, sorted by number; gaps are errors. */
export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const found: Migration[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(entry.name);
    if (!entry.isFile || !m) continue;
    found.push({
      version: Number(m[1]),
      name: m[2],
      sql: await Deno.readTextFile(new URL(entry.name, dir)),
    });
  }
  found.sort((a, b) => a.version - b.version);
  found.forEach((mig, i) => {
    if (mig.version !== i + 1) {
      throw new Error(`Migration ${mig.version}_${mig.name} is out of sequence: expected ${i + 1}`);
    }
  });
  return found;
}

export interface IndexDbOptions {
  /** Migrations to apply; defaults to the files in `migrations/`. */
  migrations?: Migration[];
}

/** Distinct SQL texts whose prepared statements are kept. */
const STATEMENT_CACHE_MAX = 512;

/**
 * Makes `db.prepare(sql)` return one prepared statement per SQL text instead of compiling it
 * on every call: a CPU profile of a node taking uploads showed `prepare` as a tenth of the
 * request's JavaScript time. Safe because every statement here runs to completion
 * synchronously (`get`, `all`, `run`; never `iterate`) and none changes its settings.
 * Past the cap, further texts are prepared as before.
 */
function cacheStatements(db: DatabaseSync): void {
  const cache = new Map<string, StatementSync>();
  const prepare = db.prepare.bind(db);
  db.prepare = (sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = prepare(sql);
      if (cache.size < STATEMENT_CACHE_MAX) cache.set(sql, stmt);
    }
    return stmt;
  };
}

/** An open index database: the raw `DatabaseSync` plus transaction help. */
export class IndexDb {
  private constructor(readonly db: DatabaseSync, readonly schemaVersion: number) {}

  static async open(path: string, options: IndexDbOptions = {}): Promise<IndexDb> {
    const migrations = options.migrations ?? await loadMigrations();
    const db = new DatabaseSync(path);
    try {
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = FULL");
      db.exec("PRAGMA foreign_keys = ON");
      db.exec("PRAGMA busy_timeout = 5000");
      const version = applyMigrations(db, migrations);
      cacheStatements(db);
      return new IndexDb(db, version);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Runs `fn` in a transaction (BEGIN IMMEDIATE), committing on return, rolling back on throw. */
  tx<T>(fn: (db: DatabaseSync) => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn(this.db);
      this.db.exec("COMMIT");
      return result;
    } catch (err) {
      // SQLite rolls back by itself on some errors (SQLITE_FULL among them): a ROLLBACK then
      // fails and would hide the error that matters.
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      throw err;
    }
  }

  getSetting(key: string): string | undefined {
    const row = this.db.prepare("SELECT value FROM settings WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    return row?.value;
  }

  setSetting(key: string, value: string): void {
    this.db.prepare(
      "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    ).run(key, value);
  }

  deleteSetting(key: string): void {
    this.db.prepare("DELETE FROM settings WHERE key = ?").run(key);
  }

  close(): void {
    this.db.close();
  }
}

/** Applies every migration above the database's `user_version`; returns the new version. */
export function applyMigrations(db: DatabaseSync, migrations: Migration[]): number {
  const current = (db.prepare("PRAGMA user_version").get() as { user_version: number })
    .user_version;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) throw new SchemaTooNewError(current, latest);
  for (const mig of migrations) {
    if (mig.version <= current) continue;
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(mig.sql);
      // PRAGMA takes no bound parameters; the version is an integer we parsed.
      db.exec(`PRAGMA user_version = ${mig.version | 0}`);
      db.exec("COMMIT");
    } catch (err) {
      if (db.isTransaction) db.exec("ROLLBACK");
      throw new Error(`Migration ${mig.version}_${mig.name} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  return Math.max(current, latest);
}
