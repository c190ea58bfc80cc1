/**
 * This node's side of the exchanges a peer starts (PROTOCOL §3, called by lib/web/internal):
 * hello, the record feed and pushed records, the blob inventory, pushed and offered blobs,
 * blob reads, proofs of possession, and the family handed over at pairing. The exchanges this
 * node starts itself are lib/replication/peer_sync.ts; lib/replication/replicator.ts builds
 * both, and they share its stores and queues.
 */

import { ConflictError, IntegrityError } from "../core/errors.ts";
import { getLogger } from "../core/log.ts";
import type { KindRegistry } from "../core/record_kinds.ts";
import type { FeedPage, PeerHello } from "../core/transport.ts";
import { toBase64Url } from "../crypto/mod.ts";
import type { BlobStore, IndexDb, PutOptions, RecordLog } from "../store/mod.ts";
import type { BlobJobQueue } from "./blob_jobs.ts";
import type { BlobWorker } from "./blob_worker.ts";
import { acceptBootstrap, pinnedPeer } from "./bootstrap.ts";
import type { LocationStore } from "./locations.ts";
import type { PeerStore } from "./peer_store.ts";
import type { Peer, PeerDirectory } from "./peers.ts";
import { proofOf } from "./proof.ts";
import type { RecordSync } from "./record_sync.ts";

const log = getLogger("replication");

/** The replication protocol version hellos carry. */
export const VERSION = "1";

/** What the peer side uses of the engine (lib/replication/replicator.ts builds it). */
export interface PeerSideHost {
  db: IndexDb;
  blobs: BlobStore;
  records: RecordLog;
  kinds: KindRegistry;
  self: { nodeId: string; publicKey: Uint8Array };
  peerStore: PeerStore;
  recordSync: RecordSync;
  directory: PeerDirectory;
  jobs: BlobJobQueue;
  locations: LocationStore;
  worker: BlobWorker;
  /** Blob ids being received from a peer now (shared with the worker's pulls). */
  inbound: Set<string>;
  stallTimeoutMs: number;
  now: () => number;
  /** What this node stores, as hellos tell it. */
  storage(): PeerHello["storage"];
  /** Stores a blob, counted in {@link storage}. */
  ingest(
    id: string,
    stream: ReadableStream<Uint8Array>,
    options: PutOptions,
  ): Promise<{ created: boolean; size: number }>;
  /** Drops a local copy found corrupt and fetches it again. */
  repair(id: string): Promise<void>;
  /** `nodeId` now holds `blobId` (a location event). */
  stored(blobId: string, nodeId: string): void;
  /** Whether an exchange with `nodeId` is running. */
  syncing(nodeId: string): boolean;
  syncPeer(peer: Peer, opts?: { inventory?: boolean }): Promise<void>;
  stopped(): boolean;
}

export class PeerSide {
  constructor(private readonly h: PeerSideHost) {}

  /** A signed request from family node `nodeId` arrived: if it was unreachable, try it now. */
  peerSeen(nodeId: string): void {
    if (this.h.stopped() || this.h.directory.reachability(nodeId).reachable) return;
    const peer = this.h.directory.get(nodeId);
    if (peer && !this.h.syncing(nodeId)) this.h.syncPeer(peer, { inventory: true });
  }

  serveHello(from: string, theirIndexId: string | undefined): PeerHello {
    return {
      nodeId: this.h.self.nodeId,
      version: VERSION,
      indexId: this.h.peerStore.indexId(),
      lastSeq: this.h.records.lastSeq(),
      cursor: theirIndexId ? this.h.recordSync.cursorOf(from, theirIndexId) : 0,
      storage: this.h.storage(),
    };
  }

  serveFeed(after: number, limit: number): FeedPage {
    return this.h.recordSync.page(after, limit);
  }

  acceptRecords(from: string, page: FeedPage): { cursor: number } {
    return { cursor: this.h.recordSync.acceptPush(from, page) };
  }

