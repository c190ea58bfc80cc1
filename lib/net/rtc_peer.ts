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
import { type RTCDataChannel, RTCPeerConnection } from "werift";
import { installWeriftSctpPatch } from "./_werift_sctp_patch.ts";
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
  readonly opened: Promise<{ channel: FrameChannel; path: LinkPath }>;
  /** Called once the connection failed or closed (after it was open). */
  onGone(cb: (state: string) => void): void;
  close(): void;
}

/** Bytes under which werift's `bufferedAmountLow` fires (DESIGN §2 backpressure). */
export const LOW_WATER = 256 * 1024;

/** werift on this thread. */
export function localRtcPeer(config: RtcPeerConfig): RtcPeer {
  installWeriftSctpPatch(); // before the first association: see _werift_sctp_patch.ts
  const pc = new RTCPeerConnection({
    iceServers: config.iceServers,
    iceTransportPolicy: config.iceTransportPolicy,
    iceAdditionalHostAddresses: config.loopback ? ["127.0.0.1"] : undefined,
    iceUseIpv6: false,
    // DESIGN §2: werift refuses messages over 64 KiB unless both ends advertise no limit.
    maxMessageSize: 0,
  });
  let open!: (v: { channel: FrameChannel; path: LinkPath }) => void;
  const opened = new Promise<{ channel: FrameChannel; path: LinkPath }>((r) => (open = r));
  const watch = (dc: RTCDataChannel) => {
    const ready = () => open({ channel: weriftChannel(dc), path: selectedPath(pc) });
    if (dc.readyState === "open") ready();
    else dc.stateChanged.subscribe((s) => s === "open" && ready());
  };
  return {
    async offer() {
      watch(pc.createDataChannel("p2pos-v1", { ordered: true }));
      await pc.setLocalDescription(await pc.createOffer());
      return pc.localDescription!.sdp;
    },
    async answer(offerSdp) {
      pc.onDataChannel.subscribe(watch);
      await pc.setRemoteDescription({ type: "offer", sdp: offerSdp });
      await pc.setLocalDescription(await pc.createAnswer());
      return pc.localDescription!.sdp;
    },
    async accept(answerSdp) {
      await pc.setRemoteDescription({ type: "answer", sdp: answerSdp });
    },
    opened,
    onGone(cb) {
      pc.connectionStateChange.subscribe((s) => {
        if (s === "failed" || s === "closed") cb(s);
      });
    },
    close() {
      pc.close().catch(() => {});
    },
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
