/**
 * The replication engine (DESIGN §7): keeps this node's records and blobs in
 * step with every other family node through the {@link Transport}s it is
 * given, and knows where every blob is stored. This file builds the parts and
 * decides when they run:
 *
 * - records: pull on connect and every `syncIntervalMs`, push on change;
 * - blobs: push jobs for what browsers upload here, pull jobs for what the
 *   periodic inventory exchange finds missing, run by the {@link BlobWorker};
 * - proofs of possession and the scrubber keep "where is it stored" honest.
 *
 * The parts: one peer's exchanges (peer_sync.ts), the scrubber and repair
 * (scrub_repair.ts), proof rounds (proof_rounds.ts), the local counts
 * (local_counts.ts). The web layer calls {@link Replicator.peerSide} for this
 * node's side of the exchanges a peer starts (peer_side.ts).
 */

import { ConflictError, isDiskFull } from "../core/errors.ts";
import { getLogger } from "../core/log.ts";
import type { KindRegistry } from "../core/record_kinds.ts";
import type { ReplicationStatus, WhereStored } from "../core/replication_view.ts";
import type { Transport } from "../core/transport.ts";
import type { BlobStore, IndexDb, RecordLog } from "../store/mod.ts";
import { BlobJobQueue } from "./blob_jobs.ts";
import { BlobWorker } from "./blob_worker.ts";
import { DiskSpace } from "./disk_space.ts";
import { pinnedPeer, TRUST_KINDS } from "./bootstrap.ts";
import { ReplicationEvents } from "./events.ts";
import { LocalCounts } from "./local_counts.ts";
import { LocationStore } from "./locations.ts";
import { ObservedBlobStore } from "./observed_blob_store.ts";
import { PeerStore } from "./peer_store.ts";
import { type Peer, PeerDirectory } from "./peers.ts";
import { PeriodicTasks } from "./periodic_tasks.ts";
import { ProofRounds } from "./proof_rounds.ts";
import { PeerSide } from "./peer_side.ts";
import { PeerSync } from "./peer_sync.ts";
import { RecordSync } from "./record_sync.ts";
import { ScrubRepair } from "./scrub_repair.ts";
import { buildStatus } from "./status.ts";
import { buildWhereStored } from "./where_stored.ts";

