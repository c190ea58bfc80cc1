/**
 * How far proofs of possession have got over the copies on the family's other nodes (the
 * Nodes page): how many were proven within the window, how many never were, when the oldest
 * proof was, and how long a full pass takes at this node's I/O budget, with what to change
 * when that is longer than the window. Browser-compatible.
 *
 * @module
 */

import type { ProofStatus } from "../../../core/replication_view.ts";
import { spanOf, timeAgo } from "../user_agent.ts";

/** "256 MiB" (binary units, as the flag is given). */
function mib(bytes: number): string {
  const m = bytes / 1024 ** 2;
  return m >= 1 ? `${Math.round(m)} MiB` : `${Math.max(1, Math.round(bytes / 1024))} KiB`;
}

export function ProofSummary({ proofs, now = Date.now() }: { proofs: ProofStatus; now?: number }) {
  if (proofs.copies === 0) {
    return (
      <p class="proof-summary muted" data-proofs>
        Proofs of possession: no copies on the other nodes to prove yet.
      </p>
    );
  }
  const late = proofs.passMs > proofs.windowMs;
  return (
    <div class="proof-summary" data-proofs>
      <p>
        Proofs of possession: <strong>{proofs.fresh} of {proofs.copies}</strong>{" "}
        copies on the other nodes proven in the last {spanOf(proofs.windowMs)}
        {proofs.unproven > 0 && ` · ${proofs.unproven} not proven yet`}
        {proofs.oldestProofAt !== undefined &&
          ` · oldest proof ${timeAgo(proofs.oldestProofAt, now)}`}
      </p>
      <p class="muted small">
        A round every {spanOf(proofs.intervalMs)} proves up to {proofs.perRound}{" "}
        {proofs.perRound === 1 ? "copy" : "copies"}, reading at most {mib(proofs.bytesPerMinute)}
        {" "}
        a minute here: a full pass takes about {spanOf(proofs.passMs)}.
      </p>
      {late && (
        <div class="alert alert-warn" role="status">
          At this pace a full pass takes longer than the {spanOf(proofs.windowMs)}{" "}
          within which every copy should be proven. Raise this node's{" "}
          <code>--rep-proof-mib-per-min</code>{" "}
          (<code>P2POS_REP_PROOF_MIB_PER_MIN</code>), or lengthen{" "}
          <code>--rep-reverify-after-secs</code>.
        </div>
      )}
    </div>
  );
}
