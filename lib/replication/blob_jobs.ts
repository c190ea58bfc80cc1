/**
 * The durable blob job queue (DESIGN §7): one row per blob × peer × direction
 * in SQLite, so a restart resumes where the node stopped.
 *
 *   pending ──claim──▶ in_flight ──▶ done
 *      ▲                   │
 *      └──── backoff ──────┤ (attempts < maxAttempts and the error may pass)
 *                          ▼
 *                       failed ──(after failedRetryAfterMs)──▶ pending
 *
 * Nothing depends on a job surviving: the inventory exchange re-creates
 * whatever is missing.
 */

import type { IndexDb } from "../store/mod.ts";
import { relaxed, relaxedTx } from "./relaxed.ts";

export type JobDir = "push" | "pull";
export type JobState = "pending" | "in_flight" | "done" | "failed";

export interface BlobJob {
  blobId: string;
  peerId: string;
  dir: JobDir;
  state: JobState;
  attempts: number;
  nextAt: number;
  size?: number;
  lastError?: string;
}

export interface BlobJobQueueOptions {
  /** First retry delay; doubles with each attempt. @default 1_000 */
  backoffBaseMs?: number;
  /** @default 300_000 */
  backoffMaxMs?: number;
  /** Attempts before a job is marked failed. @default 8 */
  maxAttempts?: number;
  /** P2POS_REP_FAILED_RETRY_AFTER_SECS. @default 120_000 */
  failedRetryAfterMs?: number;
  now?: () => number;
  /** Jitter in [0, 1); injectable so tests are deterministic. @default Math.random */
  random?: () => number;
}

interface Row {
  blob_id: string;
  peer_id: string;
  dir: JobDir;
  state: JobState;
  attempts: number;
  next_at: number;
  size: number | null;
  last_error: string | null;
}

const toJob = (r: Row): BlobJob => ({
  blobId: r.blob_id,
  peerId: r.peer_id,
  dir: r.dir,
  state: r.state,
  attempts: r.attempts,
  nextAt: r.next_at,
  size: r.size ?? undefined,
  lastError: r.last_error ?? undefined,
});

export interface BacklogCounts {
  pending: number;
  in_flight: number;
  failed: number;
  done: number;
}

export class BlobJobQueue {
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly maxAttempts: number;
  readonly failedRetryAfterMs: number;
  readonly #now: () => number;
  readonly #random: () => number;