const log = getLogger("replication");

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
  readonly #sync: PeerSync;
  readonly #scrubber: ScrubRepair;
  readonly #counts: LocalCounts;
  readonly #tasks = new PeriodicTasks(() => this.#stopped);
  readonly #unsubscribe: (() => void)[] = [];
  readonly #opt: Required<Omit<ReplicatorOptions, "maxBlobBytes">> & { maxBlobBytes?: number };
  readonly #now: () => number;
  #stopped = true;
  /** The count of the store started by start(); stop() waits for it as for the exchanges. */
  #counting: Promise<void> = Promise.resolve();
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
    this.#counts = new LocalCounts({
      blobs: deps.blobs,
      disk: this.disk,
      stored: (blobId) => this.#location(blobId, this.selfId, "stored"),
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
      ingest: this.#counts.ingest,
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
    this.#scrubber = new ScrubRepair({
      db: deps.db,
      blobs: deps.blobs,
      locations: this.locations,
      directory: this.directory,
      jobs: this.jobs,
      worker: this.worker,
      now: this.#now,
      intervalMs: this.#opt.scrubIntervalMs,
      deleted: (size) => this.#counts.removed(size),
      lost: (blobId) => this.#location(blobId, this.selfId, "lost"),
    });
    this.proofs = new ProofRounds({
      locations: this.locations,
      blobs: deps.blobs,
      peers: this.directory,
      now: this.#now,
      onResult: (blobId, nodeId, state) => this.#location(blobId, nodeId, state),
      repair: (id) => this.#scrubber.repair(id),
      stopped: () => this.#stopped,
    }, {
      intervalMs: this.#opt.proofIntervalMs,
      windowMs: this.#opt.reverifyAfterMs,
      bytesPerMinute: this.#opt.proofBytesPerMinute,
    });
    const shared = {
      peerStore: this.peerStore,
      recordSync: this.recordSync,
      directory: this.directory,
      jobs: this.jobs,
      locations: this.locations,
      worker: this.worker,
      inbound: this.#inbound,
      now: this.#now,
      stored: (blobId: string, nodeId: string) => this.#location(blobId, nodeId, "stored"),
      stopped: () => this.#stopped,
    };
    this.#sync = new PeerSync({
      ...shared,
      blobs: deps.blobs,
      records: deps.records,
      disk: this.disk,
      statusChanged: () => this.#statusChanged(),
    });
    this.peerSide = new PeerSide({
      ...deps,
      ...shared,
      stallTimeoutMs: this.#opt.stallTimeoutMs,
      storage: () => this.#counts.hello(),
      ingest: this.#counts.ingest,
      repair: (id) => this.#scrubber.repair(id),
      syncing: (nodeId) => this.#sync.running("sync", nodeId),
      syncPeer: (peer, opts) => this.syncPeer(peer, opts),
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
      if (stored.some((s) => s.record.kind === "node")) this.#sync.nodesChanged();
      this.#schedulePush();
    }));
    const blobs = this.deps.blobs;
    if (blobs instanceof ObservedBlobStore) {
      this.#unsubscribe.push(blobs.onStored((id, size) => this.#uploaded(id, size)));
    }
    this.#counting = this.#counts.count();
    this.worker.start();
    this.#tasks.every(this.#opt.syncIntervalMs, () => this.#tick(), 0);
    this.#tasks.every(this.#opt.proofIntervalMs, () => this.proofRound());
    const first = this.#scrubber.firstDelay();
    this.#tasks.every(this.#opt.scrubIntervalMs, () => this.scrub(), first);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#tasks.clear();
    clearTimeout(this.#pushTimer);
    clearTimeout(this.#statusTimer);
    // Cancelled, so not pending: a later start() schedules them again.
    this.#pushTimer = this.#statusTimer = undefined;
    for (const u of this.#unsubscribe.splice(0)) u();
    await this.worker.stop();
    const running = [this.#counting, ...this.#sync.inFlight()];
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled(running),
      new Promise((r) => (timer = setTimeout(r, 2_000))),
    ]);
    clearTimeout(timer);
  }

  async #tick(): Promise<void> {
    this.jobs.requeueFailed();
    this.jobs.pruneDone(24 * 3600_000);
    const now = this.#now();
    await Promise.allSettled(
      this.directory.list().map((peer) => {
        const last = this.#sync.lastInventoryAt(peer.nodeId);
        return this.syncPeer(peer, { inventory: now - last >= this.#opt.inventoryIntervalMs });
      }),
    );
    this.worker.pump();
  }

  /**
   * Checks a peer, pulls its records, pushes ours, and exchanges inventories when due
   * (see {@link PeerSync.syncPeer}).
   */
  syncPeer(peer: Peer, opts: { inventory?: boolean } = {}): Promise<void> {
    return this.#sync.syncPeer(peer, opts);
  }

  /** Exchanges inventories with `peer` now. */
  inventory(peer: Peer): Promise<void> {
    return this.#sync.inventory(peer);
  }

  /** Record changes are pushed to reachable peers at most every 50 ms. */
  #schedulePush(): void {
    if (this.#stopped || this.#pushTimer !== undefined) return;
    this.#pushTimer = setTimeout(() => {
      this.#pushTimer = undefined;
      for (const peer of this.directory.list()) {
        if (!this.directory.reachability(peer.nodeId).reachable) continue;
        this.#sync.push(peer);
      }
    }, 50);
  }

  /** A browser stored a blob here: push it to every peer this node can reach. */
  #uploaded(id: string, size: number): void {
    this.#counts.added(size);
    const jobs = this.directory.list().filter((p) => this.directory.transportFor(p))
      .map((p) => ({ blobId: id, peerId: p.nodeId, dir: "push" as const, size }));
    this.jobs.enqueueMany(jobs);
    this.#location(id, this.selfId, "stored");
    this.worker.pump();
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

  // --- pairing ---------------------------------------------------------------------------

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
   * the peers that hold it (see {@link ScrubRepair}).
   */
  async scrub(): Promise<{ checked: number; corrupt: string[] }> {
    return await this.#scrubber.scrub();
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
      peerBackend: (id) => this.#sync.backendOf(id),
      lastInventory: (id) => this.#sync.inventoriedAt(id),
      jobCounts: this.jobs.counts(),
      held: this.locations.perNode(this.#now() - this.#opt.reverifyAfterMs),
      proofPlan: (copies) => this.proofs.plan(copies, this.#counts.storage.bytes),
      lastProofRoundAt: this.proofs.lastRound?.at,
      storage: this.#counts.storage,
      lastScrub: this.#scrubber.lastScrub,
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
      lastScrub: this.#scrubber.lastScrub,
    }, blobIds);
  }
}
