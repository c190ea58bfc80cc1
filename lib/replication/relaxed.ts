/**
 * Bookkeeping that may be lost in a power cut without harm — blob jobs,
 * locations, peer state, cursors, request nonces — is committed without its
 * own fsync: `synchronous = NORMAL` for those statements only, so the next
 * FULL commit (a record, an acknowledged upload) flushes it. An fsync per job
 * step cost more than a third of the replication rate (bench/replication.ts),
 * and everything here is rebuilt by the next inventory exchange or feed pull.
 * Signed records keep `synchronous = FULL` (DESIGN §10).
 */

import type { IndexDb } from "../store/mod.ts";

const depth = new WeakMap<IndexDb, number>();

export function relaxed<T>(index: IndexDb, fn: () => T): T {
  const d = depth.get(index) ?? 0;
  if (d === 0) index.db.exec("PRAGMA synchronous = NORMAL");
  depth.set(index, d + 1);
  try {
    return fn();
  } finally {
    depth.set(index, d);
    if (d === 0) index.db.exec("PRAGMA synchronous = FULL");
  }
}

/** {@link relaxed} in one transaction: many bookkeeping writes, one commit, no fsync. */
export function relaxedTx<T>(index: IndexDb, fn: () => T): T {
  return relaxed(index, () => index.tx(fn));
}
