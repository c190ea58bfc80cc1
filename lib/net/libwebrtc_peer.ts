/**
 * One peer connection on libwebrtc — Chromium's WebRTC, in C++ — through the `@roamhq/wrtc`
 * N-API addon (a prebuilt binary from npm), behind the same {@link RtcPeer} as werift's. Its SCTP,
 * DTLS and ICE run natively: werift alone moved 6–10 MiB/s at 65–80 CPU-s/GiB on each end here,
 * libwebrtc 55–74 MiB/s at 15–17 (docs/BENCHMARKS.md, issue #12). Chosen with
 * `--webrtc-engine libwebrtc`; the addon (26 MB) is loaded on the first connection, so a node on
 * werift never loads it. It speaks the same protocol (PROTOCOL §8): a family may mix engines.
 *
 * What differs from werift, and how this file deals with it:
 * - libwebrtc trickles candidates; the relay carries one offer and one answer, so the SDP is taken
 *   once gathering is complete (bounded: what was gathered after 5 s is sent).
 * - With `loopback` (tests, the demo) only 127.0.0.1 host candidates are offered: libwebrtc would
 *   offer every interface.
 * - `bufferedamountlow` does not reach Deno from the addon, so the channel polls `bufferedAmount`
 *   (every millisecond, only while it is above the low mark) to signal a drain.
 * - The DTLS certificate is libwebrtc's own per connection; as with werift, its fingerprint is in
 *   the SDP the node signs (PROTOCOL §8.2), and libwebrtc refuses a peer whose certificate does
 *   not match the remote SDP's fingerprint.
 */

import type { FrameChannel } from "./data_link.ts";
import {
  type EngineLoader,
  lazyRtcPeer,
  type LinkPath,
  LOW_WATER,
  type RtcPeer,
  type RtcPeerConfig,
  weriftEngine,
} from "./rtc_peer.ts";

// The addon's objects follow the W3C API; only what is used here is typed.
interface WrtcChannel {
  binaryType: string;
  readonly readyState: string;
  readonly bufferedAmount: number;
  onopen: (() => void) | null;
  onclose: (() => void) | null;
  onmessage: ((e: { data: ArrayBuffer | string }) => void) | null;
  send(data: Uint8Array): void;
  close(): void;
}
interface WrtcStats {
  forEach(cb: (s: Record<string, unknown>) => void): void;
}
interface WrtcConnection {
  readonly iceGatheringState: string;
  readonly connectionState?: string;
  readonly iceConnectionState: string;
  readonly localDescription: { sdp: string } | null;
  onicegatheringstatechange: (() => void) | null;
  onconnectionstatechange: (() => void) | null;
  oniceconnectionstatechange: (() => void) | null;
  ondatachannel: ((e: { channel: WrtcChannel }) => void) | null;
  createDataChannel(label: string, init: { ordered: boolean }): WrtcChannel;
  createOffer(): Promise<{ type: string; sdp: string }>;
  createAnswer(): Promise<{ type: string; sdp: string }>;
  setLocalDescription(d: { type: string; sdp: string }): Promise<void>;
  setRemoteDescription(d: { type: string; sdp: string }): Promise<void>;
  getStats(): Promise<WrtcStats>;
  close(): void;
}
type WrtcModule = {
  RTCPeerConnection: new (config: {
    iceServers: RtcPeerConfig["iceServers"];
    iceTransportPolicy: RtcPeerConfig["iceTransportPolicy"];
  }) => WrtcConnection;
};

let addon: Promise<WrtcModule> | undefined;
function loadAddon(): Promise<WrtcModule> {
  addon ??= import("@roamhq/wrtc").then((m) => (m.default ?? m) as unknown as WrtcModule);
  return addon;
}

/** Longest wait for ICE gathering before the SDP is sent with what was gathered. */
const GATHER_MS = 5_000;

/** A peer connection on libwebrtc. */
export function libwebrtcRtcPeer(config: RtcPeerConfig): RtcPeer {
  return lazyRtcPeer(libwebrtcEngine(config));
}

/**
 * Peer connections on libwebrtc where its addon loads, else on werift (`--webrtc-engine auto`):
 * a machine the addon has no binary for, or one whose system libraries it cannot use, still
 * replicates. `onFallback` hears the first failure to load it.
 */
export function libwebrtcOrWerift(
  onFallback: (err: Error) => void,
): (config: RtcPeerConfig) => RtcPeer {
  let told = false;
  return (config) =>
    lazyRtcPeer(async () => {
      try {
        return await libwebrtcEngine(config)();
      } catch (err) {
        if (!told) onFallback(err as Error);
        told = true;
        return await weriftEngine(config)();
      }
    });
}

