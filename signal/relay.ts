/**
 * The signaling relay (DESIGN §8, docs/PROTOCOL.md §8.1): a WebSocket hub
 * where nodes register by signing a challenge with their node key, and which
 * forwards `signal` messages (signed offers and answers) between registered
 * ids only. It stores nothing, logs no payload, and learns node ids, public
 * keys and the IP addresses in the SDPs it forwards — never a family, a key
 * of a member, or a photo.
 *
 * Abuse: a frame over `maxFrameBytes`, malformed JSON, an unknown message or
 * anything before registration closes that connection (1008/1009); each
 * registered id and each IP has a message rate, each IP a connection rate and
 * a cap on open connections; a connection that keeps flooding past its rate
 * is closed. Others are served throughout.
 *
 * Several instances (docs/OPERATIONS.md "Scaling the relay") share a
 * {@link RelayBus}: a node registered on one is reachable from nodes on the
 * others, and a node that registers on another instance takes its
 * registration with it. Each instance still checks registrations itself.
 */

import { fromBase64Url, toBase64Url } from "../lib/crypto/mod.ts";
import { getLogger } from "../lib/core/log.ts";
import { nodeIdOfKey } from "../lib/core/node_kinds.ts";
import { verifyEd25519 } from "../lib/net/signing.ts";
import { ClientMessage, registrationInput, type RelayMessage } from "../lib/net/signal_protocol.ts";
import { BucketMap, type Rate, TokenBucket } from "./rate_limit.ts";
import { type TurnConfig, turnCredentials } from "./turn_credentials.ts";
import type { RelayBus } from "./bus.ts";

const log = getLogger("signal");

export interface RelayOptions {
  /** Largest frame accepted. @default 64 KiB */
  maxFrameBytes?: number;
  /** Messages per registered id. @default 20/s, burst 100 */
  idRate?: Rate;
  /** Messages per client IP, all its connections together. @default 200/s, burst 2000 */
  ipRate?: Rate;
  /** New connections per client IP. @default 2/s, burst 120 */
  connectRate?: Rate;
  /** Open connections per client IP. @default 64 */
  maxConnsPerIp?: number;
  /** Open connections in all. @default 10_000 */
  maxConns?: number;
  /** A connection must register within this long. @default 10_000 */
  registerTimeoutMs?: number;
  turn?: TurnConfig;
  /** Shared with the other instances of this relay; absent: a relay of one. */
  bus?: RelayBus;
  now?: () => number;
}

export interface RelayStats {
  connections: number;
  registered: number;
  forwarded: number;
  /** Of those, signals handed to another instance over the bus. */
  forwardedViaBus: number;
  /** Signals from other instances delivered to nodes here. */
  deliveredFromBus: number;
  /** "nats" when instances share a bus. */
  bus?: string;
  busConnected?: boolean;
  /** Connections closed for malformed, oversize or unexpected frames. */
  closedForAbuse: number;
  throttled: number;
}

interface Conn {
  socket: WebSocket;
  ip: string;
  host: string;
  nonce: string;
  nodeId?: string;
  bucket?: TokenBucket;
  strikes: number;
  closed: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

export class SignalRelay {
  readonly #opt: Required<Omit<RelayOptions, "turn" | "bus">> & { turn?: TurnConfig };
  readonly #bus?: RelayBus;
  readonly #byId = new Map<string, Conn>();
  readonly #conns = new Set<Conn>();
  readonly #perIp = new Map<string, number>();
  readonly #ipMessages: BucketMap;
  readonly #ipConnects: BucketMap;
  readonly #stats = {
    forwarded: 0,
    forwardedViaBus: 0,
    deliveredFromBus: 0,
    closedForAbuse: 0,
    throttled: 0,
  };

