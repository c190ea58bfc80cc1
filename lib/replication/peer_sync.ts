/**
 * This node's own exchanges with one peer (DESIGN §7, PROTOCOL §3): the hello, the record
 * pull and push, the inventory exchange, and what a change in the family's nodes means for
 * them. Runs of the same exchange with the same peer never overlap. When they run is
 * lib/replication/replicator.ts's job; the side a peer starts is lib/replication/peer_side.ts.
 */

import { StoreUnavailableError } from "../core/errors.ts";
import { getLogger } from "../core/log.ts";
import { type PeerHello, TransportError } from "../core/transport.ts";
import type { DiskSpace } from "./disk_space.ts";
import { FEED_WENT_BACK } from "./feed_head.ts";
import { reconcileInventory } from "./inventory.ts";
import type { PeerSideHost } from "./peer_side.ts";
import type { Peer } from "./peers.ts";

const log = getLogger("replication");

/** What the exchanges use of the engine (lib/replication/replicator.ts builds it). */
export interface PeerSyncHost extends
  Pick<
    PeerSideHost,
    | "blobs"
    | "records"
    | "peerStore"
    | "recordSync"
    | "directory"
    | "jobs"
    | "locations"
    | "worker"
    | "inbound"
    | "now"
    | "stopped"
    | "stored"
  > {
  disk: DiskSpace;
  /** Something the status shows changed. */
  statusChanged(): void;
}

export class PeerSync {
  readonly #running = new Map<string, { promise: Promise<void>; again: boolean }>();
  readonly #lastInventory = new Map<string, number>();
  /** When the last inventory exchange that completed began, per peer. */
  readonly #inventoried = new Map<string, number>();
  /** Each peer's backend, from its last hello (not kept across restarts). */
  readonly #peerBackends = new Map<string, string>();

  constructor(private readonly host: PeerSyncHost) {}

  /** Whether an exchange of `task` with `nodeId` is running. */
  running(task: string, nodeId: string): boolean {
    return this.#running.has(`${task}:${nodeId}`);
  }