  async serveInventory(after: string | undefined, limit: number) {
    return await this.h.blobs.list({ after, limit });
  }

  async haveBlobs(ids: string[]): Promise<string[]> {
    const held = await this.h.blobs.hasMany(ids);
    return ids.filter((_, i) => held[i]);
  }

  /** Stores a blob a peer pushes; the sender holds it too. */
  async acceptBlob(
    from: string,
    id: string,
    stream: ReadableStream<Uint8Array>,
    options: { maxBytes?: number; signal?: AbortSignal },
  ): Promise<{ created: boolean; size: number }> {
    if (this.h.inbound.has(id) || this.h.worker.inFlightIds().includes(id)) {
      await stream.cancel().catch(() => {});
      throw new ConflictError(`Blob ${id} is already being received; try again later`);
    }
    this.h.inbound.add(id);
    let r;
    try {
      // Bounded like a pull: a sender that stops sending cannot hold the id here forever
      // (a pull of it is refused meanwhile).
      r = await this.h.ingest(id, stream, { ...options, stallMs: this.h.stallTimeoutMs });
    } finally {
      this.h.inbound.delete(id);
    }
    this.h.locations.ack(id, from, this.h.now());
    this.h.jobs.completePulls(id);
    this.h.stored(id, from);
    return { created: r.created, size: r.size };
  }

  /** A peer offers blobs it holds: queue pulls for those this node lacks. */
  async acceptOffer(
    from: string,
    blobs: { id: string; size: number }[],
  ): Promise<{ have: string[]; queued: string[] }> {
    const held = await this.h.blobs.hasMany(blobs.map((b) => b.id));
    const have = blobs.filter((_, i) => held[i]).map((b) => b.id);
    const missing = blobs.filter((_, i) => !held[i]);
    this.h.jobs.enqueueMany(missing.map((b) => ({
      blobId: b.id,
      peerId: from,
      dir: "pull" as const,
      size: b.size,
    })));
    const now = this.h.now();
    for (const b of missing) this.h.locations.ack(b.id, from, now);
    this.h.worker.pump();
    return { have, queued: missing.map((b) => b.id) };
  }

  /** Streams a local blob to a peer that pulls it, from `offset` when it resumes a pull. */
  async readBlob(
    id: string,
    offset = 0,
  ): Promise<{ stream: ReadableStream<Uint8Array>; size: number }> {
    // The file's own stream when whole: Deno sends it to a socket natively (BlobStore.readable).
    if (offset === 0) return await this.h.blobs.readable(id);
    const got = await this.h.blobs.get(id, { start: offset });
    return { stream: got.stream, size: got.size };
  }

  /** Answers a peer's proof of possession; a copy found rotten here is repaired, not proven. */
  async proveLocal(id: string, nonce: Uint8Array): Promise<string> {
    const { proof, hex } = await proofOf(this.h.blobs, id, nonce);
    if (hex !== id) {
      await this.h.repair(id);
      throw new IntegrityError(`Blob ${id} is corrupt on this node; fetching it again`);
    }
    return proof;
  }

  /** A fresh node accepts the family from `from` (pairing), then reads its log. */
  async acceptBootstrap(from: { nodeId: string; publicKey: string }, records: unknown[]) {
    const self = { nodeId: this.h.self.nodeId, publicKey: toBase64Url(this.h.self.publicKey) };
    const r = await acceptBootstrap(
      { db: this.h.db, records: this.h.records, kinds: this.h.kinds, now: this.h.now },
      self,
      from,
      records,
    );
    log.info("Joined the family as a node; reading its records", { from: from.nodeId });
    if (!this.h.stopped()) setTimeout(() => this.h.syncPeer(r.peer, { inventory: true }), 0);
    return r;
  }

  /** The key of `nodeId` when it is the peer this node joined through and its log does not name it yet. */
  pinnedKey(nodeId: string): string | undefined {
    const pin = pinnedPeer(this.h.db, this.h.records);
    return pin?.nodeId === nodeId ? pin.publicKey : undefined;
  }
}
