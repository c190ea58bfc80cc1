/**
 * What a relay instance needs of the message bus that several instances share
 * (docs/OPERATIONS.md "Scaling the relay"): to say "node X is connected here",
 * and to hand a signal to whichever instance says so. The bus carries node ids
 * and the signed offers and answers the relay forwards anyway — never a key, a
 * registration signature or anything of a photo — and it is never trusted to
 * authenticate: registration is checked by the instance the node connects to,
 * and offers and answers are signed end to end (PROTOCOL §8.2).
 */

/** A signal travelling between instances: who sent it, and the payload for the node. */
export interface BusSignal {
  from: string;
  data: Record<string, unknown>;
}

export interface RelayBus {
  /**
   * This instance now holds `nodeId`: signals for it arrive through `deliver`. Another instance
   * that held it is told to let its (stale) connection go through `evicted` on that instance.
   * Resolves once the bus routes to this instance.
   */
  claim(nodeId: string): Promise<void>;
  /** This instance no longer holds `nodeId`. */
  release(nodeId: string): void;
  /** Hands `signal` to the instance holding `to`; false when no instance does. */
  forward(to: string, signal: BusSignal): Promise<boolean>;
  /** Set by the relay: a signal for a node this instance claimed. False if it is not here. */
  deliver?: (to: string, signal: BusSignal) => boolean;
  /** Set by the relay: another instance claimed `nodeId`. */
  evicted?: (nodeId: string) => void;
  /** A name for /health and logs ("nats"). */
  readonly kind: string;
  readonly connected: boolean;
  close(): Promise<void>;
}
