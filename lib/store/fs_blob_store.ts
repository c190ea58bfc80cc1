/**
 * The {@link BlobStore} on the local filesystem (DESIGN §10): `<root>/blobs/ab/cd/<id>`
 * for stored blobs, `<root>/tmp/` for uploads in progress. A blob appears under its final
 * name only after its bytes hashed to its id and were fsynced, so a crash at any moment
 * leaves either the whole blob or nothing (plus a temp file that `open()` removes).
 *
 * One process per data dir: `open()` deletes everything in `tmp/`, including another
 * process's uploads in progress.
 *
 * Blob bytes are written with O_DIRECT where the filesystem takes it (`_direct_io.ts`).
 * Metadata calls on the way of a put (stat, create, mkdir, rename, opening a directory to
 * fsync it) are synchronous: each takes microseconds, where the async form costs ~50 µs of
 * CPU in hand-offs to Deno's I/O threads, and they run for every blob, as the index
 * database's calls do. Writes and fsyncs, which wait for the disk, stay async.
 */

import { statfs } from "node:fs/promises";
import { dirname, join } from "node:path";
import { IntegrityError, NotFoundError, RangeNotSatisfiableError } from "../core/errors.ts";
import { getLogger } from "../core/log.ts";
import { assertBlobId, type BlobId } from "./blob_id.ts";
import { consumeStream } from "./_consume_stream.ts";
import { faultPoint } from "../core/faults.ts";
import { hashFile } from "./hash_file.ts";
import { BufferedWriter } from "./_buffered_writer.ts";
import { DirectIo } from "./_direct_io.ts";
import { mkdirDurable, removeIfExists, syncDir } from "./_durable.ts";
import { Fanout } from "./_fanout.ts";
import { PerIdQueue } from "./_per_id.ts";
import { rangeStream } from "./_range_stream.ts";
import { scrubBlobs } from "./_scrub.ts";
import { walkBlobIds } from "./_walk_blob_ids.ts";
import type { BlobStore, BlobStoreInfo } from "./blob_store.ts";
import {
  type BlobRead,
  type BlobStat,
  type ByteRange,
  checkListOptions,
  checkPutOptions,
  checkRange,
  type ListOptions,
  type ListPage,
  type PutOptions,
  type PutResult,
  type ScrubOptions,
  type ScrubReport,
} from "./blob_store_types.ts";

const log = getLogger("store");

export interface FsBlobStoreOptions {
  /** Data directory; created by `open()` if missing. */
  root: string;
  /**
   * Write blob bytes with O_DIRECT, past the page cache, if the filesystem takes it
   * (checked at open). @default true
   */
  directIo?: boolean;
}

export class FsBlobStore implements BlobStore {
  readonly root: string;
  readonly #blobs: Fanout;
  readonly #tmp: string;
  #opening?: Promise<void>;
  #open = false;
  readonly #wantDirect: boolean;
  #direct?: DirectIo;
  // Serialises puts of one id in this process, so exactly one of them reports `created`.
  readonly #puts = new PerIdQueue();

  constructor(options: FsBlobStoreOptions) {
    if (typeof options?.root !== "string" || options.root === "") {
      throw new TypeError('"root" expected a non-empty path');
    }
    this.root = options.root;
    this.#blobs = new Fanout(join(this.root, "blobs"));
    this.#tmp = join(this.root, "tmp");
    this.#wantDirect = options.directIo ?? true;
  }

  /** Constructs and opens a store at `root`. */
  static async open(
    root: string,
    options: Omit<FsBlobStoreOptions, "root"> = {},
  ): Promise<FsBlobStore> {
    return await new FsBlobStore({ ...options, root }).open();
  }

  /** Whether blob bytes are written with O_DIRECT (known once open). */
  get directIo(): boolean {
    return this.#direct !== undefined && !this.#direct.broken;
  }

  /** Creates the directories and removes temp files left by a crash. Idempotent. */
  async open(): Promise<this> {
    this.#opening ??= this.#prepare();
    await this.#opening;
    return this;
  }

