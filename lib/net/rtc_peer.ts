/**
 * One werift RTCPeerConnection with one ordered data channel, seen through
 * the little the links need of it: make or take an offer, take the answer,
 * and, once the channel opens, a {@link FrameChannel} and the ICE path.
 *
 * {@link localRtcPeer} runs werift on the calling thread; `worker_rtc_peer.ts`
 * runs this same code in a Worker, so that werift's per-packet SCTP, DTLS and
 * UDP work (docs/BENCHMARKS.md: ~90 CPU-s per GiB) leaves the node's event
 * loop, and several connections to one peer run on several cores (issue #12).
 */

import { Buffer } from "node:buffer";
import type { RTCDataChannel, RTCPeerConnection } from "werift";
import type { FrameChannel } from "./data_link.ts";

/** ICE candidate types of the pair in use: "webrtc/host", "webrtc/srflx", "webrtc/relay". */
export type LinkPath = `webrtc/${"host" | "srflx" | "relay"}`;

/** What werift is given (structured-clonable, so a Worker can be handed it). */
export interface RtcPeerConfig {
  iceServers: { urls: string; username?: string; credential?: string }[];
  iceTransportPolicy: "all" | "relay";
  /** Offer 127.0.0.1 as a host candidate (a loopback-only host: tests, the demo). */
  loopback: boolean;
}

export interface RtcPeer {
  /** Creates the data channel and returns the local offer's SDP. */
  offer(): Promise<string>;
  /** Takes the peer's offer and returns the local answer's SDP. */
  answer(offerSdp: string): Promise<string>;
  /** Takes the peer's answer to {@link offer}. */
  accept(answerSdp: string): Promise<void>;
  /** Resolves when the data channel is open. */
  readonly opened: Promise<OpenedChannel>;
  /** Called once the connection failed or closed (after it was open). */
  onGone(cb: (state: string) => void): void;
  /**
   * Called on each change of the connection's ICE state, its overall (ICE + DTLS) state and its
   * data channel's state: what a link that does not open shows of where it stopped.
   */
  onState(cb: (what: PeerStateKind, state: string) => void): void;
  close(): void;
}

/** An open data channel, the ICE path it takes, and the engine that moves it. */
export interface OpenedChannel {
  channel: FrameChannel;
  path: LinkPath;
  engine: "werift" | "libwebrtc";
}

/** The states an {@link RtcPeer} reports: ICE, ICE + DTLS ("connection"), the data channel. */
export type PeerStateKind = "ice" | "connection" | "channel";

/** Bytes under which werift's `bufferedAmountLow` fires (DESIGN §2 backpressure). */
export const LOW_WATER = 256 * 1024;

let werift: Promise<typeof import("werift")> | undefined;

/**
 * werift, with its SCTP and DTLS client patched (`_werift_sctp_patch.ts`, `_werift_dtls_patch.ts`),
 * loaded on the first connection: a node
 * that never opens a data channel on werift (no relay, or `--webrtc-engine libwebrtc`) does not
 * hold it (≈ 30 MiB of memory, docs/BENCHMARKS.md).
 */
function loadWerift(): Promise<typeof import("werift")> {
  werift ??= Promise.all([
    import("werift"),
    import("./_werift_sctp_patch.ts"),
    import("./_werift_dtls_patch.ts"),
  ]).then(([mod, sctp, dtls]) => {
    sctp.installWeriftSctpPatch(); // before the first association
    dtls.installWeriftDtlsPatch();
    return mod;
  });
  return werift;
}

/** What an engine's connection tells its {@link RtcPeer}: the channel opened; the connection ended. */
export interface EngineEvents {
  opened(v: OpenedChannel): void;
  gone(state: string): void;
  state(what: PeerStateKind, state: string): void;
}

/** One engine's peer connection, once made: the offer/answer half of an {@link RtcPeer}. */
export interface EngineConnection {
  /** Creates the data channel and the offer; returns the local SDP. */
  offer(): Promise<string>;
  answer(offerSdp: string): Promise<string>;
  accept(answerSdp: string): Promise<void>;
  close(): void;
}

