/**
 * Resumable uploads (DESIGN §6): a session is created for an expected blob id
 * and size; chunks are appended at the current offset, each fsynced before the
 * new offset is acknowledged (so a crash never loses an acknowledged byte and
 * never acknowledges a lost one); `finish` hashes the file and moves it into
 * the blob store only if it hashes to the expected id.
 *
 * Files live in `<data>/uploads/<session id>` (not `tmp/`, which is emptied
 * at start: acknowledged upload progress survives a restart).
 *
 * Finishing is idempotent across a crash. The bytes move into the blob store
 * first; then one transaction marks the session finished and runs `onFinished`
 * (the vault notes the uploader there), so the uploader's right to read the
 * blob and the end of the session become durable together. A finish that finds
 * the file already moved (a crash after the move) completes the session the
 * same way; each start completes such sessions too (and, for an object store,
 * those whose verified file was uploaded but not yet removed), so the uploader can read
 * her blob even if her browser never asks again. A finished session keeps its
 * row (no file) until it expires: a finish asked again gets the first answer.
 */

import { join } from "node:path";
import { ConflictError, IntegrityError, NotFoundError, TooLargeError } from "../core/errors.ts";
import { faultPoint } from "../core/faults.ts";
import { getLogger } from "../core/log.ts";
import type { BlobStore } from "./blob_store.ts";
import type { PutResult } from "./blob_store_types.ts";
import type { IndexDb } from "./index_db.ts";
import { removeIfExists, writeAll } from "./_durable.ts";
import { PerIdQueue } from "./_per_id.ts";
import { hashFile } from "./hash_file.ts";

export interface UploadSession {
  id: string;
  memberKey: string;
  blobId: string;
  size: number;
  offset: number;
  createdAt: number;
  updatedAt: number;
  /** Set once the blob is stored: the result of the finish. */
  finished?: { at: number; created: boolean };
}

export interface UploadSessionOptions {
  /** Largest chunk accepted in one request. @default 16 MiB */
  maxChunkBytes?: number;
  /** Sessions untouched this long are deleted. @default 24 h */
  ttlMs?: number;
  now?: () => number;
  /**
   * Runs inside the transaction that ends a finished session, once its blob is stored:
   * SQL on the same index database only (it commits or rolls back with the session).
   */
  onFinished?: (session: UploadSession) => void;
}

const log = getLogger("store");

interface Row {
  id: string;
  member_key: string;
  blob_id: string;
  size: number;
  offset: number;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  created: number | null;
}

const toSession = (r: Row): UploadSession => ({
  id: r.id,
  memberKey: r.member_key,
  blobId: r.blob_id,
  size: r.size,
  offset: r.offset,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  ...(r.finished_at === null ? {} : { finished: { at: r.finished_at, created: r.created === 1 } }),
});

export class UploadSessions {
  readonly maxChunkBytes: number;
  readonly ttlMs: number;
  readonly #now: () => number;
  readonly #dir: string;
  readonly #onFinished: (session: UploadSession) => void;
  /** One append or finish at a time per session. */
  readonly #busy = new PerIdQueue();

  private constructor(
    private readonly index: IndexDb,
    private readonly blobs: BlobStore,
    dir: string,
    options: UploadSessionOptions,
  ) {
    this.#dir = dir;
    this.maxChunkBytes = options.maxChunkBytes ?? 16 * 1024 * 1024;
    this.ttlMs = options.ttlMs ?? 24 * 3600_000;
    this.#now = options.now ?? Date.now;
    this.#onFinished = options.onFinished ?? (() => {});
  }

  static async open(
    index: IndexDb,
    blobs: BlobStore,
    options: UploadSessionOptions = {},
  ): Promise<UploadSessions> {
    const dir = join(blobs.root, "uploads");
    await Deno.mkdir(dir, { recursive: true });
    const sessions = new UploadSessions(index, blobs, dir, options);
    await sessions.#completeMoved();
    await sessions.purgeExpired();
    return sessions;
  }

  #path(id: string): string {
    return join(this.#dir, id);
  }

  create(memberKey: string, blobId: string, size: number): UploadSession {
    const id = crypto.randomUUID();
    const now = this.#now();
    this.index.db.prepare(
      `INSERT INTO upload_sessions (id, member_key, blob_id, size, offset, created_at, updated_at)
       VALUES (?, ?, ?, ?, 0, ?, ?)`,
    ).run(id, memberKey, blobId, size, now, now);
    return { id, memberKey, blobId, size, offset: 0, createdAt: now, updatedAt: now };
  }

  /** A member's own session; anyone else's is "not found", so ids leak nothing. */
  get(id: string, memberKey: string): UploadSession {
    const row = /^[0-9a-f-]{36}$/.test(id)
      ? this.index.db.prepare("SELECT * FROM upload_sessions WHERE id = ? AND member_key = ?")
        .get(id, memberKey) as Row | undefined
      : undefined;
    if (!row) throw new NotFoundError("No such upload session (it may have expired)");
    return toSession(row);
  }