  async #prepare(): Promise<void> {
    await Deno.mkdir(this.root, { recursive: true });
    await mkdirDurable(this.#blobs.dir);
    await this.#blobs.prepare();
    await mkdirDurable(this.#tmp);
    let removed = 0;
    for await (const entry of Deno.readDir(this.#tmp)) {
      await Deno.remove(join(this.#tmp, entry.name), { recursive: true });
      removed++;
    }
    if (removed > 0) log.info("Removed leftover temp files", { root: this.root, removed });
    if (this.#wantDirect && await DirectIo.shared().probe(this.#tmp)) {
      this.#direct = DirectIo.shared();
    }
    this.#open = true;
  }

  /**
   * Stores the bytes of `stream` as blob `id`, resolving only once they are durable.
   * Throws {@link IntegrityError} if they do not hash to `id`, `TooLargeError` past
   * `maxBytes`, or the stream's own error / the abort reason; in every case nothing is kept.
   * If the blob already exists the stream is still read and verified, but nothing is written.
   */
  async put(
    id: BlobId,
    stream: ReadableStream<Uint8Array>,
    options: PutOptions = {},
  ): Promise<PutResult> {
    assertBlobId(id);
    checkPutOptions(options);
    this.#assertOpen("put");
    return await this.#puts.run(id, () => this.#put(id, stream, options));
  }

  async #put(
    id: BlobId,
    stream: ReadableStream<Uint8Array>,
    options: PutOptions,
  ): Promise<PutResult> {
    const what = `store blob ${id}`;
    const final = this.#blobs.path(id);
    if (this.#statPath(final)) {
      const counter = new BufferedWriter(null);
      const { hex, size } = await consumeStream(stream, counter, { ...options, what })
        .finally(() => counter.release());
      if (hex !== id) throw new IntegrityError(`Cannot ${what}: the bytes hash to ${hex}`);
      return { id, size, created: false } satisfies PutResult;
    }
    // The fan-out directories (and their parents' fsyncs) are made while the bytes arrive,
    // so they are off the critical path; a failed put leaves at most an empty directory.
    const dirsReady = this.#blobs.makeDirsFor(final);
    dirsReady.catch(() => {}); // awaited below; a failure before then must not go unhandled
    // A random name: concurrent puts, even of the same id from two processes, never collide.
    const tmp = join(this.#tmp, crypto.randomUUID());
    const file = Deno.openSync(tmp, { write: true, createNew: true });
    const writer = new BufferedWriter(
      file,
      this.directIo ? { io: this.#direct!, path: tmp } : undefined,
    );
    let fileOpen = true;
    try {
      const { hex, size } = await consumeStream(stream, writer, {
        ...options,
        what,
      });
      if (hex !== id) throw new IntegrityError(`Cannot ${what}: the bytes hash to ${hex}`);
      options.onReceived?.();
      await writer.flush();
      await writer.release();
      // Order matters for power loss: data on disk, then the name, then the name's directory.
      await file.sync();
      file.close();
      fileOpen = false;
      faultPoint("blob.put.synced");
      await this.#moveIn(tmp, final, dirsReady);
      faultPoint("blob.put.moved");
      return { id, size, created: true } satisfies PutResult;
    } catch (err) {
      await writer.release();
      if (fileOpen) file.close();
      // After a successful rename the temp name is already gone.
      await removeIfExists(tmp).catch((cleanup) =>
        log.warn("Cannot remove temp file", { tmp, error: String(cleanup) })
      );
      throw err;
    }
  }

  /**
   * Moves a finished file (on the same filesystem, e.g. a resumable upload) into the store as
   * blob `id`, after hashing it: the same guarantees as {@link put} without copying the bytes.
   * The file is consumed when it is stored or already was; on an IntegrityError it is left
   * for the caller to remove.
   */
  async importFile(id: BlobId, path: string): Promise<PutResult> {
    assertBlobId(id);
    this.#assertOpen("importFile");
    return await this.#puts.run(id, async (): Promise<PutResult> => {
      const what = `import blob ${id}`;
      const { hex, size } = await hashFile(path);
      if (hex !== id) throw new IntegrityError(`Cannot ${what}: the bytes hash to ${hex}`);
      faultPoint("blob.import.hashed");
      const final = this.#blobs.path(id);
      if (this.#statPath(final)) {
        await removeIfExists(path);
        return { id, size, created: false };
      }
      const file = await Deno.open(path, { read: true, write: true });
      try {
        await file.sync();
      } finally {
        file.close();
      }
      await this.#moveIn(path, final, this.#blobs.makeDirsFor(final));
      faultPoint("blob.import.moved");
      await syncDir(dirname(path));
      return { id, size, created: true };
    });
  }

  /**
   * Renames a synced file to its final name and waits until the name and any directory made
   * for it are on disk. The fan-out remembers directories it made; if something removed one
   * since, the rename fails with NotFound and the directories are made again, once.
   */
  async #moveIn(
    from: string,
    final: string,
    dirsReady: Promise<{ durable: Promise<void> }>,
  ): Promise<void> {
    let dirs = await dirsReady;
    try {
      Deno.renameSync(from, final);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      this.#blobs.forget(final);
      dirs = await this.#blobs.makeDirsFor(final);
      Deno.renameSync(from, final);
    }
    // The new name and any new directory above it must all be on disk before the ack.
    await Promise.all([syncDir(dirname(final)), dirs.durable]);
  }

  /** Size and modification time of a stored blob, or `null` if it is not stored. */
  // deno-lint-ignore require-await -- async so that a bad id is a rejection, as for every method
  async stat(id: BlobId): Promise<BlobStat | null> {
    assertBlobId(id);
    this.#assertOpen("stat");
    return this.#statPath(this.#blobs.path(id));
  }

  /** Whether blob `id` is stored. */
  async has(id: BlobId): Promise<boolean> {
    return (await this.stat(id)) !== null;
  }

  async hasMany(ids: BlobId[]): Promise<boolean[]> {
    for (const id of ids) assertBlobId(id);
    return await Promise.all(ids.map((id) => this.has(id)));
  }

  /**
   * Streams a blob, or the inclusive byte range of it. As in HTTP (RFC 9110 §14.1.2), an
   * `end` past the last byte is clamped, and a `start` at or past the size is unsatisfiable.
   * The caller must read the stream to the end or cancel it: it holds an open file.
   */
  async get(id: BlobId, range?: ByteRange): Promise<BlobRead> {
    assertBlobId(id);
    if (range !== undefined) checkRange(range);
    this.#assertOpen("get");
    const file = await this.#openBlob(id);
    try {
      const { size } = await file.stat();
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? size - 1, size - 1);
      if (range && start >= size) {
        throw new RangeNotSatisfiableError(
          `Cannot read bytes ${start}- of blob ${id}: it has ${size} bytes`,
          size,
        );
      }
      if (start > 0) await file.seek(start, Deno.SeekMode.Start);
      return { stream: rangeStream(file, end - start + 1, `blob ${id}`), size, start, end };
    } catch (err) {
      file.close();
      throw err;
    }
  }

  /**
   * A whole blob in memory, read with as few reads as the OS allows (one, typically) into one
   * buffer of its size, instead of 256 KiB chunks joined afterwards: for pushing a small blob
   * as one request body. Refuses blobs over `maxBytes` (RangeError): large blobs must be
   * streamed with {@link get}.
   */
  async readBytes(id: BlobId, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
    assertBlobId(id);
    this.#assertOpen("readBytes");
    const file = await this.#openBlob(id);
    try {
      const { size } = await file.stat();
      if (size > maxBytes) {
        throw new RangeError(`Blob ${id} has ${size} bytes, more than ${maxBytes} to read at once`);
      }
      const bytes = new Uint8Array(size);
      let off = 0;
      while (off < size) {
        const n = await file.read(bytes.subarray(off));
        if (n === null) {
          throw new Error(`Cannot read blob ${id}: file ended ${size - off} bytes early`);
        }
        off += n;
      }
      return bytes;
    } finally {
      file.close();
    }
  }

  /**
   * A whole blob as its file's own stream, to send as it is: Deno writes such a stream to a
   * socket natively, without a JS buffer per chunk (a sender's peak RSS replicating a 1 GiB blob:
   * ~100 MiB, against ~165 MiB through {@link get}). NotFoundError when it is not stored.
   */
  async readable(id: BlobId): Promise<{ stream: ReadableStream<Uint8Array>; size: number }> {
    assertBlobId(id);
    this.#assertOpen("readable");
    const file = await this.#openBlob(id);
    try {
      return { stream: file.readable, size: (await file.stat()).size };
    } catch (err) {
      file.close();
      throw err;
    }
  }

  /** Opens a stored blob for reading; NotFoundError when it is not stored. */
  async #openBlob(id: BlobId): Promise<Deno.FsFile> {
    try {
      return await Deno.open(this.#blobs.path(id), { read: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new NotFoundError(`Cannot read blob ${id}: it is not stored`, { cause: err });
      }
      throw err;
    }
  }

