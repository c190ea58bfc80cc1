/**
 * Applying records that arrive from peers. A peer's feed lists every link of
 * the family log after those it follows, but records from two peers interleave,
 * and a record can still arrive before what it follows (from another peer) or
 * before what authorizes it (a photo made on a grant that is still on its way).
 * {@link applyFromPeer} therefore applies a batch in one transaction when it
 * can, splits it when one record is refused, retries refused records while
 * others make progress, and parks what is still refused for later batches.
 */

import { recordHash, type SignedRecord } from "../crypto/mod.ts";
import { ForbiddenError, P2posError } from "../core/errors.ts";
import { getLogger } from "../core/log.ts";
import type { Origin } from "../core/record_kinds.ts";
import { type IndexDb, MissingLinksError, type RecordLog } from "../store/mod.ts";

const log = getLogger("replication");

/** Parked records older than this are given up on. */
const PARK_LIMIT_MS = 30 * 24 * 3600_000;
const PARK_MAX_ROWS = 10_000;

export interface ApplyOutcome {
  stored: number;
  unchanged: number;
  refused: { record: unknown; error: P2posError }[];
}

function tryApply(records: RecordLog, batch: unknown[], origin: Origin, out: ApplyOutcome) {
  if (batch.length === 0) return;
  try {
    for (const r of records.apply(batch, origin)) {
      if (r.status === "unchanged") out.unchanged++;
      else out.stored++;
    }
  } catch (err) {
    if (!(err instanceof P2posError)) throw err;
    if (batch.length === 1) {
      out.refused.push({ record: batch[0], error: err });
      return;
    }
    // Bisect: k bad records cost about k·log(n) transactions, not n.
    const mid = batch.length >> 1;
    tryApply(records, batch.slice(0, mid), origin, out);
    tryApply(records, batch.slice(mid), origin, out);
  }
}

/** Applies `batch`, retrying refused records while the others make progress. */
export function applyWithRetry(records: RecordLog, batch: unknown[], origin: Origin): ApplyOutcome {
  const total: ApplyOutcome = { stored: 0, unchanged: 0, refused: [] };
  let pending = batch;
  while (pending.length > 0) {
    const round: ApplyOutcome = { stored: 0, unchanged: 0, refused: [] };
    tryApply(records, pending, origin, round);
    total.stored += round.stored;
    total.unchanged += round.unchanged;
    const kept = round.refused.length ? keepNeededVoid(records, round.refused) : 0;
    if (round.refused.length === 0 || round.stored + kept === 0) {
      total.refused = round.refused;
      break;
    }
    total.stored += kept;
    pending = round.refused.map((r) => r.record);
  }
  return total;
}

/**
 * A refused record that another refused record follows is kept as a void link: a node that
 * took it before the revocation that voids it may have made a valid record on top of it, and
 * the log must stay whole for that one to be stored (it is never in force).
 */
function keepNeededVoid(records: RecordLog, refused: ApplyOutcome["refused"]): number {
  const missing = new Set(
    refused.flatMap((r) => r.error instanceof MissingLinksError ? r.error.missing : []),
  );
  if (missing.size === 0) return 0;
  let kept = 0;
  for (const r of refused) {
    if (!(r.error instanceof ForbiddenError) || !missing.has(linkHashOf(r.record))) continue;
    try {
      if (records.keepVoid(r.record)) kept++;
    } catch (err) {
      if (!(err instanceof P2posError)) throw err;
    }
  }
  return kept;
}

function linkHashOf(record: unknown): string {
  try {
    return recordHash(record as SignedRecord);
  } catch {
    return "";
  }
}

interface ParkedRow {
  json: string;
  from_node: string;
}

/**
 * Applies records from peer `from`, parks those refused for want of
 * authorization, and retries what was parked when anything new was stored.
 */
export function applyFromPeer(
  db: IndexDb,
  records: RecordLog,
  batch: unknown[],
  from: string,
  now: number,
): ApplyOutcome {
  const origin: Origin = { via: "peer", nodeId: from };
  const outcome = applyWithRetry(records, batch, origin);
  for (const { record, error } of outcome.refused) park(db, record, from, error, now);
  if (outcome.stored > 0) retryParked(db, records, now);
  return outcome;
}

function park(db: IndexDb, record: unknown, from: string, error: P2posError, now: number): void {
  const r = record as { kind?: unknown; id?: unknown; hlc?: unknown; author?: unknown };
  // Only a missing authorization, or records it follows that are still on their way, can
  // be cured by later records; a bad signature or body never will be.
  if (!(error instanceof ForbiddenError) && !(error instanceof MissingLinksError)) {
    log.warn("Peer sent a record this node refuses", { from, error: error.message });
    return;
  }
  const count = (db.db.prepare("SELECT count(*) AS n FROM parked_records").get() as { n: number })
    .n;
  if (count >= PARK_MAX_ROWS) {
    log.warn("Too many parked records; dropping one", { from, error: error.message });
    return;
  }
  log.debug("Parked a record until what authorizes it arrives", { from, error: error.message });
  db.db.prepare(
    `INSERT INTO parked_records (kind, id, hlc, author, json, from_node, reason, parked_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  ).run(
    String(r.kind),
    String(r.id),
    String(r.hlc),
    String(r.author),
    JSON.stringify(record),
    from,
    error.message.slice(0, 300),
    now,
  );
}

/** Tries parked records again; removes those now stored (or superseded) and expired ones. */
export function retryParked(db: IndexDb, records: RecordLog, now: number): number {
  db.db.prepare("DELETE FROM parked_records WHERE parked_at < ?").run(now - PARK_LIMIT_MS);
  const rows = db.db.prepare("SELECT json, from_node FROM parked_records ORDER BY parked_at")
    .all() as unknown as ParkedRow[];
  if (rows.length === 0) return 0;
  let applied = 0;
  // Grouped by the peer that sent them, so each keeps its origin.
  const byPeer = new Map<string, unknown[]>();
  for (const row of rows) {
    const list = byPeer.get(row.from_node) ?? [];
    list.push(JSON.parse(row.json));
    byPeer.set(row.from_node, list);
  }
  for (const [from, batch] of byPeer) {
    const out = applyWithRetry(records, batch, { via: "peer", nodeId: from });
    const still = new Set(out.refused.map((r) => r.record));
    for (const record of batch) {
      const r = record as { kind: string; id: string; hlc: string; author: string };
      if (still.has(record)) {
        db.db.prepare(
          "UPDATE parked_records SET attempts = attempts + 1 WHERE kind = ? AND id = ? AND hlc = ? AND author = ?",
        ).run(r.kind, r.id, r.hlc, r.author);
      } else {
        applied++;
        db.db.prepare(
          "DELETE FROM parked_records WHERE kind = ? AND id = ? AND hlc = ? AND author = ?",
        ).run(r.kind, r.id, r.hlc, r.author);
      }
    }
  }
  return applied;
}