/**
 * An {@link RtcPeer} whose connection is made on its first offer or answer, once `load` has
 * loaded the engine's code and handed back the function that makes one: the parts every engine
 * shares (werift here, libwebrtc in `libwebrtc_peer.ts`).
 */
export function lazyRtcPeer(load: EngineLoader): RtcPeer {
  let conn: EngineConnection | undefined;
  let closed = false;
  const gone: ((state: string) => void)[] = [];
  const states: ((what: PeerStateKind, state: string) => void)[] = [];
  let open!: (v: OpenedChannel) => void;
  const opened = new Promise<OpenedChannel>((r) => (open = r));
  const events: EngineEvents = {
    opened: (v) => open(v),
    gone(state) {
      for (const cb of gone) cb(state);
    },
    state(what, state) {
      for (const cb of states) cb(what, state);
    },
  };
  const connection = async (): Promise<EngineConnection> => {
    const make = await load();
    if (closed) throw new Error("The peer connection was closed");
    conn = make(events);
    return conn;
  };
  return {
    offer: async () => await (await connection()).offer(),
    answer: async (offerSdp) => await (await connection()).answer(offerSdp),
    async accept(answerSdp) {
      if (!conn) throw new Error("accept() before offer()");
      await conn.accept(answerSdp);
    },
    opened,
    onGone(cb) {
      gone.push(cb);
    },
    onState(cb) {
      states.push(cb);
    },
    close() {
      closed = true;
      conn?.close();
    },
  };
}

/** What loads an engine and hands back the function that makes its connections. */
export type EngineLoader = () => Promise<(events: EngineEvents) => EngineConnection>;

/** werift on this thread. */
export function localRtcPeer(config: RtcPeerConfig): RtcPeer {
  return lazyRtcPeer(weriftEngine(config));
}

/** werift's connections (loaded on first use, with its SCTP patch). */
export function weriftEngine(config: RtcPeerConfig): EngineLoader {
  return async () => {
    const { RTCPeerConnection } = await loadWerift();
    return (events) => {
      const pc = new RTCPeerConnection({
        iceServers: config.iceServers,
        iceTransportPolicy: config.iceTransportPolicy,
        iceAdditionalHostAddresses: config.loopback ? ["127.0.0.1"] : undefined,
        iceUseIpv6: false,
        // DESIGN §2: werift refuses messages over 64 KiB unless both ends advertise no limit.
        maxMessageSize: 0,
      });
      // Watched once a description made the ICE transport: before, werift reports "completed".
      const watchIce = () => pc.iceConnectionStateChange.subscribe((s) => events.state("ice", s));
      pc.connectionStateChange.subscribe((s) => {
        events.state("connection", s);
        if (s === "failed" || s === "closed") events.gone(s);
      });
      const watch = (dc: RTCDataChannel) => {
        const ready = () =>
          events.opened({ channel: weriftChannel(dc), path: selectedPath(pc), engine: "werift" });
        events.state("channel", dc.readyState);
        dc.stateChanged.subscribe((s) => {
          events.state("channel", s);
          if (s === "open") ready();
        });
        if (dc.readyState === "open") ready();
      };
      return {
        async offer() {
          watch(pc.createDataChannel("p2pos-v1", { ordered: true }));
          await pc.setLocalDescription(await pc.createOffer());
          watchIce();
          return pc.localDescription!.sdp;
        },
        async answer(offerSdp) {
          pc.onDataChannel.subscribe(watch);
          await pc.setRemoteDescription({ type: "offer", sdp: offerSdp });
          watchIce();
          await pc.setLocalDescription(await pc.createAnswer());
          return pc.localDescription!.sdp;
        },
        async accept(answerSdp) {
          await pc.setRemoteDescription({ type: "answer", sdp: answerSdp });
        },
        close() {
          pc.close().catch(() => {});
        },
      };
    };
  };
}

/** A werift data channel as the link's {@link FrameChannel}. */
function weriftChannel(dc: RTCDataChannel): FrameChannel {
  dc.bufferedAmountLowThreshold = LOW_WATER;
  return {
    // The frame's bytes are handed over as they are (a view, no copy).
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
