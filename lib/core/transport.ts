/**
 * The Transport interface (DESIGN §3, §7): how the replication engine talks to
 * one peer node. HTTP (lib/net/http_transport.ts) and data channels
 * (lib/net/webrtc_transport.ts) implement it, and lib/net/multipath_transport.ts
 * chooses between them per peer. The engine never knows which one it uses.
 *
 * Every call is authenticated by the implementation with this node's key and
 * checked by the peer against the family's node records; everything a peer
 * returns that matters is verified again here (record signatures by the
 * record log, blob bytes by their hash), so a transport is trusted for
 * delivery only.
 *
 * Browser-compatible: types and errors only.
 */

import { P2posError } from "./errors.ts";

/** Where and who a peer is, from its admin-signed node record. */
export interface PeerAddress {
  nodeId: string;
  /** base64url Ed25519 public key. */
  publicKey: string;
  /** http(s) origin, when the peer accepts connections. */
  url?: string;
}

/** Signs with this node's key (lib/store NodeKey satisfies it). */
export interface NodeSigner {
  nodeId: string;
  publicKey: Uint8Array;
  /** Ed25519 over `message`; a node key signs with WebCrypto, hence the promise. */
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** What a peer says about itself, and how far it has read the caller's feed. */
export interface PeerHello {
  nodeId: string;
  version: string;
  /** Identifies the peer's record feed; a new id means the feed restarted from 0. */
  indexId: string;
  lastSeq: number;
  /** The peer's cursor of the caller's feed (the index id the caller named). */
  cursor: number;
  /**
   * What the peer stores, and where: its blob store's backend ("fs" or "s3"); `full` when its
   * disk is full (it cannot take blobs now).
   */
  storage?: { blobs: number; bytes: number; backend?: string; full?: boolean };
}

/** One page of a peer's record feed: records with sequence in (after, lastSeq]. */
export interface FeedPage {
  indexId: string;
  /** The `after` the page was asked for. */
  after: number;
  lastSeq: number;
  records: unknown[];
  /** More records follow `lastSeq`. */
  more: boolean;
}

export interface InventoryPage {
  ids: string[];
  /** Present when more ids follow; pass as `after`. */
  next?: string;
}

export interface BlobDownload {
  size: number;
  stream: ReadableStream<Uint8Array>;
}

/** What a fresh node needs to join: its setup code and the family's trust records. */
export interface BootstrapRequest {
  code: string;
  records: unknown[];
}

/** Throughput of recent blob transfers with one peer over one path. */
export interface PathThroughput {
  path: string;
  /** Moving average over recent transfers of ≥ 256 KiB. */
  bytesPerSec: number;
  /** When the last sample was taken (ms). */
  at: number;
}

/** Which path a transport uses with one peer, and how fast each has been. */
export interface PathInfo {
  /** Path of the last exchange: "http", "webrtc/host", "webrtc/srflx", "webrtc/relay". */
  path: string;
  /** Path blobs take now (the one measured faster when several answer). */
  blobPath?: string;
  throughput: PathThroughput[];
  /** Why the data channel is down, when it is. */
  linkError?: string;
}

export interface Transport {
  /** Shown per peer in the UI when `describe` is absent ("http"). */
  readonly path: string;
  /** The paths in use with `peer` (a transport with several paths chooses per peer). */
  describe?(peer: PeerAddress): PathInfo;
  /** Whether this transport can open a connection to `peer` at all (an HTTP URL, …). */
  reaches(peer: PeerAddress): boolean;
  /** Says hello naming this node's feed `indexId`; the answer carries the peer's cursor of it. */
  hello(peer: PeerAddress, indexId: string, signal?: AbortSignal): Promise<PeerHello>;
  pullRecords(peer: PeerAddress, after: number, limit: number): Promise<FeedPage>;
  /** Offers a page of this node's feed; resolves to the peer's cursor for this feed. */
  pushRecords(peer: PeerAddress, page: FeedPage): Promise<{ cursor: number }>;
  inventory(peer: PeerAddress, after?: string, limit?: number): Promise<InventoryPage>;
  /** Which of `ids` the peer holds. */
  haveBlobs(peer: PeerAddress, ids: string[]): Promise<string[]>;
  /** Sends blob `id` (`size` bytes) to the peer, which verifies the hash before storing. */
  putBlob(
    peer: PeerAddress,
    id: string,
    size: number,
    body: ReadableStream<Uint8Array> | Uint8Array,
    signal?: AbortSignal,
  ): Promise<{ created: boolean }>;
  /** Offers blobs: the peer queues pulls for those it lacks; `have` are those it holds. */
  offerBlobs(
    peer: PeerAddress,
    blobs: { id: string; size: number }[],
  ): Promise<{ have: string[]; queued: string[] }>;
  getBlob(peer: PeerAddress, id: string, signal?: AbortSignal): Promise<BlobDownload>;
  /** Proof of possession: the peer's lowercase hex SHA-256 of `nonce ‖ blob`. */
  proveBlob(peer: PeerAddress, id: string, nonce: Uint8Array): Promise<string>;
  /** Hands a fresh node the family (pairing); the peer checks the code and the records. */
  bootstrap(peer: PeerAddress, request: BootstrapRequest): Promise<void>;
}

/**
 * A call to a peer failed. `retryable` is false when the peer understood and
 * refused (bad request, not a family node), true when it may work later
 * (unreachable, timeout, 5xx).
 */
export class TransportError extends P2posError {
  readonly retryable: boolean;
  /** HTTP-like status when the peer answered, 0 when it could not be reached. */
  readonly status: number;
  constructor(
    code: string,
    message: string,
    init: { retryable: boolean; status?: number; cause?: unknown },
  ) {
    super(code, message, { cause: init.cause });
    this.retryable = init.retryable;
    this.status = init.status ?? 0;
  }
}
