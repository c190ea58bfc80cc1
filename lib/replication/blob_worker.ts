/**
 * Runs blob jobs: at most `maxConcurrent` transfers at once, each streamed
 * (file → transport → peer, or peer → transport → store) so memory stays
 * bounded for any blob size. A transfer that makes no progress for
 * `stallTimeoutMs` is aborted and retried with backoff: a pull whose answer or
 * bytes stop coming, and a push whose body is not taken or whose answer does
 * not come once it was sent. A push that fails or stalls falls back to an
 * offer, so the peer pulls the blob instead (a pull has its own watchdog).
 *
 * A pull gives up its transfer slot as soon as its bytes are in and verified,
 * while the store makes them durable (write-out, fsync, rename, directory
 * fsync: about 17 ms a blob here): the next transfer's request overlaps that
 * wait. Up to `maxConcurrent` pulls may be finishing so, on top of the
 * transfers. The job stays in flight, and no ack is given, until the blob is
 * durable. On the replication bench (with direct I/O writes) pair → 100 % took
 * 12 % less time.
 */

import { IntegrityError, P2posError, StalledError } from "../core/errors.ts";
import { faultPoint } from "../core/faults.ts";
import { getLogger } from "../core/log.ts";
import { StallTimer } from "../core/stall.ts";
import { type PeerAddress, type Transport, TransportError } from "../core/transport.ts";
import type { BlobStore, PutOptions, PutResult } from "../store/mod.ts";
import type { BlobJob, BlobJobQueue } from "./blob_jobs.ts";
import type { DiskSpace } from "./disk_space.ts";
import type { LocationStore } from "./locations.ts";
import type { PeerDirectory } from "./peers.ts";

const log = getLogger("replication");

export interface BlobWorkerDeps {
  jobs: BlobJobQueue;
  blobs: BlobStore;
  ingest: (id: string, stream: ReadableStream<Uint8Array>, o: PutOptions) => Promise<PutResult>;
  locations: LocationStore;
  peers: PeerDirectory;
  /** A full disk here pauses pulls (they would fetch bytes only to fail again). */
  disk: DiskSpace;
  now: () => number;
  /** Blobs arriving right now by push from a peer: never pulled at the same time. */
  inbound: Set<string>;
  onLocation: (blobId: string, nodeId: string) => void;
  onChange: () => void;
}

/** Blobs up to this size are pushed in one request body; larger ones are offered (pulled). */
export const INLINE_PUSH_MAX = 8 << 20;
/** A push body is handed to fetch in pieces of this size. */
const PUSH_PIECE = 1 << 20;
/** While a disk (here or the peer's) is full, jobs waiting on it are looked at this often. */
const DISK_FULL_RETRY_MS = 1_000;

export interface BlobWorkerOptions {
  /** @default 4 */
  maxConcurrent?: number;
  /** @default 60_000 */
  stallTimeoutMs?: number;
  maxBlobBytes?: number;
}

interface Running {
  job: BlobJob;
  abort: AbortController;
  /** The bytes are in (a pull being made durable): the transfer slot is free again. */
  received: boolean;
}

export class BlobWorker {
  readonly #inFlight = new Map<string, Running>();
  readonly #running = new Set<Promise<void>>();
  readonly maxConcurrent: number;
  readonly #stallMs: number;
  readonly #maxBlobBytes?: number;
  #timer?: ReturnType<typeof setTimeout>;
  #stopped = true;
  /** Jobs whose new state could not be written (a full disk): written at the next pump. */
  readonly #unsaved = new Map<string, { job: BlobJob; note: string }>();

