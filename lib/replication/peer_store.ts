/**
 * What this node remembers about peers, in the index database: how far it has
 * applied each peer's record feed (per index id), how far each peer confirmed
 * ours, when each was last seen and last fully synced, and what it stores.
 */

import { toHex } from "../crypto/mod.ts";
import type { IndexDb } from "../store/mod.ts";
import { relaxed } from "./relaxed.ts";

const INDEX_ID_KEY = "record_index_id";

export interface PeerStateRow {
  nodeId: string;
  pushedSeq: number;
  lastSeen?: number;
  lastSync?: number;
  lastError?: string;
  blobCount?: number;
  blobBytes?: number;
}

interface Row {
  node_id: string;
  pushed_seq: number;
  last_seen: number | null;
  last_sync: number | null;
  last_error: string | null;
  blob_count: number | null;
  blob_bytes: number | null;
}

export class PeerStore {
  constructor(private readonly index: IndexDb) {}

  /**
   * The id of this node's record feed, made once. Sequence numbers are only
   * meaningful with it: a node whose database is replaced gets a new one, and
   * its peers read its feed again from 0 instead of skipping what it renumbered.
   */
  indexId(): string {
    return this.index.getSetting(INDEX_ID_KEY) ?? this.rotateIndexId();
  }

  /**
   * Names the feed anew (durably): every peer then reads it again from sequence 0, and what
   * each peer confirmed of the old feed no longer counts.
   */
  rotateIndexId(): string {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    const id = toHex(bytes);
    this.index.setSetting(INDEX_ID_KEY, id);
    // Lost in a crash, a stale value only makes a push start late; each peer's pull reads the
    // new feed from 0 anyway.
    relaxed(this.index, () => this.index.db.prepare("UPDATE peer_state SET pushed_seq = 0").run());
    return id;
  }

  cursor(nodeId: string, indexId: string): number {
    const row = this.index.db.prepare(
      "SELECT seq FROM peer_cursors WHERE node_id = ? AND index_id = ?",
    ).get(nodeId, indexId) as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  setCursor(nodeId: string, indexId: string, seq: number, now: number): void {
    // Committed after the records it covers (FULL), so it can only lag them, never lead.
    relaxed(this.index, () =>
      this.index.db.prepare(
        `INSERT INTO peer_cursors (node_id, index_id, seq, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (node_id, index_id) DO UPDATE SET seq = max(seq, excluded.seq),
         updated_at = excluded.updated_at`,
      ).run(nodeId, indexId, seq, now));
  }

  get(nodeId: string): PeerStateRow {
    const row = this.index.db.prepare("SELECT * FROM peer_state WHERE node_id = ?").get(nodeId) as
      | Row
      | undefined;
    return row ? toState(row) : { nodeId, pushedSeq: 0 };
  }

  all(): PeerStateRow[] {
    return (this.index.db.prepare("SELECT * FROM peer_state").all() as unknown as Row[]).map(
      toState,
    );
  }

  update(nodeId: string, patch: Partial<Omit<PeerStateRow, "nodeId">>): void {
    const cur = this.get(nodeId);
    const next = { ...cur, ...patch };
    relaxed(this.index, () =>
      this.index.db.prepare(
        `INSERT INTO peer_state (node_id, pushed_seq, last_seen, last_sync, last_error, blob_count,
         blob_bytes) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (node_id) DO UPDATE SET pushed_seq = excluded.pushed_seq,
         last_seen = excluded.last_seen, last_sync = excluded.last_sync,
         last_error = excluded.last_error, blob_count = excluded.blob_count,
         blob_bytes = excluded.blob_bytes`,
      ).run(
        nodeId,
        next.pushedSeq,
        next.lastSeen ?? null,
        next.lastSync ?? null,
        next.lastError ?? null,
        next.blobCount ?? null,
        next.blobBytes ?? null,
      ));
  }

  /** Forgets a removed node: its cursors and state. */
  forget(nodeId: string): void {
    relaxed(this.index, () => {
      this.index.db.prepare("DELETE FROM peer_cursors WHERE node_id = ?").run(nodeId);
      this.index.db.prepare("DELETE FROM peer_state WHERE node_id = ?").run(nodeId);
    });
  }
}

function toState(r: Row): PeerStateRow {
  return {
    nodeId: r.node_id,
    pushedSeq: r.pushed_seq,
    lastSeen: r.last_seen ?? undefined,
    lastSync: r.last_sync ?? undefined,
    lastError: r.last_error ?? undefined,
    blobCount: r.blob_count ?? undefined,
    blobBytes: r.blob_bytes ?? undefined,
  };
}
