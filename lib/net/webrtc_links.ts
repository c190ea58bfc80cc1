/**
 * Data-channel links to family peers over werift (DESIGN §8, docs/PROTOCOL.md
 * §8): per peer, up to `lanes` RTCPeerConnections with one ordered data
 * channel each, opened through the signaling relay with signed offers and
 * answers ({@link SessionVerifier}), each carrying a {@link DataLink}. Requests
 * go to the open lane with the fewest streams, so concurrent transfers spread
 * over several SCTP associations — with {@link workerRtcPeer}, several threads
 * (issue #12, docs/BENCHMARKS.md). The lane is named in the signed session id
 * (`L<k>_…`, PROTOCOL §8.2); a node answers up to {@link MAX_LANES} lanes
 * whatever its own setting.
 *
 * - Lane 0 opens on first use; once it is up, the other lanes open in the
 *   background. A link is up while any lane is.
 * - Either side may offer; when both do at once, the offer of the node with
 *   the smaller id wins and the other answers it (per lane).
 * - A failed attempt backs off per peer (1 s doubling to 60 s, ±25 %); the
 *   next use after that tries again.
 * - The relay registration is the links' lease: when this node loses the
 *   relay it closes its links, and the transport falls back to HTTP until the
 *   relay is back (PROTOCOL §8.5 says why).
 * - Inbound requests reach `handler` only for `/internal/v1/…`, and only when
 *   signed by the node at the other end of the link.
 */

import { getLogger } from "../core/log.ts";
import type { NodeSigner, PeerAddress } from "../core/transport.ts";
import { toBase64Url } from "../crypto/mod.ts";
import { DataLink } from "./data_link.ts";
import { type LinkPath, localRtcPeer, type RtcPeer, type RtcPeerConfig } from "./rtc_peer.ts";
import type { TurnCredentials } from "./signal_protocol.ts";
import { SessionRefusedError, type SessionVerifier, signSession } from "./webrtc_session.ts";
import { H } from "./signing.ts";

const log = getLogger("net");

export interface IceConfig {
  /** `stun:` and `turn:` URLs from config; TURN ones get the relay's credentials. */
  iceServers: string[];
  iceTransportPolicy: "all" | "relay";
  /** Offer 127.0.0.1 as a host candidate (a loopback-only host: tests, the demo). */
  loopback: boolean;
}

/** What the links need of the relay client. */
export interface SignalPort {
  readonly registered: boolean;
  readonly turn?: TurnCredentials;
  send(to: string, data: Record<string, unknown>): boolean;
  refreshTurn(): void;
}

export interface LinkManagerDeps {
  signer: NodeSigner;
  verifier: SessionVerifier;
  /** Answers the peer's requests (the node's app). */
  handler(request: Request): Promise<Response>;
  ice: IceConfig;
  now?: () => number;
  /** A link came up or went down. */
  onChange?(peerId: string, up: boolean): void;
  /** An offer or answer was refused: who sent it and why (tests, logs). */
  onRefused?(from: string, err: SessionRefusedError): void;
  /** Makes one peer connection. @default localRtcPeer (werift on this thread) */
  newPeer?(config: RtcPeerConfig): RtcPeer;
}

export interface LinkManagerOptions {
  /** @default 15_000 */
  connectTimeoutMs?: number;
  /** @default 1_000 */
  backoffBaseMs?: number;
  /** @default 60_000 */
  backoffMaxMs?: number;
  /** Peer connections per peer (1–{@link MAX_LANES}). @default 1 */
  lanes?: number;
}

export type { LinkPath };

/** Most lanes a node opens or answers per peer. */
export const MAX_LANES = 4;

/** The lane an offer's session id names (`L<k>_…`); 0 for a session id without one. */
export function laneOf(session: string): number {
  const m = /^L(\d)_/.exec(session);
  return m ? Number(m[1]) : 0;
}

/** What the transports use of the links (a {@link LinkManager}, or a test's stand-in). */
export interface Links {
  link(peerId: string): DataLink | undefined;
  path(peerId: string): LinkPath | undefined;
  lastError(peerId: string): string | undefined;
  canTry(peerId: string): boolean;
  connect(peer: PeerAddress): Promise<DataLink>;
}

interface Attempt {
  session: string;
  role: "offerer" | "answerer";
  peer: RtcPeer;
  timer: ReturnType<typeof setTimeout>;
  /** What happened when, for the log of an attempt that fails (see {@link LinkManager.#step}). */
  trace: AttemptTrace;
}

