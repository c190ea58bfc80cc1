/**
 * @module
 * The replication engine (DESIGN §7): record feeds pulled and pushed between family nodes,
 * a durable blob job queue with backoff, inventory reconciliation, proofs of possession and
 * "where is it stored". It sees peers only through the Transport interface of lib/core;
 * `main.ts` gives it a concrete transport (lib/net).
 *
 * ```ts
 * const replication = new Replicator({ db, blobs, records, kinds, self: nodeKey, transports });
 * replication.start();
 * replication.events.on((e) => console.log(e.type));
 * ```
 */

export {
  type BacklogCounts,
  type BlobJob,
  BlobJobQueue,
  type JobDir,
  type JobState,
} from "./blob_jobs.ts";
export { acceptBootstrap, TRUST_KINDS } from "./bootstrap.ts";
export { type ReplicationEvent, ReplicationEvents, type ReplicationListener } from "./events.ts";
export { FEED_HEAD_FILE, FeedHeadFile } from "./feed_head.ts";
export { type Location, LocationStore } from "./locations.ts";
export { ObservedBlobStore } from "./observed_blob_store.ts";
export { PeerStore } from "./peer_store.ts";
export { type Peer, PeerDirectory } from "./peers.ts";
export { PROOF_NONCE_BYTES, proofOf, proofsOf } from "./proof.ts";
export { type ProofRoundResult, ProofRounds, type ProofRoundsOptions } from "./proof_rounds.ts";
export { applyFromPeer, applyWithRetry } from "./record_apply.ts";
export { Replicator, type ReplicatorDeps, type ReplicatorOptions } from "./replicator.ts";
export type {
  Backlog,
  CopyState,
  NodeCopy,
  PeerStatus,
  ProofPlan,
  ProofStatus,
  ReplicationStatus,
  WhereStored,
} from "../core/replication_view.ts";
