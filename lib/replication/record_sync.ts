/**
 * Record replication (DESIGN §7, PROTOCOL §3.2–3.3): each node numbers what it
 * stores with a local sequence and names its feed with an index id; a peer
 * asks for "everything after S of index I". Pulls happen on connect and
 * periodically, pushes on change. Both advance the receiver's cursor only when
 * the page starts at or before it, so a cursor never skips a record.
 */

import type { SignedRecord } from "../crypto/mod.ts";
import { faultPoint } from "../core/faults.ts";
import { getLogger } from "../core/log.ts";
import type { FeedPage, PeerAddress, Transport } from "../core/transport.ts";
import type { IndexDb, RecordLog } from "../store/mod.ts";
import type { PeerStore } from "./peer_store.ts";
import { applyFromPeer } from "./record_apply.ts";

const log = getLogger("replication");

/** Feed pages stop growing past this many bytes of JSON (well under the peer's body limit). */
export const FEED_PAGE_BYTES = 4 << 20;
export const FEED_PAGE_RECORDS = 500;

export interface RecordSyncDeps {
  db: IndexDb;
  records: RecordLog;
  peers: PeerStore;
  now: () => number;
  onStored: (from: string, stored: number) => void;
  /** Whether `nodeId` is still a family node: nothing more is pushed to one just removed. */
  isPeer?: (nodeId: string) => boolean;
}

export class RecordSync {
  constructor(private readonly deps: RecordSyncDeps) {}

  /** A page of this node's feed after `after`: at most `limit` records and about 4 MiB. */
  page(after: number, limit = FEED_PAGE_RECORDS): FeedPage {
    const n = Math.max(1, Math.min(limit, FEED_PAGE_RECORDS));
    // RecordLog.feed() gives the records and the last seq; sizing a page needs each seq.
    const rows = this.deps.records.feedRows(after, n + 1);
    let bytes = 0;
    let take = 0;
    for (const row of rows.slice(0, n)) {
      if (take > 0 && bytes + row.json.length > FEED_PAGE_BYTES) break;
      bytes += row.json.length;
      take++;
    }
    return {
      indexId: this.deps.peers.indexId(),
      after,
      lastSeq: take ? rows[take - 1].seq : after,
      records: rows.slice(0, take).map((r) => JSON.parse(r.json) as SignedRecord),
      more: rows.length > take,
    };
  }

  /** Applies a page a peer pushed; returns this node's cursor of that peer's feed. */
  acceptPush(from: string, page: FeedPage): number {
    const { peers, now } = this.deps;
    const outcome = applyFromPeer(this.deps.db, this.deps.records, page.records, from, now());
    faultPoint("records.push.applied");
    if (outcome.stored) this.deps.onStored(from, outcome.stored);
    const cursor = peers.cursor(from, page.indexId);
    if (page.after <= cursor && page.lastSeq > cursor) {
      peers.setCursor(from, page.indexId, page.lastSeq, now());
      return page.lastSeq;
    }
    return cursor;
  }

  /** This node's cursor of `from`'s feed `indexId` (told to the peer in hello). */
  cursorOf(from: string, indexId: string): number {
    return this.deps.peers.cursor(from, indexId);
  }

  /** Pulls everything after the cursor of `peer`'s feed `indexId`. */
  async pull(peer: PeerAddress, t: Transport, indexId: string): Promise<number> {
    const { peers, now } = this.deps;
    let cursor = peers.cursor(peer.nodeId, indexId);
    let stored = 0;
    for (let pages = 0; pages < 10_000; pages++) {
      const page = await t.pullRecords(peer, cursor, FEED_PAGE_RECORDS);
      if (page.indexId !== indexId) {
        log.info("Peer's record feed restarted; reading it again from the start", {
          peer: peer.nodeId,
        });
        return stored;
      }
      const outcome = applyFromPeer(
        this.deps.db,
        this.deps.records,
        page.records,
        peer.nodeId,
        now(),
      );
      faultPoint("records.pull.applied");
      stored += outcome.stored;
      if (outcome.stored) this.deps.onStored(peer.nodeId, outcome.stored);
      if (page.lastSeq > cursor) {
        cursor = page.lastSeq;
        peers.setCursor(peer.nodeId, indexId, cursor, now());
      }
      if (!page.more || page.records.length === 0) break;
    }
    return stored;
  }

  /** Pushes this node's feed from what `peer` confirmed (`cursor`) up to now. */
  async push(peer: PeerAddress, t: Transport, cursor: number): Promise<number> {
    let confirmed = cursor;
    for (let pages = 0; pages < 10_000; pages++) {
      if (confirmed >= this.deps.records.lastSeq()) break;
      if (this.deps.isPeer && !this.deps.isPeer(peer.nodeId)) break;
      const page = this.page(confirmed);
      if (page.records.length === 0) break;
      const res = await t.pushRecords(peer, page);
      this.deps.peers.update(peer.nodeId, { pushedSeq: res.cursor });
      // A peer that did not advance would make this loop spin; its pull will catch up.
      if (res.cursor <= confirmed) break;
      confirmed = res.cursor;
    }
    return confirmed;
  }
}
