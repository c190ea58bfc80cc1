/**
 * Which backend holds a node's blobs, recorded in its index database, and moving them to
 * the other one (`p2pos blobs migrate --to fs|s3`).
 *
 * The record guards against starting a node on the wrong backend: a node whose blobs are
 * in its data dir, restarted with `--blob-store s3`, would see an empty bucket, report its
 * blobs lost and pull everything again (and blobs it alone held would look gone). So it
 * refuses to start and says to migrate.
 *
 * A migration copies blob by blob in id order through the target's `put()`, which hashes
 * the bytes and makes a blob visible only if they match its id; a blob the target already
 * holds is skipped. Its progress (the last id copied) is saved as it goes, so a migration
 * killed at any point is run again and goes on from there: a copy cut off midway left
 * nothing under its id (the target cleans up at open). Only when every source id is in the
 * target does one setting switch the node over. The source's blobs are left in place, for
 * the operator to delete once the node runs well on the new backend.
 */

import { faultPoint } from "../core/faults.ts";
import type { BlobStore } from "./blob_store.ts";
import type { IndexDb } from "./index_db.ts";

export type Backend = "fs" | "s3";

export const BACKEND_SETTING = "blob_store.backend";
export const MIGRATION_SETTING = "blob_store.migration";

interface MigrationState {
  to: Backend;
  /** Last id copied (ids go in ascending order). */
  after?: string;
  copied: number;
}

export function migrationUnderWay(db: IndexDb): Backend | undefined {
  const raw = db.getSetting(MIGRATION_SETTING);
  return raw ? (JSON.parse(raw) as MigrationState).to : undefined;
}

/**
 * Checks the configured backend against the recorded one before a node starts, recording
 * it on the first start. `fsHasBlobs` tells an older data dir (no record, blobs in files).
 * @returns a message for the operator when the node must not start, else `undefined`.
 */
export function checkBackend(
  db: IndexDb,
  configured: Backend,
  fsHasBlobs: boolean,
): string | undefined {
  const migrating = migrationUnderWay(db);
  if (migrating) {
    return `a migration of this node's blobs to ${migrating} is under way; finish it with ` +
      `"p2pos blobs migrate --to ${migrating}" (it goes on where it stopped)`;
  }
  let recorded = db.getSetting(BACKEND_SETTING) as Backend | undefined;
  if (!recorded) {
    recorded = fsHasBlobs ? "fs" : configured;
    db.setSetting(BACKEND_SETTING, recorded);
  }
  if (recorded !== configured) {
    const where = recorded === "fs" ? "in its data dir (fs)" : "in S3 (s3)";
    return `this node's blobs are ${where}, but it was started with --blob-store ${configured}. ` +
      `Start it with --blob-store ${recorded}, or move the blobs first with ` +
      `"p2pos blobs migrate --to ${configured}"`;
  }
  return undefined;
}

export interface MigrationProgress {
  done: number;
  total: number;
  copied: number;
  bytes: number;
}

export interface MigrateOptions {
  /** Called after each blob. */
  onProgress?(p: MigrationProgress): void;
  /** A copy whose source sends nothing for this long fails. @default 60_000 */
  stallMs?: number;
}

/**
 * Copies every blob of `from` into `to`, verifying each, and records `toBackend` as the
 * node's backend once all are there. Resumable: see the module comment.
 */
export async function migrateBlobs(
  db: IndexDb,
  from: BlobStore,
  to: BlobStore,
  toBackend: Backend,
  options: MigrateOptions = {},
): Promise<{ total: number; copied: number }> {
  const under = migrationUnderWay(db);
  if (under && under !== toBackend) {
    throw new Error(
      `A migration to ${under} is under way; finish it first with "p2pos blobs migrate --to ${under}"`,
    );
  }
  const saved: MigrationState = under
    ? JSON.parse(db.getSetting(MIGRATION_SETTING)!)
    : { to: toBackend, copied: 0 };
  if (!under && db.getSetting(BACKEND_SETTING) === toBackend) {
    throw new Error(`This node's blobs are in ${toBackend} already: nothing to move`);
  }
  const save = (s: MigrationState) => db.setSetting(MIGRATION_SETTING, JSON.stringify(s));
  save(saved);
  const total = await from.count();
  let done = saved.after === undefined ? 0 : (await countUpTo(from, saved.after));
  let copied = saved.copied;
  let bytes = 0;
  let after = saved.after;
  do {
    const page = await from.list({ after, limit: 500 });
    for (const id of page.ids) {
      if (!(await to.has(id))) {
        const { stream } = await from.get(id);
        const r = await to.put(id, stream, { stallMs: options.stallMs ?? 60_000 });
        faultPoint("migrate.copied");
        if (r.created) {
          copied++;
          bytes += r.size;
        }
      }
      done++;
      after = id;
      // Each blob is in the target now; saving the cursor only spares the next run checks.
      if (done % 20 === 0) save({ to: toBackend, after, copied });
      options.onProgress?.({ done, total, copied, bytes });
    }
    after = page.next;
  } while (after);
  try {
    await assertAllIn(from, to);
  } catch (err) {
    save({ to: toBackend, copied }); // no cursor: the next run checks every blob again
    throw err;
  }
  db.tx(() => {
    db.setSetting(BACKEND_SETTING, toBackend);
    db.deleteSetting(MIGRATION_SETTING);
  });
  return { total, copied };
}

async function countUpTo(store: BlobStore, last: string): Promise<number> {
  let n = 0;
  let after: string | undefined;
  do {
    const page = await store.list({ after, limit: 5000 });
    for (const id of page.ids) {
      if (id > last) return n;
      n++;
    }
    after = page.next;
  } while (after);
  return n;
}

/** Walks both listings in id order: every id of `from` must be in `to`. */
async function assertAllIn(from: BlobStore, to: BlobStore): Promise<void> {
  const target = pages(to);
  let have = await target.next();
  for await (const id of pages(from)) {
    while (!have.done && have.value < id) have = await target.next();
    if (have.done || have.value !== id) {
      throw new Error(
        `Blob ${id} is missing from the target after copying; run the migration again`,
      );
    }
  }
}

async function* pages(store: BlobStore): AsyncGenerator<string> {
  let after: string | undefined;
  do {
    const page = await store.list({ after, limit: 5000 });
    yield* page.ids;
    after = page.next;
  } while (after);
}
