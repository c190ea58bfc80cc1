import { useEffect, useState } from "preact/hooks";
import { api, isSignedOut, messageOf } from "../lib/web/browser/api.ts";
import {
  backlogCount,
  formatBytes,
  type ReplicationStatus,
  subscribe,
} from "./_replication_live.ts";

/**
 * Dashboard: the replication backlog at a glance (DESIGN §9), live over SSE —
 * how many copies are still on their way, how many failed, and how many of
 * the family's other nodes this node can reach right now.
 */
export default function ReplicationBadge(_props: Record<string, never>) {
  const [status, setStatus] = useState<ReplicationStatus | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    api<ReplicationStatus>("GET", "/v1/replication/status")
      .then(setStatus)
      .catch((err) => setError(isSignedOut(err) ? "Sign in to see replication." : messageOf(err)));
    return subscribe((e) => {
      if (e.event === "replication") setStatus(e.data.status);
    });
  }, []);

  if (error) return <p class="muted">{error}</p>;
  if (!status) return <p class="loading">Checking replication…</p>;
  const waiting = status.backlog.pending + status.backlog.inFlight;
  const failed = status.backlog.failed;
  const online = status.peers.filter((p) => p.reachable).length;
  const total = status.peers.length;
  return (
    <div class="replication-badge" aria-live="polite">
      <p class="stat-value">{backlogCount(status.backlog)}</p>
      <p class="muted">
        {total === 0
          ? "No other nodes yet: copies live only here."
          : waiting + failed === 0
          ? "All copies are in place."
          : `${waiting} ${waiting === 1 ? "copy" : "copies"} on the way${
            status.backlog.bytes ? ` (${formatBytes(status.backlog.bytes)})` : ""
          }${failed ? `, ${failed} failed — retrying` : ""}.`}
      </p>
      {total > 0 && (
        <p class="muted">
          <span class={online === total ? "badge badge-ok" : "badge badge-warn"}>
            {online} of {total} {total === 1 ? "node" : "nodes"} online
          </span>{" "}
          <a href="/nodes">Nodes</a>
        </p>
      )}
    </div>
  );
}