/** An attempt's steps (offer sent, answer taken, ICE/DTLS/channel states) and its last states. */
interface AttemptTrace {
  start: number;
  steps: string[];
  states: Record<string, string>;
}

interface Lane {
  link?: DataLink;
  peer?: RtcPeer;
  path?: LinkPath;
  attempt?: Attempt;
  failures: number;
  retryAt: number;
}

interface Entry {
  lanes: Lane[];
  waiters: { resolve: (l: DataLink) => void; reject: (e: Error) => void }[];
  /** Failures with no lane open: the peer backs off as a whole. */
  failures: number;
  retryAt: number;
  lastError?: string;
}

export class LinkManager implements Links {
  readonly #peers = new Map<string, Entry>();
  readonly #toldAt = new Map<string, number>();
  readonly #opt: Required<LinkManagerOptions>;
  readonly #now: () => number;
  readonly #newPeer: (config: RtcPeerConfig) => RtcPeer;
  #signal?: SignalPort;
  #closed = false;
  #turn = 0;

  constructor(private readonly deps: LinkManagerDeps, options: LinkManagerOptions = {}) {
    this.#opt = {
      connectTimeoutMs: 15_000,
      backoffBaseMs: 1_000,
      backoffMaxMs: 60_000,
      lanes: 1,
      ...options,
    };
    if (!Number.isInteger(this.#opt.lanes) || this.#opt.lanes < 1 || this.#opt.lanes > MAX_LANES) {
      throw new RangeError(`"lanes" expected 1–${MAX_LANES}, got ${this.#opt.lanes}`);
    }
    this.#now = deps.now ?? Date.now;
    this.#newPeer = deps.newPeer ?? localRtcPeer;
  }

  /** Connects the relay client (made after this, since it calls back into it). */
  attach(signal: SignalPort): void {
    this.#signal = signal;
  }

  /**
   * The open link to `peerId` with the fewest streams in flight, if any; ties go round the
   * lanes in turn, so transfers started together spread before any has opened its stream.
   */
  link(peerId: string): DataLink | undefined {
    const lanes = this.#peers.get(peerId)?.lanes ?? [];
    let best: DataLink | undefined;
    const start = this.#turn++;
    for (let i = 0; i < lanes.length; i++) {
      const l = lanes[(start + i) % lanes.length].link;
      if (l && !l.closed && (!best || l.activeStreams < best.activeStreams)) best = l;
    }
    return best;
  }

  /** Open lanes to `peerId` (status, tests). */
  openLanes(peerId: string): number {
    return (this.#peers.get(peerId)?.lanes ?? []).filter((l) => l.link && !l.link.closed).length;
  }

  path(peerId: string): LinkPath | undefined {
    return this.#peers.get(peerId)?.lanes.find((l) => l.link && !l.link.closed)?.path;
  }

  lastError(peerId: string): string | undefined {
    return this.#peers.get(peerId)?.lastError;
  }

  /** Whether a connection attempt to `peerId` may start now (relay up, not backing off). */
  canTry(peerId: string): boolean {
    const e = this.#peers.get(peerId);
    return !this.#closed && this.#signal?.registered === true &&
      (!e || e.lanes.some((l) => l.attempt) || e.retryAt <= this.#now());
  }

  /** A link to `peer`, opened now if needed. Rejects when none can be opened. */
  connect(peer: PeerAddress): Promise<DataLink> {
    const open = this.link(peer.nodeId);
    if (open) {
      this.#fillLanes(peer.nodeId);
      return Promise.resolve(open);
    }
    const e = this.#entry(peer.nodeId);
    if (this.#closed) return Promise.reject(new Error("The node is stopping"));
    if (!this.#signal?.registered) {
      return Promise.reject(new Error("Not connected to the signaling relay"));
    }
    const trying = e.lanes.some((l) => l.attempt);
    if (!trying && e.retryAt > this.#now()) {
      return Promise.reject(
        new Error(`The data channel failed recently (${e.lastError ?? "unknown"}); retrying later`),
      );
    }
    const p = new Promise<DataLink>((resolve, reject) => e.waiters.push({ resolve, reject }));
    if (!trying) this.#offer(peer.nodeId, 0);
    return p;
  }

  /** A `signal` message from the relay. */
  onSignal(from: string, data: Record<string, unknown>): void {
    if (typeof data.refused === "string") {
      // Unsigned, so it can only end an attempt early, which the relay could do anyway.
      const e = this.#peers.get(from);
      const session = typeof data.session === "string" ? data.session : "";
      const lane = e?.lanes[laneOf(session)];
      if (lane?.attempt && lane.attempt.session === session) {
        this.#failed(
          from,
          laneOf(session),
          new Error(`The peer refused the offer (${data.refused.slice(0, 40)})`),
        );
      }
      return;
    }
    this.#onSession(from, data).catch((err) => {
      if (err instanceof SessionRefusedError) {
        log.warn("Refused an offer or answer", { from, code: err.code, reason: err.message });
        this.deps.onRefused?.(from, err);
        this.#tellRefused(from, err.code, data.session);
      } else {
        log.info("WebRTC negotiation failed", { peer: from, error: (err as Error).message });
        const session = typeof data.session === "string" ? data.session : "";
        this.#failed(from, laneOf(session), err as Error);
      }
    });
  }

