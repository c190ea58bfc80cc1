/**
 * Data-channel links to family peers over werift (DESIGN §8, docs/PROTOCOL.md
 * §8): one RTCPeerConnection and one ordered data channel per peer, opened
 * through the signaling relay with signed offers and answers
 * ({@link SessionVerifier}), carrying a {@link DataLink}.
 *
 * - Either side may offer; when both do at once, the offer of the node with
 *   the smaller id wins and the other answers it.
 * - A failed attempt backs off per peer (1 s doubling to 60 s, ±25 %); the
 *   next use after that tries again.
 * - The relay registration is the links' lease: when this node loses the
 *   relay it closes its links, and the transport falls back to HTTP until the
 *   relay is back (PROTOCOL §8.5 says why).
 * - Inbound requests reach `handler` only for `/internal/v1/…`, and only when
 *   signed by the node at the other end of the link.
 */

import { Buffer } from "node:buffer";
import { type RTCDataChannel, RTCPeerConnection } from "werift";
import { getLogger } from "../core/log.ts";
import type { NodeSigner, PeerAddress } from "../core/transport.ts";
import { toBase64Url } from "../crypto/mod.ts";
import { DataLink, type FrameChannel } from "./data_link.ts";
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
}

export interface LinkManagerOptions {
  /** @default 15_000 */
  connectTimeoutMs?: number;
  /** @default 1_000 */
  backoffBaseMs?: number;
  /** @default 60_000 */
  backoffMaxMs?: number;
}

/** ICE candidate types of the pair in use: "webrtc/host", "webrtc/srflx", "webrtc/relay". */
export type LinkPath = `webrtc/${"host" | "srflx" | "relay"}`;

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
  pc: RTCPeerConnection;
  timer: ReturnType<typeof setTimeout>;
}

interface Entry {
  link?: DataLink;
  pc?: RTCPeerConnection;
  path?: LinkPath;
  attempt?: Attempt;
  waiters: { resolve: (l: DataLink) => void; reject: (e: Error) => void }[];
  failures: number;
  retryAt: number;
  lastError?: string;
}

export class LinkManager implements Links {
  readonly #peers = new Map<string, Entry>();
  readonly #toldAt = new Map<string, number>();
  readonly #opt: Required<LinkManagerOptions>;
  readonly #now: () => number;
  #signal?: SignalPort;
  #closed = false;

