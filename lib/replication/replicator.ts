/**
 * The replication engine (DESIGN §7): keeps this node's records and blobs in
 * step with every other family node through the {@link Transport}s it is
 * given, and knows where every blob is stored.
 *
 * - records: pull on connect and every `syncIntervalMs`, push on change;
 * - blobs: push jobs for what browsers upload here, pull jobs for what the
 *   periodic inventory exchange finds missing, run by the {@link BlobWorker};
 * - proofs of possession and the scrubber keep "where is it stored" honest.
 *
 * The web layer calls {@link Replicator.peerSide} for this node's side of the
 * exchanges a peer starts (lib/replication/peer_side.ts).
 */

import { ConflictError, isDiskFull, StoreUnavailableError } from "../core/errors.ts";
import { faultPoint } from "../core/faults.ts";
import { getLogger } from "../core/log.ts";
import type { KindRegistry } from "../core/record_kinds.ts";
import type { ReplicationStatus, WhereStored } from "../core/replication_view.ts";
import { type PeerHello, type Transport, TransportError } from "../core/transport.ts";
import type { BlobStore, IndexDb, PutOptions, RecordLog } from "../store/mod.ts";
import { BlobJobQueue } from "./blob_jobs.ts";
import { BlobWorker } from "./blob_worker.ts";
import { DiskSpace } from "./disk_space.ts";
import { pinnedPeer, TRUST_KINDS } from "./bootstrap.ts";
import { ReplicationEvents } from "./events.ts";
import { reconcileInventory } from "./inventory.ts";
import { LocationStore } from "./locations.ts";
import { ingestInto, ObservedBlobStore } from "./observed_blob_store.ts";
import { PeerStore } from "./peer_store.ts";
import { type Peer, PeerDirectory } from "./peers.ts";
import { FEED_WENT_BACK } from "./feed_head.ts";
import { ProofRounds } from "./proof_rounds.ts";
import { PeerSide } from "./peer_side.ts";
import { RecordSync } from "./record_sync.ts";
import { buildStatus } from "./status.ts";
import { buildWhereStored } from "./where_stored.ts";

const log = getLogger("replication");

/** Settings keys (index db) of the scrub schedule. */
const LAST_SCRUB = "replication.last_scrub";
const NEXT_SCRUB = "replication.next_scrub";

export interface ReplicatorDeps {
  db: IndexDb;
  blobs: BlobStore;
  records: RecordLog;
  kinds: KindRegistry;
  self: { nodeId: string; publicKey: Uint8Array };
  transports: Transport[];
}

export interface ReplicatorOptions {
  /** Record pull / peer check period. @default 30_000 */
  syncIntervalMs?: number;
  /** Inventory exchange period per peer. @default 300_000 */
  inventoryIntervalMs?: number;
  /** @default 4 */
  maxConcurrentTransfers?: number;
  /** P2POS_REP_FAILED_RETRY_AFTER_SECS × 1000. @default 120_000 */
  failedRetryAfterMs?: number;
  /** @default 1_000 */
  backoffBaseMs?: number;
  /** @default 8 */
  maxAttempts?: number;
  /** Proof-of-possession round period. @default 60_000 */
  proofIntervalMs?: number;
  /** Every peer copy is proven at least this often: rounds are sized for it. @default 24 h */
  reverifyAfterMs?: number;
  /** Local blob bytes proof rounds may read per minute. @default 256 MiB */
  proofBytesPerMinute?: number;
  /** Scrub period (re-hash every local blob). @default 24 h */
  scrubIntervalMs?: number;
  /** A transfer in either direction that moves nothing for this long is aborted. @default 60_000 */
  stallTimeoutMs?: number;
  maxBlobBytes?: number;
  /**
   * Bytes free on the data dir's filesystem (main.ts: statfs), for a pause on a full disk
   * to end once there is room. @default unknown: the pause is retried every few seconds
   */
  freeBytes?: () => number;
  now?: () => number;
}

