/**
 * The family's other nodes, as admin-signed node records name them, with what
 * this node has observed of each: reachable or not, by which transport path,
 * last seen, last error. Reachability is in memory; last seen and last sync
 * are persisted by {@link PeerStore}.
 */

import { activeNodes, type NodeBody } from "../core/node_kinds.ts";
import type { RecordView, TypedRecord } from "../core/record_kinds.ts";
import type { PeerAddress, Transport } from "../core/transport.ts";

export interface Peer extends PeerAddress {
  name: string;
}

export interface Reachability {
  reachable: boolean;
  /** When the last exchange succeeded, either way. */
  lastSeen?: number;
  lastError?: string;
  /** Transport path used for the last outbound exchange, or "inbound" when it only calls us. */
  path?: string;
  /** The peer said its disk is full (in hello, or by answering 507). */
  diskFull?: boolean;
}

export function peerOf(n: TypedRecord<NodeBody>): Peer {
  return { nodeId: n.id, publicKey: n.body.publicKey, url: n.body.url, name: n.body.name };
}

export class PeerDirectory {
  readonly #state = new Map<string, Reachability>();

  constructor(
    private readonly records: RecordView,
    private readonly selfId: string,
    private readonly transports: Transport[],
    /** The node this one joined through, while its own records do not name it yet. */
    private readonly pinned: () => Peer | undefined = () => undefined,
  ) {}

  /** Current family nodes other than this one. */
  list(): Peer[] {
    const peers = activeNodes(this.records).filter((n) => n.id !== this.selfId).map(peerOf);
    const pin = this.pinned();
    return pin ? [...peers, pin] : peers;
  }

  get(nodeId: string): Peer | undefined {
    return this.list().find((p) => p.nodeId === nodeId);
  }

  transportFor(peer: PeerAddress): Transport | undefined {
    return this.transports.find((t) => t.reaches(peer));
  }

  reachability(nodeId: string): Reachability {
    return this.#state.get(nodeId) ?? { reachable: false };
  }

  reachableIds(): string[] {
    return this.list().filter((p) => this.#state.get(p.nodeId)?.reachable).map((p) => p.nodeId);
  }

  /** Returns true when the peer was not reachable before (a "connect"). */
  markUp(nodeId: string, now: number, path: string): boolean {
    const prev = this.#state.get(nodeId);
    this.#state.set(nodeId, { reachable: true, lastSeen: now, path, diskFull: prev?.diskFull });
    return !prev?.reachable;
  }

  /** What the peer last said of its disk; returns true when that changed. */
  setDiskFull(nodeId: string, full: boolean): boolean {
    const prev = this.#state.get(nodeId) ?? { reachable: false };
    if ((prev.diskFull ?? false) === full) return false;
    this.#state.set(nodeId, { ...prev, diskFull: full || undefined });
    return true;
  }

  /** Returns true when the peer was reachable before (a "disconnect"). */
  markDown(nodeId: string, error: string): boolean {
    const prev = this.#state.get(nodeId);
    this.#state.set(nodeId, { ...prev, reachable: false, lastError: error.slice(0, 300) });
    return prev?.reachable === true;
  }

  forget(nodeId: string): void {
    this.#state.delete(nodeId);
  }
}