  constructor(private readonly index: IndexDb, options: BlobJobQueueOptions = {}) {
    this.backoffBaseMs = options.backoffBaseMs ?? 1_000;
    this.backoffMaxMs = options.backoffMaxMs ?? 300_000;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.failedRetryAfterMs = options.failedRetryAfterMs ?? 120_000;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /**
   * Adds a job, or makes a finished one pending again. A job already pending
   * or in flight is left alone. Returns whether a job became pending.
   */
  enqueue(blobId: string, peerId: string, dir: JobDir, size?: number): boolean {
    const now = this.#now();
    const r = relaxed(this.index, () =>
      this.index.db.prepare(
        `INSERT INTO blob_jobs (blob_id, peer_id, dir, state, attempts, next_at, size, created_at,
         updated_at) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?, ?)
       ON CONFLICT (blob_id, peer_id, dir) DO UPDATE SET state = 'pending', attempts = 0,
         next_at = excluded.next_at, last_error = NULL, updated_at = excluded.updated_at,
         size = coalesce(excluded.size, size)
       WHERE state IN ('done', 'failed')`,
      ).run(blobId, peerId, dir, now, size ?? null, now, now));
    return Number(r.changes) > 0;
  }

  /** Enqueues many jobs in one transaction. */
  enqueueMany(jobs: { blobId: string; peerId: string; dir: JobDir; size?: number }[]): number {
    if (jobs.length === 0) return 0;
    return relaxedTx(
      this.index,
      () => jobs.reduce((n, j) => n + Number(this.enqueue(j.blobId, j.peerId, j.dir, j.size)), 0),
    );
  }

  /**
   * Takes up to `limit` due jobs and marks them in flight, skipping blobs in
   * `busy` (already moving) so one blob is never pulled twice at once.
   */
  claim(limit: number, busy: (job: BlobJob) => boolean = () => false): BlobJob[] {
    if (limit <= 0) return [];
    const now = this.#now();
    const rows = this.index.db.prepare(
      `SELECT * FROM blob_jobs WHERE state = 'pending' AND next_at <= ?
       ORDER BY next_at, blob_id LIMIT ?`,
    ).all(now, limit * 4 + 16) as unknown as Row[];
    const out: BlobJob[] = [];
    const taken = new Set<string>();
    for (const row of rows) {
      const job = toJob(row);
      const key = `${job.dir}:${job.blobId}`;
      if (busy(job) || (job.dir === "pull" && taken.has(key))) continue;
      taken.add(key);
      out.push({ ...job, state: "in_flight" });
      if (out.length === limit) break;
    }
    if (out.length) {
      relaxedTx(this.index, () => {
        for (const job of out) this.#set(job, "in_flight", job.attempts, job.nextAt, job.lastError);
      });
    }
    return out;
  }

  complete(job: BlobJob): void {
    this.#set(job, "done", job.attempts, this.#now(), undefined);
  }

  /** Marks every pull job of a blob done: one copy is enough. */
  completePulls(blobId: string): void {
    relaxed(this.index, () =>
      this.index.db.prepare(
        `UPDATE blob_jobs SET state = 'done', updated_at = ?, last_error = NULL
       WHERE blob_id = ? AND dir = 'pull' AND state != 'done'`,
      ).run(this.#now(), blobId));
  }

  /** The peer holds these blobs already (its inventory said so): their pushes are done. */
  completePushes(peerId: string, blobIds: string[]): number {
    let n = 0;
    const now = this.#now();
    for (let i = 0; i < blobIds.length; i += 500) {
      const part = blobIds.slice(i, i + 500);
      const r = relaxed(this.index, () =>
        this.index.db.prepare(
          `UPDATE blob_jobs SET state = 'done', updated_at = ?, last_error = NULL
           WHERE peer_id = ? AND dir = 'push' AND state IN ('pending', 'failed')
             AND blob_id IN (${part.map(() => "?").join(",")})`,
        ).run(now, peerId, ...part));
      n += Number(r.changes);
    }
    return n;
  }

  /**
   * Records a failed attempt: back to pending after an exponential backoff with
   * jitter, or failed (until {@link failedRetryAfterMs}) when attempts run out or
   * the error will not pass by itself.
   */
  fail(job: BlobJob, error: string, retryable = true): JobState {
    const now = this.#now();
    const attempts = job.attempts + 1;
    if (!retryable || attempts >= this.maxAttempts) {
      this.#set(job, "failed", attempts, now + this.failedRetryAfterMs, error);
      return "failed";
    }
    this.#set(job, "pending", attempts, now + this.backoffMs(attempts), error);
    return "pending";
  }

  /**
   * Puts a job back to wait `ms` without counting an attempt: the peer accepted an
   * offer and is fetching the blob; the next run checks that it arrived.
   */
  defer(job: BlobJob, ms: number, note: string): void {
    this.#set(job, "pending", job.attempts, this.#now() + ms, note);
  }

  /** Delay before attempt `attempts + 1`: base · 2^(attempts-1), capped, ±25 % jitter. */
  backoffMs(attempts: number): number {
    const raw = Math.min(this.backoffBaseMs * 2 ** Math.max(0, attempts - 1), this.backoffMaxMs);
    return Math.round(raw * (0.75 + this.#random() * 0.5));
  }

  /** Failed jobs whose wait is over become pending again, with fresh attempts. */
  requeueFailed(): number {
    const now = this.#now();
    const r = relaxed(this.index, () =>
      this.index.db.prepare(
        `UPDATE blob_jobs SET state = 'pending', attempts = 0, next_at = ?, updated_at = ?
       WHERE state = 'failed' AND next_at <= ?`,
      ).run(now, now, now));
    return Number(r.changes);
  }

  /** At start: a job in flight when the node stopped never finished. */
  recoverInFlight(): number {
    const now = this.#now();
    const r = relaxed(this.index, () =>
      this.index.db.prepare(
        "UPDATE blob_jobs SET state = 'pending', next_at = ?, updated_at = ? WHERE state = 'in_flight'",
      ).run(now, now));
    return Number(r.changes);
  }

  /** A peer came back: its waiting jobs are due now rather than after their backoff. */
  kickPeer(peerId: string): number {
    const now = this.#now();
    const r = relaxed(this.index, () =>
      this.index.db.prepare(
        `UPDATE blob_jobs SET state = 'pending', next_at = ?, attempts = 0, updated_at = ?
       WHERE peer_id = ? AND state IN ('pending', 'failed') AND next_at > ?`,
      ).run(now, now, peerId, now));
    return Number(r.changes);
  }

  /** Drops every job of a removed peer. */
  dropPeer(peerId: string): void {
    relaxed(
      this.index,
      () => this.index.db.prepare("DELETE FROM blob_jobs WHERE peer_id = ?").run(peerId),
    );
  }

  /** Forgets finished jobs older than `ageMs`. */
  pruneDone(ageMs: number): number {
    const r = relaxed(this.index, () =>
      this.index.db.prepare(
        "DELETE FROM blob_jobs WHERE state = 'done' AND updated_at < ?",
      ).run(this.#now() - ageMs));
    return Number(r.changes);
  }

  /** When the next pending job is due (undefined when none is pending). */
  nextDue(): number | undefined {
    const row = this.index.db.prepare(
      "SELECT min(next_at) AS t FROM blob_jobs WHERE state = 'pending'",
    ).get() as { t: number | null };
    return row.t ?? undefined;
  }

  get(blobId: string, peerId: string, dir: JobDir): BlobJob | undefined {
    const row = this.index.db.prepare(
      "SELECT * FROM blob_jobs WHERE blob_id = ? AND peer_id = ? AND dir = ?",
    ).get(blobId, peerId, dir) as Row | undefined;
    return row ? toJob(row) : undefined;
  }

  /** Jobs of the given blobs (for "where is it stored"). */
  forBlobs(blobIds: string[]): BlobJob[] {
    if (blobIds.length === 0) return [];
    const out: BlobJob[] = [];
    for (let i = 0; i < blobIds.length; i += 500) {
      const part = blobIds.slice(i, i + 500);
      const rows = this.index.db.prepare(
        `SELECT * FROM blob_jobs WHERE blob_id IN (${part.map(() => "?").join(",")})`,
      ).all(...part) as unknown as Row[];
      out.push(...rows.map(toJob));
    }
    return out;
  }

  /** Counts per peer and direction and state. */
  counts(): { peerId: string; dir: JobDir; state: JobState; n: number; bytes: number }[] {
    return (this.index.db.prepare(
      `SELECT peer_id, dir, state, count(*) AS n, coalesce(sum(size), 0) AS bytes
       FROM blob_jobs GROUP BY peer_id, dir, state`,
    ).all() as { peer_id: string; dir: JobDir; state: JobState; n: number; bytes: number }[])
      .map((r) => ({ peerId: r.peer_id, dir: r.dir, state: r.state, n: r.n, bytes: r.bytes }));
  }

  #set(job: BlobJob, state: JobState, attempts: number, nextAt: number, error?: string): void {
    relaxed(this.index, () =>
      this.index.db.prepare(
        `UPDATE blob_jobs SET state = ?, attempts = ?, next_at = ?, last_error = ?, updated_at = ?
       WHERE blob_id = ? AND peer_id = ? AND dir = ?`,
      ).run(
        state,
        attempts,
        nextAt,
        error?.slice(0, 300) ?? null,
        this.#now(),
        job.blobId,
        job.peerId,
        job.dir,
      ));
  }
}
