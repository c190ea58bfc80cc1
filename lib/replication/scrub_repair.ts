/**
 * The scrubber and the repair of a corrupt local copy (DESIGN §7): every `intervalMs` each
 * local blob is hashed again; a copy whose bytes no longer hash to its id is deleted and
 * pulled again from the peers that hold it. The schedule is kept in the index db so that it
 * survives restarts. Proof rounds (lib/replication/proof_rounds.ts) and peers asking for a
 * corrupt blob (lib/replication/peer_side.ts) call {@link ScrubRepair.repair} too.
 */

import { faultPoint } from "../core/faults.ts";
import { getLogger } from "../core/log.ts";
import type { BlobStore, IndexDb } from "../store/mod.ts";
import type { BlobJobQueue } from "./blob_jobs.ts";
import type { BlobWorker } from "./blob_worker.ts";
import type { LocationStore } from "./locations.ts";
import type { PeerDirectory } from "./peers.ts";

const log = getLogger("replication");

/** Settings keys (index db) of the scrub schedule. */
const LAST_SCRUB = "replication.last_scrub";
const NEXT_SCRUB = "replication.next_scrub";

export interface ScrubRepairDeps {
  db: IndexDb;
  blobs: BlobStore;
  locations: LocationStore;
  directory: PeerDirectory;
  jobs: BlobJobQueue;
  worker: BlobWorker;
  now: () => number;
  /** Scrub period. */
  intervalMs: number;
  /** A corrupt local copy of `size` bytes was deleted (the local counts drop). */
  deleted(size: number): void;
  /** This node's copy of `blobId` is lost (a location event). */
  lost(blobId: string): void;
}

export class ScrubRepair {
  #lastScrub?: number;

  constructor(private readonly deps: ScrubRepairDeps) {}

  /** When the last scrub ended. */
  get lastScrub(): number | undefined {
    return this.#lastScrub;
  }

  /**
   * Reads the schedule kept across restarts and returns the delay until the next scrub: a
   * node restarted more often than the interval would otherwise never scrub.
   */
  firstDelay(): number {
    const { db, intervalMs } = this.deps;
    const last = Number(db.getSetting(LAST_SCRUB));
    if (Number.isFinite(last) && last > 0) this.#lastScrub = last;
    let due = Number(db.getSetting(NEXT_SCRUB));
    if (!Number.isFinite(due) || due <= 0) {
      due = this.deps.now() + intervalMs;
      db.setSetting(NEXT_SCRUB, String(due));
    }
    return Math.min(Math.max(0, due - this.deps.now()), intervalMs);
  }

  /**
   * Re-hashes every local blob; a corrupt one is deleted and fetched again from
   * the peers that hold it (or, when none is known, from every peer).
   */
  async scrub(): Promise<{ checked: number; corrupt: string[] }> {
    const report = await this.deps.blobs.scrub();
    this.#lastScrub = this.deps.now();
    this.deps.db.setSetting(LAST_SCRUB, String(this.#lastScrub));
    this.deps.db.setSetting(NEXT_SCRUB, String(this.#lastScrub + this.deps.intervalMs));
    for (const id of report.corrupt) await this.repair(id);
    return { checked: report.checked, corrupt: report.corrupt };
  }

  /** Drops a local copy whose bytes no longer hash to its id and pulls a good one. */
  async repair(id: string): Promise<void> {
    log.error("Blob corrupt on disk; fetching it again from a peer", { blob: id });
    const stat = await this.deps.blobs.stat(id);
    if (!(await this.deps.blobs.delete(id))) return;
    faultPoint("scrub.repair.deleted");
    this.deps.deleted(stat?.size ?? 0);
    const holders = this.deps.locations.holders(id).map((l) => l.nodeId);
    const sources = holders.length ? holders : this.deps.directory.list().map((p) => p.nodeId);
    this.deps.jobs.enqueueMany(
      sources.map((peerId) => ({ blobId: id, peerId, dir: "pull" as const })),
    );
    this.deps.lost(id);
    this.deps.worker.pump();
  }
}