  /**
   * Appends `body` at `offset`, which must be the session's current offset
   * (ConflictError otherwise, so a client that lost a response asks again and
   * resumes). Returns the new offset once the bytes are on disk.
   */
  append(
    id: string,
    memberKey: string,
    offset: number,
    body: ReadableStream<Uint8Array>,
  ): Promise<number> {
    return this.#busy.run(id, async () => {
      const s = this.get(id, memberKey);
      if (s.finished) {
        await body.cancel().catch(() => {});
        throw new ConflictError("This upload is finished: its blob is stored");
      }
      if (offset !== s.offset) {
        await body.cancel().catch(() => {});
        throw new ConflictError(
          `This upload is at offset ${s.offset}, not ${offset}: resume from ${s.offset}`,
        );
      }
      const file = await Deno.open(this.#path(id), { write: true, create: true });
      let written = 0;
      try {
        // Bytes past the acknowledged offset are from a chunk that was never acknowledged.
        await file.truncate(s.offset);
        await file.seek(s.offset, Deno.SeekMode.Start);
        const limit = Math.min(this.maxChunkBytes, s.size - s.offset);
        for await (const chunk of body) {
          written += chunk.byteLength;
          if (written > limit) {
            throw new TooLargeError(
              written + s.offset > s.size
                ? `This chunk goes past the declared size of ${s.size} bytes`
                : `A chunk may be at most ${this.maxChunkBytes} bytes`,
            );
          }
          await writeAll(file, chunk);
        }
        await file.sync();
        faultPoint("upload.append.synced");
      } catch (err) {
        await file.truncate(s.offset).catch(() => {});
        throw err;
      } finally {
        file.close();
      }
      const next = s.offset + written;
      this.index.db.prepare("UPDATE upload_sessions SET offset = ?, updated_at = ? WHERE id = ?")
        .run(next, this.#now(), id);
      return next;
    });
  }

  /**
   * Verifies the uploaded bytes against the expected id and stores the blob.
   * A mismatch deletes the session and its bytes: nothing is stored. Idempotent: asked
   * again after a crash that followed the move into the store, it completes the session
   * and answers the same.
   */
  finish(id: string, memberKey: string): Promise<PutResult> {
    return this.#busy.run(id, async () => {
      const s = this.get(id, memberKey);
      if (s.finished) return { id: s.blobId, size: s.size, created: s.finished.created };
      if (s.offset !== s.size) {
        throw new ConflictError(
          `This upload has ${s.offset} of ${s.size} bytes; send the rest first`,
        );
      }
      const path = this.#path(id);
      if (s.size === 0) await Deno.writeFile(path, new Uint8Array(0), { create: true });
      let result: PutResult;
      try {
        result = await this.blobs.importFile(s.blobId, path);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound && await this.#moved(s)) {
          // Moved in before a crash: whether by this upload or an earlier one, it is stored.
          result = { id: s.blobId, size: s.size, created: true };
        } else if (err instanceof Deno.errors.NotFound) {
          this.#delete(id);
          throw new NotFoundError(
            "The bytes of this upload are gone from this node; start the upload again",
            { cause: err },
          );
        } else if (err instanceof IntegrityError) {
          await this.cancel(id, memberKey);
          throw new IntegrityError(
            `The uploaded bytes do not hash to ${s.blobId}; the upload was discarded`,
            { cause: err },
          );
        } else {
          throw err;
        }
      }
      faultPoint("upload.finish.stored");
      this.#complete(s, result.created);
      faultPoint("upload.finish.committed");
      return result;
    });
  }

  /** Whether a finished session's bytes are in the store already: its file was moved in. */
  async #moved(s: UploadSession): Promise<boolean> {
    return (await this.blobs.stat(s.blobId))?.size === s.size;
  }

  /** Marks a session whose blob is stored finished, with `onFinished`, in one transaction. */
  #complete(s: UploadSession, created: boolean): void {
    const now = this.#now();
    this.index.tx((db) => {
      db.prepare(
        "UPDATE upload_sessions SET finished_at = ?, created = ?, updated_at = ? WHERE id = ?",
      ).run(now, created ? 1 : 0, now, s.id);
      this.#onFinished(s);
    });
  }

  /**
   * At start: sessions whose bytes went into the store before a crash are completed. On the
   * filesystem the file is gone then (moved in); an object store uploads a copy and removes
   * the file after, so a crash between leaves it: such a session is completed only if its
   * file hashes to the blob id, since an upload must never earn its sender the right to read
   * a blob whose bytes it did not send. The file is removed then.
   */
  async #completeMoved(): Promise<void> {
    const full = (this.index.db.prepare(
      "SELECT * FROM upload_sessions WHERE offset = size AND finished_at IS NULL",
    ).all() as unknown as Row[]).map(toSession);
    let completed = 0;
    for (const s of full) {
      const path = this.#path(s.id);
      const fileThere = await Deno.lstat(path).then(() => true, () => false);
      if (!(await this.#moved(s))) continue;
      if (fileThere) {
        if ((await hashFile(path)).hex !== s.blobId) continue;
        await removeIfExists(path);
      }
      this.#complete(s, true);
      completed++;
    }
    if (completed) log.info("Completed uploads finished before a restart", { completed });
  }

  async cancel(id: string, memberKey: string): Promise<void> {
    this.get(id, memberKey);
    this.#delete(id);
    await removeIfExists(this.#path(id));
  }

  #delete(id: string): void {
    this.index.db.prepare("DELETE FROM upload_sessions WHERE id = ?").run(id);
  }

  /** Deletes sessions idle longer than the TTL, and files with no session. */
  async purgeExpired(): Promise<number> {
    const cutoff = this.#now() - this.ttlMs;
    const stale = this.index.db.prepare(
      "DELETE FROM upload_sessions WHERE updated_at < ? RETURNING id",
    )
      .all(cutoff) as { id: string }[];
    const live = new Set(
      (this.index.db.prepare("SELECT id FROM upload_sessions").all() as { id: string }[]).map((r) =>
        r.id
      ),
    );
    for await (const e of Deno.readDir(this.#dir)) {
      if (!live.has(e.name)) await removeIfExists(join(this.#dir, e.name));
    }
    return stale.length;
  }
}
