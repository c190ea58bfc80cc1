/**
 * The Worker behind `worker_rtc_peer.ts`: one {@link localRtcPeer} (werift on
 * this Worker's thread), driven by messages from the node's thread. Frames
 * cross in both directions as transferred ArrayBuffers (no copy).
 *
 * Messages in: `call` (offer / answer / accept), `send` (a frame), `close`.
 * Messages out: `result`, `open` (with the ICE path), `msg` (a frame),
 * `released` (bytes that left werift's send buffer, for backpressure),
 * `channelClosed`, `gone`, `state` (ICE, connection or channel state), `closed`.
 */

import type { FrameChannel } from "./data_link.ts";
import { localRtcPeer, LOW_WATER, type RtcPeer, type RtcPeerConfig } from "./rtc_peer.ts";

interface Port {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent) => void) | null;
  close(): void;
  addEventListener(type: string, cb: (e: Event) => void): void;
}
const port = globalThis as unknown as Port;

let peer: RtcPeer | undefined;
let channel: FrameChannel | undefined;
let sent = 0;

const fail = (state: string) => port.postMessage({ t: "gone", state });
// A werift error must end this connection, never the node (the main thread also guards).
port.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  fail(`werift error: ${(e as PromiseRejectionEvent).reason?.message ?? "unknown"}`);
});

function released(): void {
  if (channel) port.postMessage({ t: "released", total: sent - channel.bufferedAmount });
}

port.onmessage = async (e: MessageEvent) => {
  const m = e.data;
  switch (m.t) {
    case "init": {
      peer = localRtcPeer(m.config as RtcPeerConfig);
      peer.onGone(fail);
      peer.onState((what, state) => port.postMessage({ t: "state", what, state }));
      peer.opened.then(({ channel: c, path }) => {
        channel = c;
        c.attach({
          onMessage(data) {
            // Hand the bytes over; copy first when they share a larger buffer.
            const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
              ? data
              : data.slice();
            port.postMessage({ t: "msg", data: own }, [own.buffer]);
          },
          onClose: () => port.postMessage({ t: "channelClosed" }),
          onDrain: released,
        });
        port.postMessage({ t: "open", path });
      });
      return;
    }
    case "call": {
      try {
        const value = m.op === "offer"
          ? await peer!.offer()
          : m.op === "answer"
          ? await peer!.answer(m.sdp)
          : await peer!.accept(m.sdp);
        port.postMessage({ t: "result", id: m.id, value });
      } catch (err) {
        port.postMessage({ t: "result", id: m.id, error: (err as Error).message });
      }
      return;
    }
    case "send": {
      if (!channel) return;
      const frame = m.frame as Uint8Array;
      try {
        channel.send(frame);
      } catch (err) {
        fail(`cannot send: ${(err as Error).message}`);
        return;
      }
      sent += frame.byteLength;
      // bufferedAmountLow only fires on a fall below the mark: report while under it, too.
      if (channel.bufferedAmount < LOW_WATER) released();
      return;
    }
    case "close":
      try {
        channel?.close();
      } catch { /* already closed */ }
      peer?.close();
      port.postMessage({ t: "closed" });
      return;
  }
};