export class Replicator {
  readonly events = new ReplicationEvents();
  readonly peerStore: PeerStore;
  readonly jobs: BlobJobQueue;
  readonly locations: LocationStore;
  readonly directory: PeerDirectory;
  readonly recordSync: RecordSync;
  readonly worker: BlobWorker;
  readonly disk: DiskSpace;
  readonly proofs: ProofRounds;
  /** This node's side of the exchanges a peer starts (lib/web/internal calls it). */
  readonly peerSide: PeerSide;
  readonly #inbound = new Set<string>();
  readonly #running = new Map<string, { promise: Promise<void>; again: boolean }>();
  readonly #lastInventory = new Map<string, number>();
  /** When the last inventory exchange that completed began, per peer. */
  readonly #inventoried = new Map<string, number>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #opt: Required<Omit<ReplicatorOptions, "maxBlobBytes">> & { maxBlobBytes?: number };
  readonly #now: () => number;
  #stopped = true;
  #storage = { blobs: 0, bytes: 0 };
  /** The count of the store started by start(); stop() waits for it as for the exchanges. */
  #counting: Promise<void> = Promise.resolve();
  /** This node's blob store backend, told to peers in hellos. */
  #backend?: string;
  /** Each peer's backend, from its last hello (not kept across restarts). */
  readonly #peerBackends = new Map<string, string>();
  #lastScrub?: number;
  #pushTimer?: ReturnType<typeof setTimeout>;
  #statusTimer?: ReturnType<typeof setTimeout>;

  constructor(private readonly deps: ReplicatorDeps, options: ReplicatorOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#opt = {
      syncIntervalMs: 30_000,
      inventoryIntervalMs: 300_000,
      maxConcurrentTransfers: 4,
      failedRetryAfterMs: 120_000,
      backoffBaseMs: 1_000,
      maxAttempts: 8,
      proofIntervalMs: 60_000,
      reverifyAfterMs: 24 * 3600_000,
      proofBytesPerMinute: 256 * 1024 ** 2,
      scrubIntervalMs: 24 * 3600_000,
      stallTimeoutMs: 60_000,
      freeBytes: () => Number.POSITIVE_INFINITY,
      now: this.#now,
      ...options,
    };
    this.peerStore = new PeerStore(deps.db);
    this.jobs = new BlobJobQueue(deps.db, {
      now: this.#now,
      failedRetryAfterMs: this.#opt.failedRetryAfterMs,
      backoffBaseMs: this.#opt.backoffBaseMs,
      maxAttempts: this.#opt.maxAttempts,
    });
    this.locations = new LocationStore(deps.db);
    this.disk = new DiskSpace({
      freeBytes: this.#opt.freeBytes,
      now: this.#now,
      onChange: () => this.#statusChanged(),
    });
    this.directory = new PeerDirectory(
      deps.records,
      deps.self.nodeId,
      deps.transports,
      () => pinnedPeer(deps.db, deps.records),
    );
    this.recordSync = new RecordSync({
      db: deps.db,
      records: deps.records,
      peers: this.peerStore,
      now: this.#now,
      onStored: (from, stored) => this.events.emit({ type: "records", from, stored }),
      isPeer: (nodeId) => this.directory.get(nodeId) !== undefined,
    });
    this.worker = new BlobWorker({
      jobs: this.jobs,
      blobs: deps.blobs,
      ingest: this.#ingestCounted,
      locations: this.locations,
      peers: this.directory,
      disk: this.disk,
      now: this.#now,
      inbound: this.#inbound,
      onLocation: (blobId, nodeId) => this.#location(blobId, nodeId, "stored"),
      onChange: () => this.#statusChanged(),
    }, {
      maxConcurrent: this.#opt.maxConcurrentTransfers,
      stallTimeoutMs: this.#opt.stallTimeoutMs,
      maxBlobBytes: this.#opt.maxBlobBytes,
    });
    this.proofs = new ProofRounds({
      locations: this.locations,
      blobs: deps.blobs,
      peers: this.directory,
      now: this.#now,
      onResult: (blobId, nodeId, state) => this.#location(blobId, nodeId, state),
      repair: (id) => this.#repair(id),
      stopped: () => this.#stopped,
    }, {
      intervalMs: this.#opt.proofIntervalMs,
      windowMs: this.#opt.reverifyAfterMs,
      bytesPerMinute: this.#opt.proofBytesPerMinute,
    });
    this.peerSide = new PeerSide({
      ...deps,
      peerStore: this.peerStore,
      recordSync: this.recordSync,
      directory: this.directory,
      jobs: this.jobs,
      locations: this.locations,
      worker: this.worker,
      inbound: this.#inbound,
      stallTimeoutMs: this.#opt.stallTimeoutMs,
      now: this.#now,
      storage: () => ({
        ...this.#storage,
        ...(this.#backend ? { backend: this.#backend } : {}),
        ...(this.disk.full ? { full: true } : {}),
      }),
      ingest: this.#ingestCounted,
      repair: (id) => this.#repair(id),
      stored: (blobId, nodeId) => this.#location(blobId, nodeId, "stored"),
      syncing: (nodeId) => this.#running.has(`sync:${nodeId}`),
      syncPeer: (peer, opts) => this.syncPeer(peer, opts),
      stopped: () => this.#stopped,
    });
    this.peerStore.indexId();
  }

