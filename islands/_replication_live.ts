/**
 * Shared by the replication islands (NodeList, ReplicationBadge, WhereStored):
 * one EventSource on `/v1/events` per page, whatever the number of islands,
 * plus small formatters. The shapes the replication API returns are lib/core's.
 * Browser-only.
 *
 * @module
 */

import type { Backlog, LocationChange, ReplicationStatus } from "../lib/core/replication_view.ts";

export type {
  Backlog,
  LocationChange,
  LocationsAnswer,
  NodeCopy,
  PeerStatus,
  ReplicationStatus,
} from "../lib/core/replication_view.ts";

export type LiveEvent =
  | { event: "replication"; data: { type: "status"; status: ReplicationStatus } }
  | { event: "location"; data: LocationChange }
  | { event: "resync"; data: Record<string, never> };

type Listener = (e: LiveEvent) => void;

let source: EventSource | undefined;
const listeners = new Set<Listener>();

function open(): void {
  if (source || typeof EventSource === "undefined") return;
  source = new EventSource("/v1/events");
  for (const event of ["replication", "location", "resync"] as const) {
    source.addEventListener(event, (e) => {
      let data: unknown;
      try {
        data = JSON.parse((e as MessageEvent).data);
      } catch {
        return;
      }
      for (const l of listeners) l({ event, data } as LiveEvent);
    });
  }
}

/** Listens to live replication events; the connection closes with the last listener. */
export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  open();
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      source?.close();
      source = undefined;
    }
  };
}

/** "0 B", "12.3 MB", "1.2 GB" (decimal units, as disks are sold). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return "0 B";
  const units = ["B", "kB", "MB", "GB", "TB"];
  const i = Math.min(units.length - 1, Math.floor(Math.log10(n) / 3));
  const v = n / 1000 ** i;
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** Pending + in flight + failed. */
export function backlogCount(b: Backlog): number {
  return b.pending + b.inFlight + b.failed;
}