  /** Tells a refused sender at once (at most every 5 s each), so it falls back without waiting. */
  #tellRefused(to: string, code: string, session: unknown): void {
    const now = this.#now();
    if ((this.#toldAt.get(to) ?? 0) > now - 5_000) return;
    if (this.#toldAt.size > 1000) this.#toldAt.clear();
    this.#toldAt.set(to, now);
    this.#signal?.send(to, { refused: code, session: typeof session === "string" ? session : "" });
  }

  /** The relay refused to deliver to `to`: its attempts fail now rather than at the timeout. */
  onRelayError(code: string, message: string, to?: string): void {
    const e = to ? this.#peers.get(to) : undefined;
    if (!e) return;
    e.lanes.forEach((lane, k) => {
      if (lane.attempt) this.#failed(to!, k, new Error(`${code}: ${message}`));
    });
  }

  /** The relay registration is the links' lease (PROTOCOL §8.5). */
  onRelayState(registered: boolean): void {
    if (registered) {
      for (const e of this.#peers.values()) {
        e.retryAt = 0;
        for (const l of e.lanes) l.retryAt = 0;
      }
      return;
    }
    for (const id of this.#peers.keys()) this.#drop(id, "lost the signaling relay");
  }

  close(): void {
    this.#closed = true;
    for (const id of this.#peers.keys()) this.#drop(id, "node stopping");
  }

  // --- negotiation ------------------------------------------------------------------------

  #entry(peerId: string): Entry {
    let e = this.#peers.get(peerId);
    if (!e) this.#peers.set(peerId, e = { lanes: [], waiters: [], failures: 0, retryAt: 0 });
    return e;
  }

  #lane(e: Entry, k: number): Lane {
    while (e.lanes.length <= k) e.lanes.push({ failures: 0, retryAt: 0 });
    return e.lanes[k];
  }

  /** With one lane up, opens the others that are idle and not backing off. */
  #fillLanes(peerId: string): void {
    if (this.#closed || !this.#signal?.registered) return;
    const e = this.#entry(peerId);
    for (let k = 0; k < this.#opt.lanes; k++) {
      const lane = this.#lane(e, k);
      if (!lane.link && !lane.attempt && lane.retryAt <= this.#now()) this.#offer(peerId, k);
    }
  }

  #newPeerConnection(): RtcPeer {
    const { ice } = this.deps;
    const turn = this.#signal?.turn;
    if (turn && turn.expiresAt - this.#now() < 5 * 60_000) this.#signal?.refreshTurn();
    const servers: RtcPeerConfig["iceServers"] = ice.iceServers.map((url) =>
      /^turns?:/.test(url) && turn
        ? { urls: url, username: turn.username, credential: turn.credential }
        : { urls: url }
    );
    if (turn && !ice.iceServers.some((u) => /^turns?:/.test(u))) {
      for (const url of turn.urls) {
        servers.push({ urls: url, username: turn.username, credential: turn.credential });
      }
    }
    return this.#newPeer({
      iceServers: servers,
      iceTransportPolicy: ice.iceTransportPolicy,
      loopback: ice.loopback,
    });
  }

  async #offer(peerId: string, k: number): Promise<void> {
    const lane = this.#lane(this.#entry(peerId), k);
    const peer = this.#newPeerConnection();
    const random = toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
    const session = k === 0 ? random : `L${k}_${random}`;
    const trace = this.#trace(peerId, k, "offerer", peer);
    lane.attempt = {
      session,
      role: "offerer",
      peer,
      timer: this.#timeout(peerId, k, session),
      trace,
    };
    try {
      this.#whenOpen(peerId, k, session, peer, "offerer");
      const sdp = await peer.offer();
      if (lane.attempt?.session !== session) return;
      this.#step(trace, peerId, k, "offer made");
      const msg = await signSession(this.deps.signer, {
        type: "offer",
        to: peerId,
        session,
        sdp,
        // The key rides along for a node with no family yet, which cannot look it up (pairing).
      }, { now: this.#now(), includeKey: true });
      if (!this.#signal?.send(peerId, msg)) throw new Error("Not connected to the signaling relay");
      this.#step(trace, peerId, k, "offer sent");
    } catch (err) {
      if (lane.attempt?.session === session) this.#failed(peerId, k, err as Error);
    }
  }

  async #onSession(from: string, data: Record<string, unknown>): Promise<void> {
    if (this.#closed) return;
    const m = await this.deps.verifier.verify(data);
    if (m.from !== from) throw new SessionRefusedError("bad_sender", "Relayed for another node");
    const k = laneOf(m.session);
    if (k >= MAX_LANES) {
      throw new SessionRefusedError("lane", `At most ${MAX_LANES} connections per peer`);
    }
    const e = this.#entry(from);
    const lane = this.#lane(e, k);
    if (m.type === "answer") {
      const a = lane.attempt;
      if (!a || a.role !== "offerer" || a.session !== m.session) {
        throw new SessionRefusedError("unexpected", "An answer to no offer of this node");
      }
      this.#step(a.trace, from, k, "answer received");
      await a.peer.accept(m.sdp);
      this.#step(a.trace, from, k, "answer taken");
      return;
    }
    // An offer. Both offered at once: the smaller node id's offer wins.
    if (lane.attempt?.role === "offerer" && this.deps.signer.nodeId < from) {
      this.#step(lane.attempt.trace, from, k, "the peer's crossing offer ignored (this one wins)");
      return;
    }
    if (lane.attempt) this.#abandon(lane);
    if (lane.link) {
      // The peer lost its end (restarted, or its link failed first): start afresh.
      lane.link.close("the peer opened a new data channel");
    }
    const peer = this.#newPeerConnection();
    const trace = this.#trace(from, k, "answerer", peer);
    lane.attempt = {
      session: m.session,
      role: "answerer",
      peer,
      timer: this.#timeout(from, k, m.session),
      trace,
    };
    this.#whenOpen(from, k, m.session, peer, "answerer");
    const sdp = await peer.answer(m.sdp);
    if (lane.attempt?.session !== m.session) return;
    this.#step(trace, from, k, "answer made");
    const answer = await signSession(this.deps.signer, {
      type: "answer",
      to: from,
      session: m.session,
      sdp,
    }, { now: this.#now() });
    if (!this.#signal?.send(from, answer)) throw new Error("Not connected to the signaling relay");
    this.#step(trace, from, k, "answer sent");
  }

  /** A new attempt's trace; the peer connection's state changes are steps of it. */
  #trace(peerId: string, k: number, role: Attempt["role"], peer: RtcPeer): AttemptTrace {
    const trace: AttemptTrace = { start: this.#now(), steps: [], states: {} };
    this.#step(trace, peerId, k, `${role} attempt started`);
    peer.onState((what, state) => {
      if (trace.states[what] === state) return;
      trace.states[what] = state;
      this.#step(trace, peerId, k, `${what} ${state}`);
    });
    return trace;
  }

  /**
   * Notes a step of an attempt (ms since it started), logged at debug (`--trace net`): an
   * attempt that fails logs them all, with the states it reached.
   */
  #step(trace: AttemptTrace, peerId: string, k: number, what: string): void {
    const ms = this.#now() - trace.start;
    if (trace.steps.length < 40) trace.steps.push(`${what} @${ms}ms`);
    log.debug("WebRTC attempt", { peer: peerId, lane: k, step: what, ms });
  }

  #whenOpen(
    peerId: string,
    k: number,
    session: string,
    peer: RtcPeer,
    role: "offerer" | "answerer",
  ): void {
    peer.opened.then(({ channel, path, engine }) => {
      const e = this.#entry(peerId);
      const lane = this.#lane(e, k);
      if (lane.attempt?.session !== session || this.#closed) {
        channel.close();
        peer.close();
        return;
      }
      clearTimeout(lane.attempt.timer);
      this.#step(lane.attempt.trace, peerId, k, "channel open to the link");
      lane.attempt = undefined;
      lane.peer = peer;
      lane.path = path;
      lane.failures = 0;
      e.failures = 0;
      e.lastError = undefined;
      const wasUp = this.link(peerId) !== undefined;
      const link = new DataLink(channel, {
        role,
        handler: (req) => this.#serve(peerId, req),
        // Counted so that what an interrupted transfer sends again can be measured.
        onServed: (target, status, bytes, complete) =>
          log.debug("Answered over the data channel", {
            peer: peerId,
            lane: k,
            target,
            status,
            bytes,
            complete,
          }),
        onClose: (reason) => {
          if (lane.link !== link) return;
          lane.link = undefined;
          lane.peer = undefined;
          peer.close();
          log.info("Data channel closed", { peer: peerId, lane: k, reason });
          if (!this.link(peerId)) this.deps.onChange?.(peerId, false);
        },
      });
      lane.link = link;
      peer.onGone((s) => link.close(`connection ${s}`));
      log.info("Data channel open", { peer: peerId, lane: k, path, engine });
      for (const w of e.waiters.splice(0)) w.resolve(link);
      if (!wasUp) this.deps.onChange?.(peerId, true);
      this.#fillLanes(peerId);
    }).catch((err) => log.warn("Opening a data channel failed", { error: String(err) }));
  }

  #timeout(peerId: string, k: number, session: string): ReturnType<typeof setTimeout> {
    return setTimeout(() => {
      if (this.#peers.get(peerId)?.lanes[k]?.attempt?.session === session) {
        this.#failed(peerId, k, new Error("the data channel did not open in time"));
      }
    }, this.#opt.connectTimeoutMs);
  }

  #abandon(lane: Lane): void {
    if (!lane.attempt) return;
    clearTimeout(lane.attempt.timer);
    lane.attempt.peer.close();
    lane.attempt = undefined;
  }

  #backoff(failures: number): number {
    const base = Math.min(this.#opt.backoffMaxMs, this.#opt.backoffBaseMs * 2 ** (failures - 1));
    return this.#now() + Math.round(base * (0.75 + Math.random() * 0.5));
  }

  #failed(peerId: string, k: number, err: Error): void {
    const e = this.#entry(peerId);
    const lane = this.#lane(e, k);
    const a = lane.attempt;
    this.#abandon(lane);
    lane.failures++;
    lane.retryAt = this.#backoff(lane.failures);
    if (a) {
      // Where it stopped: ICE not connected, DTLS not done (ICE connected, connection not), or
      // the data channel not open (connection connected). No SDP, no key: states and timings.
      log.info("WebRTC attempt failed", {
        peer: peerId,
        lane: k,
        role: a.role,
        error: err.message,
        ms: this.#now() - a.trace.start,
        ice: a.trace.states.ice ?? "new",
        connection: a.trace.states.connection ?? "new",
        channel: a.trace.states.channel ?? "none",
        failures: lane.failures,
        retryInMs: lane.retryAt - this.#now(),
        steps: a.trace.steps.join(", "),
      });
    }
    // Another lane still carries the link: only this lane backs off.
    if (this.link(peerId) || e.lanes.some((l) => l.attempt)) return;
    e.failures++;
    e.lastError = err.message;
    e.retryAt = this.#backoff(e.failures);
    for (const w of e.waiters.splice(0)) w.reject(err);
  }

  #drop(peerId: string, reason: string): void {
    const e = this.#peers.get(peerId);
    if (!e) return;
    for (const lane of e.lanes) {
      this.#abandon(lane);
      lane.link?.close(reason);
    }
    for (const w of e.waiters.splice(0)) w.reject(new Error(reason));
  }

  // --- the peer's requests ----------------------------------------------------------------

  async #serve(peerId: string, req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (!url.pathname.startsWith("/internal/v1/")) {
      return refusal(404, "not_found", "Only /internal/v1 is served over a data channel");
    }
    if (req.headers.get(H.node) !== peerId) {
      return refusal(401, "wrong_link", "A request over a data channel must be signed by its peer");
    }
    return await this.deps.handler(req);
  }
}

function refusal(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
