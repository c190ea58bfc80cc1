/**
 * {@link RelayBus} over NATS (docs/OPERATIONS.md says why NATS): each instance
 * subscribes to `p2pos.signal.v1.node.<id>` for the nodes connected to it, and
 * forwards with a NATS request to that subject — the answer says "delivered",
 * and NATS's "no responders" says at once that no instance holds the node, so
 * the sender gets `not_registered` as it does on one relay. A claim is
 * published on `p2pos.signal.v1.claim.<id>` so that an instance still holding
 * a stale connection of that node lets it go. Nothing is stored on the bus:
 * when an instance dies, NATS drops its subscriptions with its connection.
 */

import {
  type ConnectionOptions,
  type NatsConnection,
  NatsConnectionImpl,
  setTransportFactory,
  type Subscription,
} from "@nats-io/transport-node";
// The Node transport is not exported from the package's entry point; its path is stable in 3.x.
import { nodeResolveHost, NodeTransport } from "@nats-io/transport-node/lib/node_transport.js";
import { getLogger } from "../lib/core/log.ts";
import type { BusSignal, RelayBus } from "./bus.ts";

const log = getLogger("signal");
const PREFIX = "p2pos.signal.v1";
const enc = new TextEncoder();
const dec = new TextDecoder();
/** Node ids are base32 groups joined by dashes: safe as one NATS subject token. */
const TOKEN = /^[A-Z2-7-]{1,80}$/;

export interface NatsBusOptions {
  /** `nats://[user:pass@]host:port`, one or more (a NATS cluster's seeds). */
  servers: string[];
  /** How long a forward waits for the holding instance. @default 2_000 */
  forwardTimeoutMs?: number;
  /** Names this instance's NATS connection (shown by the NATS server). */
  name?: string;
  /** How long connecting at start may take. @default 20_000 (nats.js's default) */
  connectTimeoutMs?: number;
}

type Socket = import("node:net").Socket;
const ignore = () => {};

/**
 * nats.js's Node transport drops every listener of its socket (`removeAllListeners()`) when it
 * closes it or gives up on it (a refused password, a drain); a `read ECONNRESET` that Deno's
 * node:net delivers after that has no listener and would be thrown as an uncaught error,
 * stopping the relay (seen when the server refuses the password and resets the connection). This
 * transport keeps one listener that ignores errors on every socket it has used, so an error after
 * the close is dropped; while the socket is in use nats.js's own listeners still see every error.
 */
class GuardedTransport extends NodeTransport {
  constructor() {
    super();
    let socket: Socket | undefined;
    Object.defineProperty(this, "socket", {
      get: () => socket,
      set: (s: Socket | undefined) => {
        if (s && s !== socket) guard(s);
        socket = s;
      },
    });
  }
}

function guard(s: Socket): void {
  const removeAll = s.removeAllListeners;
  s.removeAllListeners = function (
    this: Socket,
    ...args: Parameters<Socket["removeAllListeners"]>
  ) {
    const r = removeAll.apply(this, args);
    if (args[0] === undefined || args[0] === "error") this.on("error", ignore);
    return r;
  };
  s.on("error", ignore);
}

/** nats.js's own `connect()` for Node, with {@link GuardedTransport}. */
function connect(options: ConnectionOptions): Promise<NatsConnection> {
  setTransportFactory({ factory: () => new GuardedTransport(), dnsResolveFn: nodeResolveHost });
  return NatsConnectionImpl.connect(options);
}

export class NatsBus implements RelayBus {
  readonly kind = "nats";
  readonly #nc: NatsConnection;
  readonly #subs = new Map<string, Subscription>();
  readonly #instance = crypto.randomUUID();
  readonly #timeout: number;
  #up = true;
  deliver?: (to: string, signal: BusSignal) => boolean;
  evicted?: (nodeId: string) => void;

  private constructor(nc: NatsConnection, options: NatsBusOptions) {
    this.#nc = nc;
    this.#timeout = options.forwardTimeoutMs ?? 2_000;
    const claims = nc.subscribe(`${PREFIX}.claim.*`);
    (async () => {
      for await (const m of claims) {
        const nodeId = m.subject.slice(`${PREFIX}.claim.`.length);
        if (dec.decode(m.data) !== this.#instance && this.#subs.has(nodeId)) {
          this.evicted?.(nodeId);
        }
      }
    })().catch(() => {});
    (async () => {
      for await (const s of nc.status()) {
        if (s.type === "disconnect" || s.type === "reconnect") {
          this.#up = s.type === "reconnect";
          log.warn(`Message bus ${s.type}`, { bus: "nats" });
        }
      }
    })().catch(() => {});
  }

  /** Connects to NATS; rejects with a clear error when no server answers. */
  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    if (!options.servers.length) throw new RangeError("The NATS bus needs at least one server");
    const servers: string[] = [];
    let user: string | undefined;
    let pass: string | undefined;
    for (const s of options.servers) {
      const u = new URL(s);
      if (u.protocol !== "nats:" && u.protocol !== "tls:") {
        throw new SyntaxError(`Bus URL "${u.protocol}//${u.host}" must be nats://host:port`);
      }
      if (u.username) {
        user = decodeURIComponent(u.username);
        pass = decodeURIComponent(u.password);
      }
      servers.push(`${u.hostname}:${u.port || 4222}`);
    }
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers,
        user,
        pass,
        name: options.name ?? "p2pos-signal",
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        timeout: options.connectTimeoutMs ?? 20_000,
      });
    } catch (err) {
      throw new Error(
        `Cannot reach the NATS bus at ${servers.join(", ")}: ${(err as Error).message}`,
      );
    }
    return new NatsBus(nc, options);
  }

  get connected(): boolean {
    return this.#up && !this.#nc.isClosed();
  }

  async claim(nodeId: string): Promise<void> {
    if (!TOKEN.test(nodeId)) throw new RangeError("A node id cannot be a bus subject");
    if (!this.#subs.has(nodeId)) {
      const sub = this.#nc.subscribe(`${PREFIX}.node.${nodeId}`);
      this.#subs.set(nodeId, sub);
      (async () => {
        for await (const m of sub) {
          let ok = false;
          try {
            const signal = JSON.parse(dec.decode(m.data)) as BusSignal;
            ok = this.deliver?.(nodeId, signal) ?? false;
          } catch { /* malformed: not delivered */ }
          // Stay silent when not delivered: the sender then sees a timeout or another holder.
          if (ok) m.respond(enc.encode("1"));
        }
      })().catch(() => {});
    }
    this.#nc.publish(`${PREFIX}.claim.${nodeId}`, enc.encode(this.#instance));
    // Once flushed, the server routes the node's subject here.
    await this.#nc.flush();
  }

  release(nodeId: string): void {
    this.#subs.get(nodeId)?.unsubscribe();
    this.#subs.delete(nodeId);
  }

  async forward(to: string, signal: BusSignal): Promise<boolean> {
    if (!TOKEN.test(to)) return false;
    try {
      await this.#nc.request(`${PREFIX}.node.${to}`, enc.encode(JSON.stringify(signal)), {
        timeout: this.#timeout,
      });
      return true;
    } catch {
      // No responders (no instance holds it), a timeout, or the bus is down: not delivered.
      return false;
    }
  }

  async close(): Promise<void> {
    this.#subs.clear();
    await this.#nc.drain().catch(() => this.#nc.close());
  }
}