  get selfId(): string {
    return this.deps.self.nodeId;
  }

  get maxBlobBytes(): number | undefined {
    return this.#opt.maxBlobBytes;
  }

  /** Starts syncing: recovers interrupted jobs, subscribes to changes, starts the timers. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const recovered = this.jobs.recoverInFlight();
    if (recovered) log.info("Resuming interrupted blob transfers", { jobs: recovered });
    this.#unsubscribe.push(this.deps.records.onChange((stored) => {
      if (stored.some((s) => s.record.kind === "node")) this.#nodesChanged();
      this.#schedulePush();
    }));
    const blobs = this.deps.blobs;
    if (blobs instanceof ObservedBlobStore) {
      this.#unsubscribe.push(blobs.onStored((id, size) => this.#uploaded(id, size)));
    }
    this.#counting = this.#countStorage();
    this.worker.start();
    this.#every(this.#opt.syncIntervalMs, () => this.#tick(), 0);
    this.#every(this.#opt.proofIntervalMs, () => this.proofRound());
    // The scrub schedule survives restarts: a node restarted more often than the
    // interval would otherwise never scrub.
    const last = Number(this.deps.db.getSetting(LAST_SCRUB));
    if (Number.isFinite(last) && last > 0) this.#lastScrub = last;
    let due = Number(this.deps.db.getSetting(NEXT_SCRUB));
    if (!Number.isFinite(due) || due <= 0) {
      due = this.#now() + this.#opt.scrubIntervalMs;
      this.deps.db.setSetting(NEXT_SCRUB, String(due));
    }
    const first = Math.min(Math.max(0, due - this.#now()), this.#opt.scrubIntervalMs);
    this.#every(this.#opt.scrubIntervalMs, () => this.scrub(), first);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    clearTimeout(this.#pushTimer);
    clearTimeout(this.#statusTimer);
    for (const u of this.#unsubscribe.splice(0)) u();
    await this.worker.stop();
    const running = [this.#counting, ...[...this.#running.values()].map((r) => r.promise)];
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled(running),
      new Promise((r) => (timer = setTimeout(r, 2_000))),
    ]);
    clearTimeout(timer);
  }

  /** Runs `fn` now (after `first` ms) and then every `ms`, never overlapping itself. */
  #every(ms: number, fn: () => Promise<unknown>, first = ms): void {
    const run = async () => {
      if (this.#stopped) return;
      try {
        await fn();
      } catch (err) {
        log.warn("Replication task failed", { error: (err as Error).message });
      }
      if (!this.#stopped) schedule(ms);
    };
    const schedule = (delay: number) => {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        run();
      }, delay);
      this.#timers.add(t);
    };
    schedule(first);
  }

  async #tick(): Promise<void> {
    this.jobs.requeueFailed();
    this.jobs.pruneDone(24 * 3600_000);
    const now = this.#now();
    await Promise.allSettled(
      this.directory.list().map((peer) => {
        const last = this.#lastInventory.get(peer.nodeId) ?? 0;
        return this.syncPeer(peer, { inventory: now - last >= this.#opt.inventoryIntervalMs });
      }),
    );
    this.worker.pump();
  }

  /**
   * Runs `key`'s task, or, when it is already running, once more right after it.
   * The task stops once `peerId` is no longer in the family: a run queued before the
   * node's removal must not talk to it afterwards.
   */
  #exclusive(task: string, peerId: string, fn: () => Promise<void>): Promise<void> {
    const key = `${task}:${peerId}`;
    const cur = this.#running.get(key);
    if (cur) {
      cur.again = true;
      return cur.promise;
    }
    const entry = { promise: Promise.resolve(), again: false };
    entry.promise = (async () => {
      try {
        do {
          entry.again = false;
          if (!this.directory.get(peerId)) break;
          await fn();
        } while (entry.again && !this.#stopped);
      } finally {
        this.#running.delete(key);
      }
    })();
    this.#running.set(key, entry);
    return entry.promise;
  }

  /**
   * Checks a peer, pulls its records, pushes ours, and exchanges inventories when due. The
   * inventory starts as soon as the peer answers, beside the record exchange: blobs are
   * addressed by hash and need no record to be fetched, and on a fresh pairing that puts
   * the first pulls ≈ 40 ms (three record round trips) earlier.
   */
  syncPeer(peer: Peer, opts: { inventory?: boolean } = {}): Promise<void> {
    return this.#exclusive("sync", peer.nodeId, async () => {
      let inventory: Promise<void> | undefined;
      await this.#syncRecords(peer, (connected) => {
        if (opts.inventory || connected) inventory = this.inventory(peer);
      });
      await inventory;
    });
  }

  /**
   * Returns true when the peer just became reachable; `onAnswered(connected)` is called
   * once the peer has answered, before the records move.
   */
  async #syncRecords(
    peer: Peer,
    onAnswered: (connected: boolean) => void = () => {},
  ): Promise<boolean> {
    const t = this.directory.transportFor(peer);
    if (!t) {
      this.directory.markDown(peer.nodeId, "No URL to reach it; waiting for it to connect");
      return false;
    }
    const indexId = this.peerStore.indexId();
    let hello: PeerHello;
    try {
      hello = await t.hello(peer, indexId);
    } catch (err) {
      this.#down(peer, err);
      return false;
    }
    const now = this.#now();
    const connected = this.directory.markUp(peer.nodeId, now, t.describe?.(peer).path ?? t.path);
    if (this.directory.setDiskFull(peer.nodeId, hello.storage?.full === true)) {
      this.#statusChanged();
    }
    // A peer that has read this node's feed further than it reaches: the database went back
    // in time (restored from a backup). Its sequence numbers will be handed out again, and
    // peers would skip the new records behind their cursors: a new feed id makes every peer
    // read the feed again from 0 (records are idempotent).
    let theirCursor = hello.cursor;
    const lastSeq = this.deps.records.lastSeq();
    if (theirCursor > lastSeq && this.peerStore.indexId() === indexId) {
      log.warn(FEED_WENT_BACK, { peer: peer.nodeId, theirCursor, lastSeq });
      this.peerStore.rotateIndexId();
      theirCursor = 0;
    } else if (theirCursor > lastSeq) {
      theirCursor = 0; // they answered for the feed id that was just replaced
    }
    this.peerStore.update(peer.nodeId, {
      lastSeen: now,
      pushedSeq: theirCursor,
      lastError: undefined,
      blobCount: hello.storage?.blobs,
      blobBytes: hello.storage?.bytes,
    });
    const backend = hello.storage?.backend;
    if (backend === "fs" || backend === "s3") this.#peerBackends.set(peer.nodeId, backend);
    if (connected) {
      log.info("Peer connected", { peer: peer.nodeId, name: peer.name, path: t.path });
      this.jobs.kickPeer(peer.nodeId);
      this.worker.pump();
      this.#statusChanged();
    }
    onAnswered(connected);
    try {
      await this.recordSync.pull(peer, t, hello.indexId);
      await this.recordSync.push(peer, t, theirCursor);
      this.peerStore.update(peer.nodeId, { lastSync: this.#now() });
      this.#statusChanged();
    } catch (err) {
      this.#down(peer, err);
    }
    return connected;
  }

  /**
   * An exchange with `peer` failed: it is marked unreachable, unless the failure was a full
   * disk, here or there, which pauses the exchange without saying the peer is gone.
   */
  #down(peer: Peer, err: unknown): void {
    if (this.disk.refused(err)) return;
    if (err instanceof TransportError && err.code === "insufficient_storage") {
      if (this.directory.setDiskFull(peer.nodeId, true)) this.#statusChanged();
      return;
    }
    const message = (err as Error).message ?? String(err);
    if (err instanceof StoreUnavailableError) {
      // This node's own blob store failed, not the peer: it stays reachable, and the
      // exchange is tried again at its next interval.
      log.warn("Blob store unavailable; exchange with a peer put off", {
        peer: peer.nodeId,
        error: message,
      });
      return;
    }
    if (this.directory.markDown(peer.nodeId, message)) {
      log.info("Peer unreachable", { peer: peer.nodeId, name: peer.name, error: message });
    }
    try {
      this.peerStore.update(peer.nodeId, { lastError: message.slice(0, 300) });
    } catch (writeErr) {
      if (!this.disk.refused(writeErr)) throw writeErr;
    }
    this.#statusChanged();
  }

  /** Exchanges inventories with `peer` now. */
  inventory(peer: Peer): Promise<void> {
    return this.#exclusive("inventory", peer.nodeId, async () => {
      const t = this.directory.transportFor(peer);
      if (!t) return;
      const began = this.#now();
      this.#lastInventory.set(peer.nodeId, began);
      try {
        const r = await reconcileInventory(
          {
            blobs: this.deps.blobs,
            jobs: this.jobs,
            locations: this.locations,
            now: this.#now,
            inbound: this.#inbound,
            onLocations: (ids) => ids.forEach((id) => this.#location(id, peer.nodeId, "stored")),
          },
          peer,
          t,
        );
        this.#inventoried.set(peer.nodeId, began);
        if (r.queued || r.gone) log.info("Inventory exchanged", { peer: peer.nodeId, ...r });
        this.worker.pump();
        this.#statusChanged();
      } catch (err) {
        this.#down(peer, err);
      }
    });
  }

  /** Record changes are pushed to reachable peers at most every 50 ms. */
  #schedulePush(): void {
    if (this.#stopped || this.#pushTimer !== undefined) return;
    this.#pushTimer = setTimeout(() => {
      this.#pushTimer = undefined;
      for (const peer of this.directory.list()) {
        if (!this.directory.reachability(peer.nodeId).reachable) continue;
        this.#exclusive("push", peer.nodeId, async () => {
          const t = this.directory.transportFor(peer);
          if (!t) return;
          try {
            await this.recordSync.push(peer, t, this.peerStore.get(peer.nodeId).pushedSeq);
          } catch (err) {
            this.#down(peer, err);
          }
        });
      }
    }, 50);
  }

  #nodesChanged(): void {
    const active = new Set(this.directory.list().map((p) => p.nodeId));
    for (const state of this.peerStore.all()) {
      if (!active.has(state.nodeId)) this.#dropPeer(state.nodeId);
    }
    for (const row of this.locations.perNode()) {
      if (!active.has(row.nodeId)) this.#dropPeer(row.nodeId);
    }
    // A new or moved node: talk to it now rather than at the next tick.
    for (const peer of this.directory.list()) {
      if (!this.directory.reachability(peer.nodeId).reachable && !this.#stopped) {
        this.syncPeer(peer, { inventory: true });
      }
    }
    this.#statusChanged();
  }

  #dropPeer(nodeId: string): void {
    log.info("Node is no longer in the family; forgetting it", { peer: nodeId });
    this.jobs.dropPeer(nodeId);
    this.locations.dropNode(nodeId);
    this.peerStore.forget(nodeId);
    this.directory.forget(nodeId);
  }

  /** A browser stored a blob here: push it to every peer this node can reach. */
  #uploaded(id: string, size: number): void {
    this.disk.wrote();
    this.#storage.blobs++;
    this.#storage.bytes += size;
    const jobs = this.directory.list().filter((p) => this.directory.transportFor(p))
      .map((p) => ({ blobId: id, peerId: p.nodeId, dir: "push" as const, size }));
    this.jobs.enqueueMany(jobs);
    this.#location(id, this.selfId, "stored");
    this.worker.pump();
  }

  #ingestCounted = async (id: string, stream: ReadableStream<Uint8Array>, options: PutOptions) => {
    let r;
    try {
      r = await ingestInto(this.deps.blobs)(id, stream, options);
    } catch (err) {
      this.disk.refused(err);
      throw err;
    }
    if (r.created) {
      this.disk.wrote();
      this.#storage.blobs++;
      this.#storage.bytes += r.size;
      this.#location(id, this.selfId, "stored");
    }
    return r;
  };

  /** Counts what the store holds (an object store lists sizes with its keys: no request per blob). */
  async #countStorage(): Promise<void> {
    // Never rejects: what fails is logged, and the counts follow later changes.
    try {
      this.#backend = (await this.deps.blobs.describe()).backend;
      const [blobs, bytes] = [await this.deps.blobs.count(), await this.deps.blobs.totalBytes()];
      this.#storage = { blobs, bytes };
    } catch (err) {
      // An object store that is down now: the counts come with the next start or changes.
      log.warn("Cannot count the stored blobs", { error: (err as Error).message });
    }
  }

  #location(blobId: string, nodeId: string, state: "stored" | "verified" | "lost"): void {
    this.events.emit({ type: "location", blobId, nodeId, state });
    this.#statusChanged();
  }

  /** Coalesces status events: at most one every 250 ms. */
  #statusChanged(): void {
    if (this.#statusTimer !== undefined) return;
    this.#statusTimer = setTimeout(() => {
      this.#statusTimer = undefined;
      this.events.emit({ type: "status" });
    }, 250);
  }

  // --- this node's side of an exchange a peer starts: lib/replication/peer_side.ts ------

  /** Whether this node was handed a family and is still reading its records. */
  joining(): boolean {
    return pinnedPeer(this.deps.db, this.deps.records) !== undefined;
  }

  /** Hands a newly approved node the family's trust records (pairing, PROTOCOL §4). */
  async bootstrapPeer(peer: Peer, code: string): Promise<void> {
    const t = this.directory.transportFor(peer);
    if (!t) throw new ConflictError("The new node has no URL this node can reach");
    const records = TRUST_KINDS.flatMap((k) => this.deps.records.list(k));
    await t.bootstrap(peer, { code, records });
    this.syncPeer(peer, { inventory: true });
  }

  // --- integrity -----------------------------------------------------------------------

  /** Proves the copies most overdue on reachable peers (see {@link ProofRounds}). */
  async proofRound(): Promise<{ verified: number; lost: number; bytes: number }> {
    return await this.proofs.round();
  }

  /**
   * Re-hashes every local blob; a corrupt one is deleted and fetched again from
   * the peers that hold it (or, when none is known, from every peer).
   */
  async scrub(): Promise<{ checked: number; corrupt: string[] }> {
    const report = await this.deps.blobs.scrub();
    this.#lastScrub = this.#now();
    this.deps.db.setSetting(LAST_SCRUB, String(this.#lastScrub));
    this.deps.db.setSetting(NEXT_SCRUB, String(this.#lastScrub + this.#opt.scrubIntervalMs));
    for (const id of report.corrupt) await this.#repair(id);
    return { checked: report.checked, corrupt: report.corrupt };
  }

  /** Drops a local copy whose bytes no longer hash to its id and pulls a good one. */
  async #repair(id: string): Promise<void> {
    log.error("Blob corrupt on disk; fetching it again from a peer", { blob: id });
    const stat = await this.deps.blobs.stat(id);
    if (!(await this.deps.blobs.delete(id))) return;
    faultPoint("scrub.repair.deleted");
    this.#storage.blobs--;
    this.#storage.bytes -= stat?.size ?? 0;
    const holders = this.locations.holders(id).map((l) => l.nodeId);
    const sources = holders.length ? holders : this.directory.list().map((p) => p.nodeId);
    this.jobs.enqueueMany(sources.map((peerId) => ({ blobId: id, peerId, dir: "pull" as const })));
    this.#location(id, this.selfId, "lost");
    this.worker.pump();
  }

  // --- views ---------------------------------------------------------------------------

  status(): ReplicationStatus {
    return buildStatus({
      self: this.selfId,
      peers: this.directory.list(),
      reach: (id) => this.directory.reachability(id),
      transportPath: (p) => this.directory.transportFor(p)?.path,
      pathInfo: (p) => this.directory.transportFor(p)?.describe?.(p),
      peerState: (id) => this.peerStore.get(id),
      peerBackend: (id) => this.#peerBackends.get(id),
      lastInventory: (id) => this.#inventoried.get(id),
      jobCounts: this.jobs.counts(),
      held: this.locations.perNode(this.#now() - this.#opt.reverifyAfterMs),
      proofPlan: (copies) => this.proofs.plan(copies, this.#storage.bytes),
      lastProofRoundAt: this.proofs.lastRound?.at,
      storage: this.#storage,
      lastScrub: this.#lastScrub,
      diskFull: this.disk.full,
      lastSeq: this.deps.records.lastSeq(),
      active: this.worker.active,
    });
  }

  /** A request failed on this node: a full disk pauses replication until there is room. */
  requestFailed(err: unknown): void {
    if (isDiskFull(err)) this.disk.refused(err);
  }

  async whereStored(blobIds: string[]): Promise<WhereStored[]> {
    return await buildWhereStored({
      blobs: this.deps.blobs,
      self: this.selfId,
      peers: this.directory.list(),
      locations: this.locations.forBlobs(blobIds),
      jobs: this.jobs.forBlobs(blobIds),
      lastScrub: this.#lastScrub,
    }, blobIds);
  }
}