/** libwebrtc's connections (the addon loaded on first use). */
export function libwebrtcEngine(config: RtcPeerConfig): EngineLoader {
  return async () => {
    const { RTCPeerConnection } = await loadAddon();
    return (events) => {
      const pc = new RTCPeerConnection({
        iceServers: config.iceServers,
        iceTransportPolicy: config.iceTransportPolicy,
      });
      let ended = false; // both state events may report the end: callers hear it once
      const channels: FrameChannel[] = []; // closed before the connection (see wrtcChannel)
      const watchState = () => {
        const state = pc.connectionState ?? pc.iceConnectionState;
        if (ended || (state !== "failed" && state !== "closed")) return;
        ended = true;
        events.gone(state);
      };
      pc.onconnectionstatechange = () => {
        if (pc.connectionState) events.state("connection", pc.connectionState);
        watchState();
      };
      pc.oniceconnectionstatechange = () => {
        events.state("ice", pc.iceConnectionState);
        watchState();
      };
      const watch = (dc: WrtcChannel) => {
        dc.binaryType = "arraybuffer";
        events.state("channel", dc.readyState);
        // Wrapped now, so that a message the peer sends as soon as the channel opens is kept
        // until the link attaches, while the path is read from the stats.
        const channel = wrtcChannel(dc);
        channels.push(channel);
        const ready = async () =>
          events.opened({ channel, path: await selectedPath(pc), engine: "libwebrtc" });
        if (dc.readyState === "open") ready();
        else {
          dc.onopen = () => {
            events.state("channel", "open");
            void ready();
          };
        }
      };
      const localSdp = async (): Promise<string> => {
        await gathered(pc);
        const sdp = pc.localDescription!.sdp;
        return config.loopback ? loopbackOnly(sdp) : sdp;
      };
      return {
        async offer() {
          watch(pc.createDataChannel("p2pos-v1", { ordered: true }));
          await pc.setLocalDescription(await pc.createOffer());
          return await localSdp();
        },
        async answer(offerSdp) {
          pc.ondatachannel = (e) => watch(e.channel);
          await pc.setRemoteDescription({ type: "offer", sdp: offerSdp });
          await pc.setLocalDescription(await pc.createAnswer());
          return await localSdp();
        },
        async accept(answerSdp) {
          await pc.setRemoteDescription({ type: "answer", sdp: answerSdp });
        },
        close() {
          for (const channel of channels) channel.close();
          try {
            pc.close();
          } catch { /* already closed */ }
        },
      };
    };
  };
}

function gathered(c: WrtcConnection): Promise<void> {
  return new Promise((resolve) => {
    if (c.iceGatheringState === "complete") return resolve();
    const timer = setTimeout(resolve, GATHER_MS);
    c.onicegatheringstatechange = () => {
      if (c.iceGatheringState !== "complete") return;
      clearTimeout(timer);
      resolve();
    };
  });
}

/** The SDP with host candidates other than 127.0.0.1 removed (server-reflexive and relay kept). */
export function loopbackOnly(sdp: string): string {
  return sdp
    .split("\r\n")
    .filter((line) => {
      const m = /^a=candidate:\S+ \d+ \S+ \d+ (\S+) \d+ typ host\b/.exec(line);
      return !m || m[1] === "127.0.0.1";
    })
    .join("\r\n");
}

/**
 * A libwebrtc data channel as the link's {@link FrameChannel}. Once it is closed — by the link, by
 * the peer, or with its connection — nothing here touches the native channel again: libwebrtc frees
 * a channel's internals when its connection closes, and reading its state after that crashed the
 * process (a segfault in the addon, when a node lost its relay while sending: the drain poll was
 * still due).
 */
function wrtcChannel(dc: WrtcChannel): FrameChannel {
  let onDrain = () => {};
  let polling = false;
  let closed = false;
  const early: Uint8Array[] = [];
  let deliver = (data: Uint8Array) => {
    early.push(data);
  };
  dc.onmessage = (e) => {
    deliver(typeof e.data === "string" ? new TextEncoder().encode(e.data) : new Uint8Array(e.data));
  };
  const poll = () => {
    if (closed || dc.readyState !== "open") return void (polling = false);
    if (dc.bufferedAmount > LOW_WATER) return void setTimeout(poll, 1);
    polling = false;
    onDrain();
  };
  return {
    // The addon copies the bytes into libwebrtc's buffer before `send` returns
    // (tests/libwebrtc/peer_cases.ts checks it): the link may reuse its frame buffer.
    copiesOnSend: true,
    send(frame) {
      if (closed) throw new Error("the data channel is closed");
      dc.send(frame);
      if (!polling && dc.bufferedAmount > LOW_WATER) {
        polling = true;
        setTimeout(poll, 1);
      }
    },
    get bufferedAmount() {
      return closed ? 0 : dc.bufferedAmount;
    },
    close() {
      if (closed) return;
      closed = true;
      dc.close();
    },
    attach(h) {
      onDrain = () => h.onDrain();
      deliver = (data) => {
        h.onMessage(data);
      };
      for (const data of early.splice(0)) h.onMessage(data);
      dc.onclose = () => {
        closed = true;
        h.onClose();
      };
    },
  };
}

/**
 * The ICE path in use, from the selected candidate pair's two candidates. libwebrtc checks from
 * every local interface, so on one machine the peer's checks arrive from an address it did not
 * offer (peer-reflexive, its address hidden in the stats): when this end's candidate is a host
 * one on the loopback interface, nothing between the two can be a NAT, and the path is host.
 */
async function selectedPath(c: WrtcConnection): Promise<LinkPath> {
  const byId = new Map<string, Record<string, unknown>>();
  let pair: Record<string, unknown> | undefined;
  try {
    (await c.getStats()).forEach((s) => {
      byId.set(String(s.id), s);
      if (s.type === "candidate-pair" && s.state === "succeeded" && (s.nominated || !pair)) {
        pair = s;
      }
    });
  } catch {
    return "webrtc/host";
  }
  const local = byId.get(String(pair?.localCandidateId));
  const remote = byId.get(String(pair?.remoteCandidateId));
  const types = [local, remote].map((candidate) => String(candidate?.candidateType ?? "host"));
  if (types.includes("relay")) return "webrtc/relay";
  const loopback = types[0] === "host" && ["127.0.0.1", "::1"].includes(String(local?.address));
  if (!loopback && (types.includes("srflx") || types.includes("prflx"))) return "webrtc/srflx";
  return "webrtc/host";
}
