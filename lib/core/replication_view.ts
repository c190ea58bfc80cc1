/**
 * What the replication engine shows of itself (DESIGN §7), as the API sends it and the
 * pages read it: `GET /v1/replication/status`, the `replication` and `location` events of
 * `GET /v1/events`, and "where is it stored" (`/v1/blobs/:id/locations`,
 * `POST /v1/replication/locations`). lib/replication builds these shapes; islands import
 * them from here, so the two sides cannot drift apart.
 *
 * Browser-compatible: types only.
 *
 * @module
 */

import type { PathThroughput } from "./transport.ts";

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
  /** When the last complete inventory exchange with the peer began (since this start). */
  lastInventory?: number;
  lastError?: string;
  /** `backend`: where the peer keeps its blobs ("fs", "s3"), as its last hello said. */
  storage?: { blobs: number; bytes: number; backend?: string };
  /** The peer's disk is full: blobs wait until it has room. */
  diskFull?: boolean;
  /** Blobs this node knows the peer holds, and how many of those passed a proof. */
  held: number;
  verified: number;
  /** Of `held`, how many passed a proof within the proof window. */
  fresh: number;
  /** The oldest last proof among the peer's verified copies. */
  oldestProofAt?: number;
  push: Backlog;
  pull: Backlog;
}

/** How proof-of-possession rounds are sized now (lib/replication/proof_rounds.ts). */
export interface ProofPlan {
  /** Copies on the family's other nodes that this node knows of. */
  copies: number;
  /** Copies a round proves at most (the byte budget may stop it sooner). */
  perRound: number;
  intervalMs: number;
  /** Every copy is to be proven at least this often. */
  windowMs: number;
  /** Local blob bytes the rounds may read per minute. */
  bytesPerMinute: number;
  /**
   * Estimated time one pass over every copy takes: the count-based plan, or longer when
   * reading this node's blobs at `bytesPerMinute` takes longer. Above `windowMs`, the
   * budget is too small for the library.
   */
  passMs: number;
}

/** Proofs of possession over every copy on the other nodes. */
export interface ProofStatus extends ProofPlan {
  /** Of `copies`, proven within `windowMs`. */
  fresh: number;
  /** Of `copies`, never proven yet. */
  unproven: number;
  /** The oldest last proof among the proven copies. */
  oldestProofAt?: number;
  /** When the last round ended (since this start). */
  lastRoundAt?: number;
}

export interface ReplicationStatus {
  nodeId: string;
  lastSeq: number;
  storage: { blobs: number; bytes: number };
  lastScrub?: number;
  /**
   * This node's disk is full since `since`: uploads are refused and pulls paused
   * (lib/replication/disk_space.ts); `message` says what to do.
   */
  diskFull?: { since: number; message: string };
  activeTransfers: number;
  backlog: Backlog;
  proofs: ProofStatus;
  peers: PeerStatus[];
}

/**
 * verified: a peer's copy passed a proof of possession; this node's copy was
 * hashed against its id when stored and by each scrub since.
 */
export type CopyState = "verified" | "stored" | "pending" | "failed" | "missing";

export interface NodeCopy {
  nodeId: string;
  self: boolean;
  state: CopyState;
  ackedAt?: number;
  verifiedAt?: number;
  /** Why the transfer is waiting, when it failed before. */
  lastError?: string;
}

export interface WhereStored {
  blobId: string;
  nodes: NodeCopy[];
}

/** `POST /v1/replication/locations`: where each readable blob is, and the nodes' names. */
export interface LocationsAnswer {
  blobs: WhereStored[];
  names: Record<string, string>;
}

/** A copy was stored on, verified on or lost from a node (the `location` event). */
export interface LocationChange {
  blobId: string;
  nodeId: string;
  state: "stored" | "verified" | "lost";
}
