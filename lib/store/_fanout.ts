/**
 * The `blobs/ab/cd/<id>` layout (DESIGN §10): two levels of 256 directories keep every
 * directory small up to millions of blobs. Directories are created on first use, durably:
 * a blob renamed into a directory whose own entry is lost on power loss is lost with it.
 */

import { dirname, join } from "node:path";
import type { BlobId } from "./blob_id.ts";
import { mkdirIfMissing, syncDir } from "./_durable.ts";

/** A directory on its way: `made` once it exists, `durable` once its parent is synced. */
interface NewDir {
  made: Promise<boolean>;
  durable: Promise<void>;
}

const KNOWN: NewDir = { made: Promise.resolve(false), durable: Promise.resolve() };

export class Fanout {
  readonly dir: string;
  readonly #newDirs = new Map<string, NewDir>();
  /**
   * Directories known to exist durably, so a put into one skips the mkdir calls (each
   * failing with EEXIST, which costs an error object too). At most 65,792 entries.
   */
  readonly #known = new Set<string>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Where blob `id` lives; `id` must already be validated. */
  path(id: BlobId): string {
    return join(this.dir, id.slice(0, 2), id.slice(2, 4), id);
  }

  /**
   * Makes the `ab/` and `ab/cd/` directories of a blob path exist. The parent fsyncs they
   * need are not awaited here but returned, so that the caller can wait for them together
   * with its own fsync of `ab/cd/` after the rename: on ext4 one journal commit for all.
   */
  async makeDirsFor(path: string): Promise<{ durable: Promise<void> }> {
    const leaf = dirname(path);
    const top = this.#ensure(dirname(leaf));
    await top.made;
    const low = this.#ensure(leaf);
    await low.made;
    const durable = Promise.all([top.durable, low.durable]).then(() => {});
    durable.catch(() => {}); // the caller may fail before awaiting it; it must not go unhandled
    return { durable };
  }

  /**
   * Makes the 256 top-level directories (`00/` … `ff/`) at open, with one fsync of the
   * fan-out root for all of them (and for any made by an earlier process that stopped
   * before its own fsync), so that puts into a fresh store do not each make and sync one.
   */
  async prepare(): Promise<void> {
    const present = new Set<string>();
    for await (const e of Deno.readDir(this.dir)) if (e.isDirectory) present.add(e.name);
    const tops = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
    for (const name of tops) if (!present.has(name)) mkdirIfMissing(join(this.dir, name));
    await syncDir(this.dir);
    for (const name of tops) this.#known.add(join(this.dir, name));
  }

  /** Forgets what is known about `path`'s directory, after something removed it. */
  forget(path: string): void {
    this.#known.delete(dirname(path));
    this.#known.delete(dirname(dirname(path)));
  }

  // Concurrent puts into a directory created moments ago share one entry and so wait for
  // the same parent fsync: none can acknowledge a blob whose directory is not yet on disk.
  #ensure(dir: string): NewDir {
    if (this.#known.has(dir)) return KNOWN;
    let entry = this.#newDirs.get(dir);
    if (!entry) {
      // A promise all the same: a failed mkdir is the caller's error, met where it awaits.
      const made = new Promise<boolean>((resolve) => resolve(mkdirIfMissing(dir)));
      const durable = made.then((created) => created ? syncDir(dirname(dir)) : undefined);
      entry = { made, durable };
      this.#newDirs.set(dir, entry);
      const forget = () => void this.#newDirs.delete(dir);
      durable.then(() => {
        forget();
        this.#known.add(dir);
      }, forget); // also marks a failure handled: callers see it themselves
    }
    return entry;
  }
}
