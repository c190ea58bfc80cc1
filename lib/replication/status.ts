/**
 * The replication status as the API and the UI show it (GET /v1/replication/status,
 * the Nodes page, the dashboard backlog): per peer, reachable or not, by which
 * path, when last seen and synced, what it stores, and the blob backlog.
 */

import type { PathInfo, PathThroughput } from "../core/transport.ts";
import type { JobDir, JobState } from "./blob_jobs.ts";
import type { PeerStateRow } from "./peer_store.ts";
import type { Peer, Reachability } from "./peers.ts";

export interface Backlog {
  pending: number;
  inFlight: number;
  failed: number;
  /** Bytes still to move (pending, in flight and failed jobs whose size is known). */
  bytes: number;
}

export interface PeerStatus {
  nodeId: string;
  name: string;
  url?: string;
  reachable: boolean;
  /**
   * "http", "webrtc/host" (direct), "webrtc/srflx" (through NAT, found with STUN),
   * "webrtc/relay" (through TURN), or "none" when nothing reaches it (it may still call in).
   */
  path: string;
  /** The path blobs take, when it differs from `path` (the faster of several). */
  blobPath?: string;
  /** Recent blob throughput per path. */
  throughput: PathThroughput[];
  /** Why the data channel is down, when a relay is configured and it is. */
  linkError?: string;
  lastSeen?: number;
  lastSync?: number;
  lastError?: string;
  /** `backend`: where the peer keeps its blobs ("fs", "s3"), as its last hello said. */
  storage?: { blobs: number; bytes: number; backend?: string };
  /** Blobs this node knows the peer holds, and how many of those passed a proof. */
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

const empty = (): Backlog => ({ pending: 0, inFlight: 0, failed: 0, bytes: 0 });

function add(b: Backlog, state: JobState, n: number, bytes: number): void {
  if (state === "done") return;
  if (state === "pending") b.pending += n;
  else if (state === "in_flight") b.inFlight += n;
  else b.failed += n;
  b.bytes += bytes;
}

export function buildStatus(input: {
  self: string;
  peers: Peer[];
  reach: (nodeId: string) => Reachability;
  transportPath: (peer: Peer) => string | undefined;
  pathInfo?: (peer: Peer) => PathInfo | undefined;
  peerState: (nodeId: string) => PeerStateRow;
  peerBackend: (nodeId: string) => string | undefined;
  jobCounts: { peerId: string; dir: JobDir; state: JobState; n: number; bytes: number }[];
  held: { nodeId: string; held: number; verified: number }[];
  storage: { blobs: number; bytes: number };
  lastScrub?: number;
  lastSeq: number;
  active: number;
}): ReplicationStatus {
  const backlog = empty();
  const peers = input.peers.map((p): PeerStatus => {
    const reach = input.reach(p.nodeId);
    const state = input.peerState(p.nodeId);
    const push = empty();
    const pull = empty();
    for (const c of input.jobCounts.filter((c) => c.peerId === p.nodeId)) {
      add(c.dir === "push" ? push : pull, c.state, c.n, c.bytes);
    }
    const h = input.held.find((x) => x.nodeId === p.nodeId);
    const info = input.pathInfo?.(p);
    return {
      nodeId: p.nodeId,
      name: p.name,
      url: p.url,
      reachable: reach.reachable,
      path: reach.reachable
        ? info?.path ?? reach.path ?? "http"
        : info?.path ?? input.transportPath(p) ?? "none",
      blobPath: info?.blobPath !== info?.path ? info?.blobPath : undefined,
      throughput: info?.throughput ?? [],
      linkError: info?.linkError,
      lastSeen: reach.lastSeen ?? state.lastSeen,
      lastSync: state.lastSync,
      lastError: reach.reachable ? undefined : reach.lastError ?? state.lastError,
      storage: state.blobCount !== undefined
        ? {
          blobs: state.blobCount,
          bytes: state.blobBytes ?? 0,
          ...(input.peerBackend(p.nodeId) ? { backend: input.peerBackend(p.nodeId) } : {}),
        }
        : undefined,
      held: h?.held ?? 0,
      verified: h?.verified ?? 0,
      push,
      pull,
    };
  });
  for (const c of input.jobCounts) {
    if (input.peers.some((p) => p.nodeId === c.peerId)) add(backlog, c.state, c.n, c.bytes);
  }
  return {
    nodeId: input.self,
    lastSeq: input.lastSeq,
    storage: input.storage,
    lastScrub: input.lastScrub,
    activeTransfers: input.active,
    backlog,
    peers,
  };
}