  constructor(options: RelayOptions = {}) {
    const { bus, ...rest } = options;
    this.#bus = bus;
    if (bus) {
      bus.deliver = (to, signal) => {
        const conn = this.#byId.get(to);
        if (!conn || conn.closed) return false;
        this.#stats.deliveredFromBus++;
        this.#send(conn, { type: "signal", from: signal.from, data: signal.data });
        return true;
      };
      // The node registered on another instance: the connection here is stale.
      bus.evicted = (nodeId) => {
        const conn = this.#byId.get(nodeId);
        if (conn) this.#close(conn, 4000, "registered again elsewhere", false);
      };
    }
    this.#opt = {
      maxFrameBytes: 64 * 1024,
      idRate: { perSec: 20, burst: 100 },
      ipRate: { perSec: 200, burst: 2000 },
      connectRate: { perSec: 2, burst: 120 },
      maxConnsPerIp: 64,
      maxConns: 10_000,
      registerTimeoutMs: 10_000,
      now: Date.now,
      ...rest,
    };
    this.#ipMessages = new BucketMap(this.#opt.ipRate, this.#opt.now);
    this.#ipConnects = new BucketMap(this.#opt.connectRate, this.#opt.now);
  }

  stats(): RelayStats {
    return {
      connections: this.#conns.size,
      registered: this.#byId.size,
      ...this.#stats,
      ...(this.#bus ? { bus: this.#bus.kind, busConnected: this.#bus.connected } : {}),
    };
  }

  /** Answers a WebSocket upgrade on the relay's path; `ip` is the client's address. */
  handle(req: Request, ip: string): Response {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return Response.json(
        { error: { code: "not_websocket", message: "The signaling relay speaks WebSocket" } },
        { status: 426, headers: { upgrade: "websocket" } },
      );
    }
    const open = this.#perIp.get(ip) ?? 0;
    if (
      this.#conns.size >= this.#opt.maxConns || open >= this.#opt.maxConnsPerIp ||
      !this.#ipConnects.take(ip)
    ) {
      this.#stats.throttled++;
      return Response.json(
        { error: { code: "rate_limited", message: "Too many connections; try again later" } },
        { status: 429, headers: { "retry-after": "5" } },
      );
    }
    const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: 60 });
    const conn: Conn = {
      socket,
      ip,
      host: new URL(req.url).host,
      nonce: toBase64Url(crypto.getRandomValues(new Uint8Array(32))),
      strikes: 0,
      closed: false,
    };
    this.#conns.add(conn);
    this.#perIp.set(ip, open + 1);
    socket.onopen = () => {
      this.#send(conn, { type: "challenge", nonce: conn.nonce });
      conn.timer = setTimeout(
        () => this.#close(conn, 1008, "registration timed out", false),
        this.#opt.registerTimeoutMs,
      );
    };
    socket.onmessage = (e) => {
      this.#onMessage(conn, e.data).catch((err) =>
        this.#close(conn, 1011, `relay error: ${(err as Error).message}`, false)
      );
    };
    socket.onclose = () => this.#gone(conn);
    socket.onerror = () => this.#gone(conn);
    return response;
  }

  /** Closes every connection (shutdown). */
  close(): void {
    for (const c of [...this.#conns]) this.#close(c, 1001, "relay stopping", false);
  }

  async #onMessage(conn: Conn, data: unknown): Promise<void> {
    if (conn.closed) return;
    if (typeof data !== "string") return this.#close(conn, 1003, "text frames only", true);
    if (data.length > this.#opt.maxFrameBytes) {
      return this.#close(conn, 1009, "frame too large", true);
    }
    if (!this.#ipMessages.take(conn.ip) || (conn.bucket && !conn.bucket.take())) {
      this.#stats.throttled++;
      // A client that keeps sending past its rate is not listening to the errors.
      if (++conn.strikes > this.#opt.idRate.burst) {
        return this.#close(conn, 1008, "flooding", true);
      }
      return this.#send(conn, { type: "error", code: "rate_limited", message: "Slow down" });
    }
    let msg: ClientMessage;
    try {
      const parsed = ClientMessage.safeParse(JSON.parse(data));
      if (!parsed.success) throw new Error("unknown message");
      msg = parsed.data;
    } catch {
      return this.#close(conn, 1008, "malformed or unknown message", true);
    }
    if (!conn.nodeId && msg.type !== "register") {
      return this.#close(conn, 1008, "register first", true);
    }
    switch (msg.type) {
      case "register":
        return await this.#register(conn, msg);
      case "signal": {
        const to = this.#byId.get(msg.to);
        if (!to && this.#bus) {
          const signal = { from: conn.nodeId!, data: msg.data };
          if (await this.#bus.forward(msg.to, signal)) {
            this.#stats.forwarded++;
            this.#stats.forwardedViaBus++;
            return;
          }
        }
        if (!to) {
          return this.#send(conn, {
            type: "error",
            code: "not_registered",
            message: this.#bus
              ? "That node is not connected to this relay or its other instances"
              : "That node is not connected to this relay",
            to: msg.to,
          });
        }
        this.#stats.forwarded++;
        return this.#send(to, { type: "signal", from: conn.nodeId!, data: msg.data });
      }
      case "turn":
        return this.#send(conn, { type: "turn", turn: this.#turn(conn.nodeId!) });
      case "ping":
        return this.#send(conn, { type: "pong" });
    }
  }

  async #register(conn: Conn, msg: Extract<ClientMessage, { type: "register" }>): Promise<void> {
    if (conn.nodeId) return this.#close(conn, 1008, "already registered", true);
    let derived: string | undefined;
    try {
      derived = nodeIdOfKey(msg.publicKey);
    } catch { /* refused below */ }
    const ok = derived === msg.nodeId && await verifyEd25519(
      fromBase64Url(msg.signature),
      registrationInput(conn.host, conn.nonce, msg.nodeId),
      fromBase64Url(msg.publicKey),
    );
    if (!ok) {
      log.warn("Registration refused: the signature does not prove that node id", {
        ip: conn.ip,
      });
      this.#send(conn, {
        type: "error",
        code: "bad_registration",
        message: "The registration is not signed by the key of that node id",
      });
      return this.#close(conn, 1008, "bad registration", true);
    }
    clearTimeout(conn.timer);
    if (conn.closed) return;
    const previous = this.#byId.get(msg.nodeId);
    // Only the key's holder could sign this: it reconnected, so its old socket is stale.
    if (previous) this.#close(previous, 4000, "registered again elsewhere", false);
    conn.nodeId = msg.nodeId;
    conn.bucket = new TokenBucket(this.#opt.idRate, this.#opt.now);
    this.#byId.set(msg.nodeId, conn);
    if (this.#bus) {
      // Told "registered" only once the other instances can reach it here.
      // A bus that is down must not hold registrations up: the node is then reachable here.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#bus.claim(msg.nodeId),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("no answer in 2 s")), 2_000);
        }),
      ]).catch((err) =>
        log.warn("The message bus did not take a registration; it is reachable here only", {
          error: (err as Error).message,
        })
      ).finally(() => clearTimeout(timer));
      if (conn.closed) return;
    }
    log.debug("Node registered", { node: msg.nodeId });
    this.#send(conn, { type: "registered", nodeId: msg.nodeId, turn: this.#turn(msg.nodeId) });
  }

  #turn(nodeId: string) {
    return this.#opt.turn ? turnCredentials(this.#opt.turn, nodeId, this.#opt.now()) : undefined;
  }

  #send(conn: Conn, msg: RelayMessage): void {
    if (conn.closed || conn.socket.readyState !== WebSocket.OPEN) return;
    try {
      conn.socket.send(JSON.stringify(msg));
    } catch { /* closing */ }
  }

  #close(conn: Conn, code: number, reason: string, abuse: boolean): void {
    if (conn.closed) return;
    if (abuse) {
      this.#stats.closedForAbuse++;
      log.debug("Closed a connection", { ip: conn.ip, reason });
    }
    try {
      conn.socket.close(code, reason);
    } catch { /* not open yet */ }
    this.#gone(conn);
  }

  #gone(conn: Conn): void {
    if (!this.#conns.delete(conn)) return;
    conn.closed = true;
    clearTimeout(conn.timer);
    const n = (this.#perIp.get(conn.ip) ?? 1) - 1;
    if (n <= 0) this.#perIp.delete(conn.ip);
    else this.#perIp.set(conn.ip, n);
    if (conn.nodeId && this.#byId.get(conn.nodeId) === conn) {
      this.#byId.delete(conn.nodeId);
      this.#bus?.release(conn.nodeId);
    }
  }
}