  /** Ids in ascending order, `limit` at a time; pass `next` as `after` for the next page. */
  async list(options: ListOptions = {}): Promise<ListPage> {
    if (options.after !== undefined) assertBlobId(options.after, "list cursor");
    const limit = checkListOptions(options);
    this.#assertOpen("list");
    const ids: BlobId[] = [];
    // Reading one id past the page tells whether a next page exists.
    for await (const id of walkBlobIds(this.#blobs.dir, options.after)) {
      if (ids.length === limit) return { ids, next: ids[limit - 1] };
      ids.push(id);
    }
    return { ids };
  }

  /** Removes a blob durably; `false` if it was not stored. */
  async delete(id: BlobId): Promise<boolean> {
    assertBlobId(id);
    this.#assertOpen("delete");
    const path = this.#blobs.path(id);
    if (!(await removeIfExists(path))) return false;
    await syncDir(dirname(path));
    return true;
  }

  /**
   * Re-hashes every stored blob and reports those whose bytes no longer match their id.
   * Corrupt blobs are left in place: the caller decides whether to fetch a good copy.
   * `onProgress(done, total)` is called after each blob.
   */
  async scrub(options: ScrubOptions = {}): Promise<ScrubReport> {
    this.#assertOpen("scrub");
    const total = options.onProgress ? await this.count() : 0;
    return await scrubBlobs(this.#blobs, total, options);
  }

  /** Number of stored blobs (walks the fan-out). */
  async count(): Promise<number> {
    this.#assertOpen("count");
    let n = 0;
    for await (const _ of walkBlobIds(this.#blobs.dir)) n++;
    return n;
  }

  /** Sum of stored blob sizes in bytes (walks the fan-out and stats each blob). */
  async totalBytes(): Promise<number> {
    this.#assertOpen("totalBytes");
    let bytes = 0;
    for await (const id of walkBlobIds(this.#blobs.dir)) {
      bytes += this.#statPath(this.#blobs.path(id))?.size ?? 0;
    }
    return bytes;
  }

  /** The data dir, and the space left on its filesystem. */
  async describe(): Promise<BlobStoreInfo> {
    this.#assertOpen("describe");
    const fs = await statfs(this.#blobs.dir);
    return {
      backend: "fs",
      location: this.#blobs.dir,
      capacity: { totalBytes: fs.blocks * fs.bsize, freeBytes: fs.bavail * fs.bsize },
    };
  }

  #statPath(path: string): BlobStat | null {
    try {
      const info = Deno.statSync(path);
      return { size: info.size, mtime: info.mtime };
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return null;
      throw err;
    }
  }

  #assertOpen(method: string): void {
    if (!this.#open) throw new Error(`Cannot call FsBlobStore.${method}(): call open() first`);
  }
}