  /** The exchanges running now (stop() waits for them). */
  inFlight(): Promise<void>[] {
    return [...this.#running.values()].map((r) => r.promise);
  }

  /** When the last inventory exchange with `nodeId` began (0: never). */
  lastInventoryAt(nodeId: string): number {
    return this.#lastInventory.get(nodeId) ?? 0;
  }

  /** When the last inventory exchange with `nodeId` that completed began. */
  inventoriedAt(nodeId: string): number | undefined {
    return this.#inventoried.get(nodeId);
  }

  /** `nodeId`'s blob store backend, from its last hello. */
  backendOf(nodeId: string): string | undefined {
    return this.#peerBackends.get(nodeId);
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
          if (!this.host.directory.get(peerId)) break;
          await fn();
        } while (entry.again && !this.host.stopped());
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
    const { directory, peerStore } = this.host;
    const t = directory.transportFor(peer);
    if (!t) {
      directory.markDown(peer.nodeId, "No URL to reach it; waiting for it to connect");
      return false;
    }
    const indexId = peerStore.indexId();
    let hello: PeerHello;
    try {
      hello = await t.hello(peer, indexId);
    } catch (err) {
      this.#down(peer, err);
      return false;
    }
    const now = this.host.now();
    const connected = directory.markUp(peer.nodeId, now, t.describe?.(peer).path ?? t.path);
    if (directory.setDiskFull(peer.nodeId, hello.storage?.full === true)) {
      this.host.statusChanged();
    }
    // A peer that has read this node's feed further than it reaches: the database went back
    // in time (restored from a backup). Its sequence numbers will be handed out again, and
    // peers would skip the new records behind their cursors: a new feed id makes every peer
    // read the feed again from 0 (records are idempotent).
    let theirCursor = hello.cursor;
    const lastSeq = this.host.records.lastSeq();
    if (theirCursor > lastSeq && peerStore.indexId() === indexId) {
      log.warn(FEED_WENT_BACK, { peer: peer.nodeId, theirCursor, lastSeq });
      peerStore.rotateIndexId();
      theirCursor = 0;
    } else if (theirCursor > lastSeq) {
      theirCursor = 0; // they answered for the feed id that was just replaced
    }
    peerStore.update(peer.nodeId, {
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
      this.host.jobs.kickPeer(peer.nodeId);
      this.host.worker.pump();
      this.host.statusChanged();
    }
    onAnswered(connected);
    try {
      await this.host.recordSync.pull(peer, t, hello.indexId);
      await this.host.recordSync.push(peer, t, theirCursor);
      peerStore.update(peer.nodeId, { lastSync: this.host.now() });
      this.host.statusChanged();
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
    const { directory, disk } = this.host;
    if (disk.refused(err)) return;
    if (err instanceof TransportError && err.code === "insufficient_storage") {
      if (directory.setDiskFull(peer.nodeId, true)) this.host.statusChanged();
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
    if (directory.markDown(peer.nodeId, message)) {
      log.info("Peer unreachable", { peer: peer.nodeId, name: peer.name, error: message });
    }
    try {
      this.host.peerStore.update(peer.nodeId, { lastError: message.slice(0, 300) });
    } catch (writeErr) {
      if (!disk.refused(writeErr)) throw writeErr;
    }
    this.host.statusChanged();
  }

  /** Exchanges inventories with `peer` now. */
  inventory(peer: Peer): Promise<void> {
    return this.#exclusive("inventory", peer.nodeId, async () => {
      const t = this.host.directory.transportFor(peer);
      if (!t) return;
      const began = this.host.now();
      this.#lastInventory.set(peer.nodeId, began);
      try {
        const r = await reconcileInventory(
          {
            blobs: this.host.blobs,
            jobs: this.host.jobs,
            locations: this.host.locations,
            now: this.host.now,
            inbound: this.host.inbound,
            onLocations: (ids) => ids.forEach((id) => this.host.stored(id, peer.nodeId)),
          },
          peer,
          t,
        );
        this.#inventoried.set(peer.nodeId, began);
        if (r.queued || r.gone) log.info("Inventory exchanged", { peer: peer.nodeId, ...r });
        this.host.worker.pump();
        this.host.statusChanged();
      } catch (err) {
        this.#down(peer, err);
      }
    });
  }

  /** Pushes this node's new records to `peer`. */
  push(peer: Peer): Promise<void> {
    return this.#exclusive("push", peer.nodeId, async () => {
      const t = this.host.directory.transportFor(peer);
      if (!t) return;
      try {
        await this.host.recordSync.push(peer, t, this.host.peerStore.get(peer.nodeId).pushedSeq);
      } catch (err) {
        this.#down(peer, err);
      }
    });
  }

  /** The family's nodes changed: forget the nodes removed, talk to the new or moved ones. */
  nodesChanged(): void {
    const { directory } = this.host;
    const active = new Set(directory.list().map((p) => p.nodeId));
    for (const state of this.host.peerStore.all()) {
      if (!active.has(state.nodeId)) this.#dropPeer(state.nodeId);
    }
    for (const row of this.host.locations.perNode()) {
      if (!active.has(row.nodeId)) this.#dropPeer(row.nodeId);
    }
    // A new or moved node: talk to it now rather than at the next tick.
    for (const peer of directory.list()) {
      if (!directory.reachability(peer.nodeId).reachable && !this.host.stopped()) {
        this.syncPeer(peer, { inventory: true });
      }
    }
    this.host.statusChanged();
  }

  #dropPeer(nodeId: string): void {
    log.info("Node is no longer in the family; forgetting it", { peer: nodeId });
    this.host.jobs.dropPeer(nodeId);
    this.host.locations.dropNode(nodeId);
    this.host.peerStore.forget(nodeId);
    this.host.directory.forget(nodeId);
  }
}
