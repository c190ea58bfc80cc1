/**
 * Nonces of signed node requests (PROTOCOL §2.4), remembered until their
 * request's window has closed, so a captured request cannot be played again.
 * In the index database, so a restart does not reopen the window.
 */

import { relaxed } from "./relaxed.ts";
import type { IndexDb } from "../store/mod.ts";

export class NonceStore {
  #lastPrune = 0;

  constructor(private readonly index: IndexDb, private readonly now: () => number = Date.now) {}

  /**
   * Remembers `nonce` until `expiresAt` (ms); returns false when it was seen
   * before (a replay). The primary key makes the check and the insert one step.
   *
   * Committed without its own fsync (lib/replication/relaxed.ts): a power cut
   * could forget the last nonces, and a request captured in the ≤ 90 s before
   * it could then be played once more; every node request is idempotent (a
   * record version, a blob by its hash), so that replay changes nothing.
   */
  remember(nonce: string, nodeId: string, expiresAt: number): boolean {
    const now = this.now();
    return relaxed(this.index, () => {
      if (now - this.#lastPrune > 10_000) {
        this.index.db.prepare("DELETE FROM request_nonces WHERE expires_at < ?").run(now);
        this.#lastPrune = now;
      }
      const r = this.index.db.prepare(
        "INSERT INTO request_nonces (nonce, node_id, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      ).run(nonce, nodeId, expiresAt);
      return Number(r.changes) === 1;
    });
  }
}