  constructor(private readonly deps: BlobWorkerDeps, options: BlobWorkerOptions = {}) {
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? 4);
    this.#stallMs = options.stallTimeoutMs ?? 60_000;
    this.#maxBlobBytes = options.maxBlobBytes;
  }

  start(): void {
    this.#stopped = false;
    this.pump();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const { abort } of this.#inFlight.values()) abort.abort(new Error("node stopping"));
    await Promise.allSettled([...this.#running]);
  }

  get active(): number {
    return this.#inFlight.size;
  }

  /** Blob ids moving right now (for status). */
  inFlightIds(): string[] {
    return [...this.#inFlight.values()].map((f) => f.job.blobId);
  }

  /**
   * Starts due jobs up to the cap, then sleeps until the next one is due. Never throws: it
   * runs from timers and listeners, and a failed database write (a full disk) only delays it.
   */
  pump(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    try {
      this.#pump();
    } catch (err) {
      if (!this.deps.disk.refused(err)) {
        log.warn("Cannot start blob transfers", { error: (err as Error).message });
      }
      this.#timer = setTimeout(() => this.pump(), DISK_FULL_RETRY_MS);
    }
  }

  #pump(): void {
    for (const [key, { job, note }] of this.#unsaved) {
      this.deps.jobs.defer(job, 0, note);
      this.#unsaved.delete(key);
    }
    // No pulls while this node's disk is full: each would fetch bytes only to fail again.
    const paused = this.deps.disk.full !== undefined;
    let moving = 0;
    for (const r of this.#inFlight.values()) if (!r.received) moving++;
    const free = Math.min(
      this.maxConcurrent - moving,
      2 * this.maxConcurrent - this.#inFlight.size,
    );
    const reachable = new Set(this.deps.peers.reachableIds());
    const busy = (j: BlobJob) =>
      !reachable.has(j.peerId) || this.deps.inbound.has(j.blobId) || (paused && j.dir === "pull") ||
      [...this.#inFlight.values()].some((f) => f.job.blobId === j.blobId);
    const claimed = free > 0 && reachable.size > 0 ? this.deps.jobs.claim(free, busy) : [];
    for (const job of claimed) this.#run(job);
    if (claimed.length) this.deps.onChange();
    const due = this.deps.jobs.nextDue();
    if (due !== undefined && free > claimed.length) {
      const wait = Math.min(
        Math.max(due - this.deps.now(), 50),
        paused ? DISK_FULL_RETRY_MS : 5_000,
      );
      this.#timer = setTimeout(() => this.pump(), wait);
    }
  }

  #run(job: BlobJob): void {
    const key = `${job.dir}:${job.blobId}:${job.peerId}`;
    const running: Running = { job, abort: new AbortController(), received: false };
    this.#inFlight.set(key, running);
    const received = () => {
      running.received = true;
      this.pump();
    };
    const task = (async () => {
      try {
        if (job.dir === "push") await this.#push(job, running.abort.signal);
        else await this.#pull(job, running.abort.signal, received);
      } catch (err) {
        try {
          this.#failed(job, err);
        } catch (writeErr) {
          // The failure itself could not be written (a full disk): the job stays in flight in
          // the database until the next pump writes it.
          this.deps.disk.refused(writeErr);
          this.#unsaved.set(`${job.dir}:${job.blobId}:${job.peerId}`, {
            job,
            note: (err as Error)?.message ?? String(err),
          });
        }
      } finally {
        this.#inFlight.delete(key);
        this.deps.onChange();
        this.pump();
      }
    })();
    this.#running.add(task);
    task.finally(() => this.#running.delete(task));
  }

  async #push(job: BlobJob, signal: AbortSignal): Promise<void> {
    const { blobs, jobs, locations, peers, now } = this.deps;
    const peer = peers.get(job.peerId);
    const t = peer && peers.transportFor(peer);
    if (!peer || !t) {
      jobs.fail(job, "The peer is no longer a family node or cannot be reached", false);
      return;
    }
    const stat = await blobs.stat(job.blobId);
    if (!stat) {
      // Deleted or found corrupt here since: nothing to push; peers get it elsewhere.
      jobs.complete(job);
      return;
    }
    const have = await t.haveBlobs(peer, [job.blobId]);
    if (!have.includes(job.blobId)) {
      // Large blobs travel by the peer's pull (a streamed response), not a streamed request
      // body: Deno's fetch slows down quadratically when it streams a request body to a
      // receiver that writes slower than the network (docs/PROTOCOL.md §3.5).
      if (stat.size > INLINE_PUSH_MAX) return await this.#offer(job, peer, t, stat.size);
      try {
        await this.#pushBytes(job, peer, t, signal);
        faultPoint("replication.push.sent");
      } catch (err) {
        // Stopping, or a refusal that an offer would meet again (not a family node, too large).
        const refused = err instanceof TransportError && !err.retryable;
        if (signal.aborted || refused) throw err;
        log.info("Push failed; offering the blob for the peer to pull instead", {
          blob: job.blobId,
          peer: peer.nodeId,
          error: (err as Error).message,
        });
        // An offer that fails too is reported with the push's error, the one that matters.
        return await this.#offer(job, peer, t, stat.size).catch(() => Promise.reject(err));
      }
    }
    locations.ack(job.blobId, peer.nodeId, now());
    jobs.complete(job);
    this.deps.onLocation(job.blobId, peer.nodeId);
    log.debug("Pushed blob", { blob: job.blobId, peer: peer.nodeId, size: stat.size });
  }

  /**
   * Sends a small blob in one request body, given up when fetch takes no part of the body,
   * or no answer comes, for `stallTimeoutMs`.
   */
  async #pushBytes(job: BlobJob, peer: PeerAddress, t: Transport, signal: AbortSignal) {
    const bytes = await this.deps.blobs.readBytes(job.blobId, INLINE_PUSH_MAX);
    const stall = new StallTimer(this.#stallMs, `Push of blob ${job.blobId}`, signal);
    // Pieces of one buffer, not copies: fetch copies nothing more than for one chunk (a
    // Uint8Array body is copied twice on its way to the socket, ≈ 1.6 ms of CPU per MB),
    // and each piece it takes shows progress to the stall timer.
    let off = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        stall.kick();
        if (off >= bytes.byteLength) return c.close();
        c.enqueue(bytes.subarray(off, off += PUSH_PIECE));
      },
    });
    try {
      await t.putBlob(peer, job.blobId, bytes.byteLength, body, stall.signal);
    } finally {
      stall.clear();
    }
  }

  /** Offers the blob: the peer queues a pull. The job waits for it, and then checks again. */
  async #offer(job: BlobJob, peer: PeerAddress, t: Transport, size: number): Promise<void> {
    const offer = await t.offerBlobs(peer, [{ id: job.blobId, size }]);
    if (offer.have.includes(job.blobId)) {
      this.deps.locations.ack(job.blobId, peer.nodeId, this.deps.now());
      this.deps.jobs.complete(job);
      this.deps.onLocation(job.blobId, peer.nodeId);
      return;
    }
    const wait = Math.min(60_000, 2_000 + Math.round(size / 50_000));
    this.deps.jobs.defer(job, wait, "Offered; the peer is fetching it");
  }

  async #pull(job: BlobJob, signal: AbortSignal, received: () => void): Promise<void> {
    const { blobs, jobs, locations, peers, now } = this.deps;
    if (await blobs.has(job.blobId)) {
      jobs.completePulls(job.blobId);
      return;
    }
    const peer = peers.get(job.peerId);
    const t = peer && peers.transportFor(peer);
    if (!peer || !t) {
      jobs.fail(job, "The peer is no longer a family node or cannot be reached", false);
      return;
    }
    // The answer's headers are bounded here, its bytes by the store's stall limit.
    const stall = new StallTimer(this.#stallMs, `Pull of blob ${job.blobId}`, signal);
    const dl = await t.getBlob(peer, job.blobId, stall.signal).finally(() => stall.clear());
    if (this.#maxBlobBytes !== undefined && dl.size > this.#maxBlobBytes) {
      await dl.stream.cancel();
      jobs.fail(job, `Blob of ${dl.size} bytes exceeds this node's limit`, false);
      return;
    }
    try {
      await this.deps.ingest(job.blobId, dl.stream, {
        maxBytes: this.#maxBlobBytes,
        signal,
        stallMs: this.#stallMs,
        onReceived: received,
      });
    } catch (err) {
      if (err instanceof IntegrityError) {
        // The peer's copy is bad: it no longer counts as a holder until it proves otherwise.
        locations.remove(job.blobId, peer.nodeId);
        this.deps.onLocation(job.blobId, peer.nodeId);
      }
      throw err;
    }
    faultPoint("replication.pull.stored");
    locations.ack(job.blobId, peer.nodeId, now());
    jobs.completePulls(job.blobId);
    this.deps.onLocation(job.blobId, peer.nodeId);
    log.debug("Pulled blob", { blob: job.blobId, peer: peer.nodeId, size: dl.size });
  }

  #failed(job: BlobJob, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (this.#stopped) {
      // Stopping: the job stays in flight in the database and is pending at next start.
      return;
    }
    // A full disk, here or at the peer: the job waits for room without using up attempts.
    if (this.deps.disk.refused(err)) {
      this.deps.jobs.defer(job, DISK_FULL_RETRY_MS, "Waiting: this node's disk is full");
      return;
    }
    if (err instanceof TransportError && err.code === "insufficient_storage") {
      this.deps.peers.setDiskFull(job.peerId, true);
      this.deps.jobs.defer(job, 5 * DISK_FULL_RETRY_MS, "Waiting: the peer's disk is full");
      this.deps.onChange();
      return;
    }
    const retryable = err instanceof TransportError
      ? err.retryable || err.status === 409
      : !(err instanceof P2posError) || err instanceof IntegrityError ||
        err instanceof StalledError;
    const state = this.deps.jobs.fail(job, message, retryable);
    if (err instanceof TransportError && err.status === 0) {
      this.deps.peers.markDown(job.peerId, message);
    }
    // A 409 means the peer is receiving that blob from elsewhere right now: routine.
    const conflict = err instanceof TransportError && err.status === 409;
    (conflict ? log.debug : log.info)("Blob transfer failed", {
      blob: job.blobId,
      peer: job.peerId,
      dir: job.dir,
      state,
      error: message,
    });
  }
}