  constructor(private readonly deps: LinkManagerDeps, options: LinkManagerOptions = {}) {
    this.#opt = {
      connectTimeoutMs: 15_000,
      backoffBaseMs: 1_000,
      backoffMaxMs: 60_000,
      ...options,
    };
    this.#now = deps.now ?? Date.now;
  }

  /** Connects the relay client (made after this, since it calls back into it). */
  attach(signal: SignalPort): void {
    this.#signal = signal;
  }

  /** The open link to `peerId`, if any. */
  link(peerId: string): DataLink | undefined {
    const l = this.#peers.get(peerId)?.link;
    return l && !l.closed ? l : undefined;
  }

  path(peerId: string): LinkPath | undefined {
    return this.link(peerId) ? this.#peers.get(peerId)?.path : undefined;
  }

  lastError(peerId: string): string | undefined {
    return this.#peers.get(peerId)?.lastError;
  }

  /** Whether a connection attempt to `peerId` may start now (relay up, not backing off). */
  canTry(peerId: string): boolean {
    const e = this.#peers.get(peerId);
    return !this.#closed && this.#signal?.registered === true &&
      (!e || e.attempt !== undefined || e.retryAt <= this.#now());
  }

  /** The link to `peer`, opened now if needed. Rejects when it cannot be opened. */
  connect(peer: PeerAddress): Promise<DataLink> {
    const open = this.link(peer.nodeId);
    if (open) return Promise.resolve(open);
    const e = this.#entry(peer.nodeId);
    if (this.#closed) return Promise.reject(new Error("The node is stopping"));
    if (!this.#signal?.registered) {
      return Promise.reject(new Error("Not connected to the signaling relay"));
    }
    if (!e.attempt && e.retryAt > this.#now()) {
      return Promise.reject(
        new Error(`The data channel failed recently (${e.lastError ?? "unknown"}); retrying later`),
      );
    }
    const p = new Promise<DataLink>((resolve, reject) => e.waiters.push({ resolve, reject }));
    if (!e.attempt) this.#offer(peer.nodeId);
    return p;
  }

  /** A `signal` message from the relay. */
  onSignal(from: string, data: Record<string, unknown>): void {
    if (typeof data.refused === "string") {
      // Unsigned, so it can only end an attempt early, which the relay could do anyway.
      const e = this.#peers.get(from);
      if (e?.attempt && e.attempt.session === data.session) {
        this.#failed(from, new Error(`The peer refused the offer (${data.refused.slice(0, 40)})`));
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
        this.#failed(from, err as Error);
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

  /** The relay refused to deliver to `to`: its attempt fails now rather than at the timeout. */
  onRelayError(code: string, message: string, to?: string): void {
    if (to && this.#peers.get(to)?.attempt) this.#failed(to, new Error(`${code}: ${message}`));
  }

  /** The relay registration is the links' lease (PROTOCOL §8.5). */
  onRelayState(registered: boolean): void {
    if (registered) {
      for (const e of this.#peers.values()) e.retryAt = 0;
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
    if (!e) this.#peers.set(peerId, e = { waiters: [], failures: 0, retryAt: 0 });
    return e;
  }

  #newPeerConnection(): RTCPeerConnection {
    const { ice } = this.deps;
    const turn = this.#signal?.turn;
    if (turn && turn.expiresAt - this.#now() < 5 * 60_000) this.#signal?.refreshTurn();
    const servers = ice.iceServers.map((url) =>
      /^turns?:/.test(url) && turn
        ? { urls: url, username: turn.username, credential: turn.credential }
        : { urls: url }
    );
    if (turn && !ice.iceServers.some((u) => /^turns?:/.test(u))) {
      for (const url of turn.urls) {
        servers.push({ urls: url, username: turn.username, credential: turn.credential });
      }
    }
    return new RTCPeerConnection({
      iceServers: servers,
      iceTransportPolicy: ice.iceTransportPolicy,
      iceAdditionalHostAddresses: ice.loopback ? ["127.0.0.1"] : undefined,
      iceUseIpv6: false,
      // DESIGN §2: werift refuses messages over 64 KiB unless both ends advertise no limit.
      maxMessageSize: 0,
    });
  }

  async #offer(peerId: string): Promise<void> {
    const e = this.#entry(peerId);
    const pc = this.#newPeerConnection();
    const session = toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
    e.attempt = { session, role: "offerer", pc, timer: this.#timeout(peerId, session) };
    try {
      const dc = pc.createDataChannel("p2pos-v1", { ordered: true });
      this.#whenOpen(peerId, session, pc, dc, "offerer");
      await pc.setLocalDescription(await pc.createOffer());
      if (e.attempt?.session !== session) return;
      const msg = await signSession(this.deps.signer, {
        type: "offer",
        to: peerId,
        session,
        sdp: pc.localDescription!.sdp,
        // The key rides along for a node with no family yet, which cannot look it up (pairing).
      }, { now: this.#now(), includeKey: true });
      if (!this.#signal?.send(peerId, msg)) throw new Error("Not connected to the signaling relay");
    } catch (err) {
      if (e.attempt?.session === session) this.#failed(peerId, err as Error);
    }
  }

  async #onSession(from: string, data: Record<string, unknown>): Promise<void> {
    if (this.#closed) return;
    const m = await this.deps.verifier.verify(data);
    if (m.from !== from) throw new SessionRefusedError("bad_sender", "Relayed for another node");
    const e = this.#entry(from);
    if (m.type === "answer") {
      const a = e.attempt;
      if (!a || a.role !== "offerer" || a.session !== m.session) {
        throw new SessionRefusedError("unexpected", "An answer to no offer of this node");
      }
      await a.pc.setRemoteDescription({ type: "answer", sdp: m.sdp });
      return;
    }
    // An offer. Both offered at once: the smaller node id's offer wins.
    if (e.attempt?.role === "offerer" && this.deps.signer.nodeId < from) return;
    if (e.attempt) this.#abandon(e);
    if (e.link) {
      // The peer lost its end (restarted, or its link failed first): start afresh.
      e.link.close("the peer opened a new data channel");
    }
    const pc = this.#newPeerConnection();
    e.attempt = {
      session: m.session,
      role: "answerer",
      pc,
      timer: this.#timeout(from, m.session),
    };
    pc.onDataChannel.subscribe((dc) => this.#whenOpen(from, m.session, pc, dc, "answerer"));
    await pc.setRemoteDescription({ type: "offer", sdp: m.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    if (e.attempt?.session !== m.session) return;
    const answer = await signSession(this.deps.signer, {
      type: "answer",
      to: from,
      session: m.session,
      sdp: pc.localDescription!.sdp,
    }, { now: this.#now() });
    if (!this.#signal?.send(from, answer)) throw new Error("Not connected to the signaling relay");
  }

  #whenOpen(
    peerId: string,
    session: string,
    pc: RTCPeerConnection,
    dc: RTCDataChannel,
    role: "offerer" | "answerer",
  ): void {
    const opened = () => {
      const e = this.#entry(peerId);
      if (e.attempt?.session !== session || this.#closed) {
        dc.close();
        return;
      }
      clearTimeout(e.attempt.timer);
      e.attempt = undefined;
      e.pc = pc;
      e.failures = 0;
      e.lastError = undefined;
      e.path = selectedPath(pc);
      const link = new DataLink(werifChannel(dc), {
        role,
        handler: (req) => this.#serve(peerId, req),
        // Counted so that what an interrupted transfer sends again can be measured.
        onServed: (target, status, bytes, complete) =>
          log.debug("Answered over the data channel", {
            peer: peerId,
            target,
            status,
            bytes,
            complete,
          }),
        onClose: (reason) => {
          if (e.link !== link) return;
          e.link = undefined;
          e.pc = undefined;
          pc.close().catch(() => {});
          log.info("Data channel closed", { peer: peerId, reason });
          this.deps.onChange?.(peerId, false);
        },
      });
      e.link = link;
      pc.connectionStateChange.subscribe((s) => {
        if (s === "failed" || s === "closed") link.close(`connection ${s}`);
      });
      log.info("Data channel open", { peer: peerId, path: e.path });
      for (const w of e.waiters.splice(0)) w.resolve(link);
      this.deps.onChange?.(peerId, true);
    };
    if (dc.readyState === "open") opened();
    else dc.stateChanged.subscribe((s) => s === "open" && opened());
  }

  #timeout(peerId: string, session: string): ReturnType<typeof setTimeout> {
    return setTimeout(() => {
      if (this.#peers.get(peerId)?.attempt?.session === session) {
        this.#failed(peerId, new Error("the data channel did not open in time"));
      }
    }, this.#opt.connectTimeoutMs);
  }

  #abandon(e: Entry): void {
    if (!e.attempt) return;
    clearTimeout(e.attempt.timer);
    e.attempt.pc.close().catch(() => {});
    e.attempt = undefined;
  }

  #failed(peerId: string, err: Error): void {
    const e = this.#entry(peerId);
    this.#abandon(e);
    e.failures++;
    e.lastError = err.message;
    const base = Math.min(this.#opt.backoffMaxMs, this.#opt.backoffBaseMs * 2 ** (e.failures - 1));
    e.retryAt = this.#now() + Math.round(base * (0.75 + Math.random() * 0.5));
    for (const w of e.waiters.splice(0)) w.reject(err);
  }

  #drop(peerId: string, reason: string): void {
    const e = this.#peers.get(peerId);
    if (!e) return;
    this.#abandon(e);
    e.link?.close(reason);
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

/** A werift data channel as the link's {@link FrameChannel}. */
function werifChannel(dc: RTCDataChannel): FrameChannel {
  dc.bufferedAmountLowThreshold = 256 * 1024;
  return {
    send: (frame) => dc.send(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)),
    get bufferedAmount() {
      return dc.bufferedAmount;
    },
    close: () => dc.close(),
    attach(h) {
      dc.onMessage.subscribe((data) => {
        if (typeof data === "string") h.onMessage(new TextEncoder().encode(data));
        else h.onMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      });
      dc.stateChanged.subscribe((s) => s === "closed" && h.onClose());
      dc.bufferedAmountLow.subscribe(() => h.onDrain());
    },
  };
}

function selectedPath(pc: RTCPeerConnection): LinkPath {
  const pair = pc.iceTransports[0]?.getSelectedCandidatePair();
  const types = [pair?.local.candidate, pair?.remote.candidate].map((c) =>
    / typ (\w+)/.exec(c ?? "")?.[1] ?? "host"
  );
  if (types.includes("relay")) return "webrtc/relay";
  if (types.includes("srflx") || types.includes("prflx")) return "webrtc/srflx";
  return "webrtc/host";
}
