/**
 * Shared by the replication islands (NodeList, ReplicationBadge, WhereStored):
 * one EventSource on `/v1/events` per page, whatever the number of islands,
 * plus the shapes the replication API returns and small formatters.
 * Browser-only.
 *
 * @module
 */

export interface Backlog {
  pending: number;
  inFlight: number;
  failed: number;
  bytes: number;
}

export interface PeerStatus {
  nodeId: string;
  name: string;
  url?: string;
  reachable: boolean;
  /** "http", "webrtc/host", "webrtc/srflx", "webrtc/relay", or "none". */
  path: string;
  /** The path blobs take, when it is not `path` (the faster of two). */
  blobPath?: string;
  throughput: { path: string; bytesPerSec: number; at: number }[];
  linkError?: string;
  lastSeen?: number;
  lastSync?: number;
  lastError?: string;
  storage?: { blobs: number; bytes: number; backend?: string };
  held: number;
  verified: number;
  push: Backlog;
  pull: Backlog;
}

export interface ReplicationStatus {
  nodeId: string;
  lastSeq: number;
  storage: { blobs: number; bytes: number };
  lastScrub?: number;
  activeTransfers: number;
  backlog: Backlog;
  peers: PeerStatus[];
}

export interface NodeCopy {
  nodeId: string;
  self: boolean;
  state: "verified" | "stored" | "pending" | "failed" | "missing";
  ackedAt?: number;
  verifiedAt?: number;
  lastError?: string;
}

export interface LocationsResponse {
  blobs: { blobId: string; nodes: NodeCopy[] }[];
  names: Record<string, string>;
}

export type LiveEvent =
  | { event: "replication"; data: { type: "status"; status: ReplicationStatus } }
  | { event: "location"; data: { blobId: string; nodeId: string; state: string } }
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
