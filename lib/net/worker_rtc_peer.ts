/**
 * An {@link RtcPeer} whose werift runs in its own Worker (`_werift_worker.ts`):
 * the node's event loop only moves 64 KiB frames (transferred, not copied),
 * while SCTP, DTLS and UDP work per 1200-byte packet happens on the Worker's
 * thread. Several of them to one peer use several cores (issue #12,
 * docs/BENCHMARKS.md). A Worker that fails ends its connection, never the node.
 */

import type { FrameChannel } from "./data_link.ts";
import type { OpenedChannel, PeerStateKind, RtcPeer, RtcPeerConfig } from "./rtc_peer.ts";

const WORKER_URL = new URL("./_werift_worker.ts", import.meta.url);

export function workerRtcPeer(config: RtcPeerConfig): RtcPeer {
  const worker = new Worker(WORKER_URL, { type: "module", name: "werift" });
  const calls = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextCall = 1;
  let open!: (v: OpenedChannel) => void;
  const opened = new Promise<OpenedChannel>((r) => (open = r));
  const goneCbs: ((state: string) => void)[] = [];
  const stateCbs: ((what: PeerStateKind, state: string) => void)[] = [];
  let ended = false;
  let posted = 0;
  let releasedTotal = 0;
  let handlers: Parameters<FrameChannel["attach"]>[0] | undefined;
  let channelClosed = false;

  const end = (state: string) => {
    if (ended) return;
    ended = true;
    for (const c of calls.values()) c.reject(new Error(`The WebRTC worker stopped: ${state}`));
    calls.clear();
    for (const cb of goneCbs) cb(state);
    closeChannel();
    setTimeout(() => worker.terminate(), 2_000);
  };
  const closeChannel = () => {
    if (channelClosed) return;
    channelClosed = true;
    handlers?.onClose();
  };

  worker.onerror = (e) => {
    e.preventDefault();
    end(`failed (${e.message})`);
  };
  worker.onmessage = (e: MessageEvent) => {
    const m = e.data;
    switch (m.t) {
      case "result": {
        const c = calls.get(m.id);
        calls.delete(m.id);
        if (m.error !== undefined) c?.reject(new Error(m.error));
        else c?.resolve(m.value);
        return;
      }
      case "open":
        open({ channel, path: m.path, engine: "werift" });
        return;
      case "msg":
        if (!channelClosed) handlers?.onMessage(m.data);
        return;
      case "released":
        releasedTotal = m.total;
        handlers?.onDrain();
        return;
      case "channelClosed":
        closeChannel();
        return;
      case "gone":
        end(m.state);
        return;
      case "state":
        for (const cb of stateCbs) cb(m.what, m.state);
        return;
      case "closed":
        worker.terminate();
        return;
    }
  };
  worker.postMessage({ t: "init", config });

  const call = <T>(op: string, sdp?: string) =>
    new Promise<T>((resolve, reject) => {
      if (ended) return reject(new Error("The WebRTC worker stopped"));
      const id = nextCall++;
      calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ t: "call", id, op, sdp });
    });

  const channel: FrameChannel = {
    send(frame) {
      if (ended || channelClosed) throw new Error("the data channel is closed");
      // encodeFrame makes each frame its own buffer: transfer it. Copy a view on a larger one.
      const own = frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength
        ? frame
        : frame.slice();
      posted += own.byteLength;
      worker.postMessage({ t: "send", frame: own }, [own.buffer]);
    },
    get bufferedAmount() {
      return posted - releasedTotal;
    },
    close() {
      if (!ended) worker.postMessage({ t: "close" });
      closeChannel();
    },
    attach(h) {
      handlers = h;
    },
  };

  return {
    offer: () => call<string>("offer"),
    answer: (sdp) => call<string>("answer", sdp),
    accept: (sdp) => call<void>("accept", sdp),
    opened,
    onGone(cb) {
      goneCbs.push(cb);
    },
    onState(cb) {
      stateCbs.push(cb);
    },
    close() {
      if (ended) return;
      worker.postMessage({ t: "close" });
      end("closed");
    },
  };
}
