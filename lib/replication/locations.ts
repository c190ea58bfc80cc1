/**
 * Where is it stored (DESIGN §7): which peers hold which blob, acknowledged
 * when and verified when. A location is recorded when a peer acknowledges a
 * push, when a pull from it succeeds and when its inventory lists the blob; a
 * proof of possession sets `verified_at`; a failed proof or an inventory that
 * no longer lists the blob removes it.
 */

import type { IndexDb } from "../store/mod.ts";
import { relaxed, relaxedTx } from "./relaxed.ts";

export interface Location {
  blobId: string;
  nodeId: string;
  ackedAt: number;
  verifiedAt?: number;
}

/** What this node knows of the copies one node holds. */
export interface NodeCopies {
  nodeId: string;
  held: number;
  /** Copies that passed a proof of possession, ever. */
  verified: number;
  /** Copies whose last proof is recent (see {@link LocationStore.perNode}). */
  fresh: number;
  /** The oldest last proof among the verified copies. */
  oldestProofAt?: number;
}

interface Row {
  blob_id: string;
  node_id: string;
  acked_at: number;
  verified_at: number | null;
}

const toLocation = (r: Row): Location => ({
  blobId: r.blob_id,
  nodeId: r.node_id,
  ackedAt: r.acked_at,
  verifiedAt: r.verified_at ?? undefined,
});

export class LocationStore {
  constructor(private readonly index: IndexDb) {}

  /** Records that `nodeId` holds `blobId` (keeps the first acknowledgement time). */
  ack(blobId: string, nodeId: string, now: number): boolean {
    const r = relaxed(this.index, () =>
      this.index.db.prepare(
        `INSERT INTO blob_locations (blob_id, node_id, acked_at, seen_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (blob_id, node_id) DO UPDATE SET seen_at = excluded.seen_at`,
      ).run(blobId, nodeId, now, now));
    return Number(r.changes) > 0;
  }

  /** Records many acknowledgements from one inventory page; returns the ids that are new. */
  ackMany(blobIds: string[], nodeId: string, now: number): string[] {
    const fresh: string[] = [];
    const exists = this.index.db.prepare(
      "SELECT 1 FROM blob_locations WHERE blob_id = ? AND node_id = ?",
    );
    relaxedTx(this.index, () => {
      for (const id of blobIds) {
        if (!exists.get(id, nodeId)) fresh.push(id);
        this.ack(id, nodeId, now);
      }
    });
    return fresh;
  }

  verified(blobId: string, nodeId: string, now: number): void {
    relaxed(this.index, () =>
      this.index.db.prepare(
        `INSERT INTO blob_locations (blob_id, node_id, acked_at, verified_at, seen_at)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (blob_id, node_id) DO UPDATE SET verified_at = excluded.verified_at`,
      ).run(blobId, nodeId, now, now, now));
  }

  remove(blobId: string, nodeId: string): boolean {
    const r = relaxed(this.index, () =>
      this.index.db.prepare(
        "DELETE FROM blob_locations WHERE blob_id = ? AND node_id = ?",
      ).run(blobId, nodeId));
    return Number(r.changes) > 0;
  }

  /** After a complete inventory of `nodeId` that began at `since`: what it did not list is gone. */
  removeUnseen(nodeId: string, since: number): number {
    const r = relaxed(this.index, () =>
      this.index.db.prepare(
        "DELETE FROM blob_locations WHERE node_id = ? AND seen_at < ?",
      ).run(nodeId, since));
    return Number(r.changes);
  }

  dropNode(nodeId: string): void {
    relaxed(
      this.index,
      () => this.index.db.prepare("DELETE FROM blob_locations WHERE node_id = ?").run(nodeId),
    );
  }

  holders(blobId: string): Location[] {
    return (this.index.db.prepare(
      "SELECT blob_id, node_id, acked_at, verified_at FROM blob_locations WHERE blob_id = ?",
    ).all(blobId) as unknown as Row[]).map(toLocation);
  }

  forBlobs(blobIds: string[]): Location[] {
    const out: Location[] = [];
    for (let i = 0; i < blobIds.length; i += 500) {
      const part = blobIds.slice(i, i + 500);
      const rows = this.index.db.prepare(
        `SELECT blob_id, node_id, acked_at, verified_at FROM blob_locations
         WHERE blob_id IN (${part.map(() => "?").join(",")})`,
      ).all(...part) as unknown as Row[];
      out.push(...rows.map(toLocation));
    }
    return out;
  }

  /** Locations on `nodeIds` due for a proof: never verified first, then the oldest. */
  dueForProof(nodeIds: string[], olderThan: number, limit: number): Location[] {
    if (nodeIds.length === 0) return [];
    const rows = this.index.db.prepare(
      `SELECT blob_id, node_id, acked_at, verified_at FROM blob_locations
       WHERE node_id IN (${nodeIds.map(() => "?").join(",")})
         AND (verified_at IS NULL OR verified_at < ?)
       ORDER BY coalesce(verified_at, 0), acked_at LIMIT ?`,
    ).all(...nodeIds, olderThan, limit) as unknown as Row[];
    return rows.map(toLocation);
  }

  /**
   * Per node: how many blobs it holds, how many of those passed a proof, how many passed
   * one at `freshSince` or later, and when the oldest of those proofs was.
   */
  perNode(freshSince = 0): NodeCopies[] {
    return (this.index.db.prepare(
      `SELECT node_id, count(*) AS held, count(verified_at) AS verified,
              count(CASE WHEN verified_at >= ? THEN 1 END) AS fresh,
              min(verified_at) AS oldest
       FROM blob_locations GROUP BY node_id`,
    ).all(freshSince) as {
      node_id: string;
      held: number;
      verified: number;
      fresh: number;
      oldest: number | null;
    }[]).map((r) => ({
      nodeId: r.node_id,
      held: r.held,
      verified: r.verified,
      fresh: r.fresh,
      oldestProofAt: r.oldest ?? undefined,
    }));
  }
}
