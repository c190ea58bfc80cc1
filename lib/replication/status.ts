/**
 * The replication status as the API and the UI show it (GET /v1/replication/status,
 * the Nodes page, the dashboard backlog): per peer, reachable or not, by which
 * path, when last seen and synced, what it stores, and the blob backlog; and how far
 * proofs of possession have got over the copies on the other nodes.
 */

import type {
  Backlog,
  PeerStatus,
  ProofPlan,
  ProofStatus,
  ReplicationStatus,
} from "../core/replication_view.ts";
import type { PathInfo } from "../core/transport.ts";
import type { JobDir, JobState } from "./blob_jobs.ts";
import type { DiskFull } from "./disk_space.ts";
import type { NodeCopies } from "./locations.ts";
import type { PeerStateRow } from "./peer_store.ts";
import type { Peer, Reachability } from "./peers.ts";

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
  lastInventory?: (nodeId: string) => number | undefined;
  jobCounts: { peerId: string; dir: JobDir; state: JobState; n: number; bytes: number }[];
  held: NodeCopies[];
  /** How the proof rounds are sized for the copies on these peers. */
  proofPlan: (copies: number) => ProofPlan;
  lastProofRoundAt?: number;
  storage: { blobs: number; bytes: number };
  lastScrub?: number;
  diskFull?: DiskFull;
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
      lastInventory: input.lastInventory?.(p.nodeId),
      lastError: reach.reachable ? undefined : reach.lastError ?? state.lastError,
      storage: state.blobCount !== undefined
        ? {
          blobs: state.blobCount,
          bytes: state.blobBytes ?? 0,
          ...(input.peerBackend(p.nodeId) ? { backend: input.peerBackend(p.nodeId) } : {}),
        }
        : undefined,
      ...(reach.diskFull ? { diskFull: true } : {}),
      held: h?.held ?? 0,
      verified: h?.verified ?? 0,
      fresh: h?.fresh ?? 0,
      oldestProofAt: h?.oldestProofAt,
      push,
      pull,
    };
  });
  for (const c of input.jobCounts) {
    if (input.peers.some((p) => p.nodeId === c.peerId)) add(backlog, c.state, c.n, c.bytes);
  }
  const copies = peers.reduce((n, p) => n + p.held, 0);
  const oldest = peers.flatMap((p) => p.oldestProofAt ?? []);
  const proofs: ProofStatus = {
    ...input.proofPlan(copies),
    fresh: peers.reduce((n, p) => n + p.fresh, 0),
    unproven: peers.reduce((n, p) => n + p.held - p.verified, 0),
    oldestProofAt: oldest.length ? Math.min(...oldest) : undefined,
    lastRoundAt: input.lastProofRoundAt,
  };
  return {
    nodeId: input.self,
    lastSeq: input.lastSeq,
    storage: input.storage,
    lastScrub: input.lastScrub,
    ...(input.diskFull ? { diskFull: input.diskFull } : {}),
    activeTransfers: input.active,
    backlog,
    proofs,
    peers,
  };
}
