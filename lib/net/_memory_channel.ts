/**
 * Two {@link FrameChannel}s joined in memory, for tests of the link protocol
 * without WebRTC: messages are delivered in order on later macrotasks, and
 * `bufferedAmount` counts bytes sent but not yet delivered, as a data channel's does.
 */

import type { FrameChannel } from "./data_link.ts";

interface Handlers {
  onMessage(data: Uint8Array): void;
  onClose(): void;
  onDrain(): void;
}

export interface MemoryChannel extends FrameChannel {
  /** Every frame this side sent (copies), for tests that inspect the wire. */
  readonly sent: Uint8Array[];
  /** The frames `send` was given, as given (when recording). */
  readonly given: Uint8Array[];
  /** Injects raw bytes as if the other side had sent them. */
  inject(data: Uint8Array): void;
}

/**
 * `copies`: `send` copies each frame and says so (`copiesOnSend`, as libwebrtc's channel);
 * `false`: it keeps the frame it was given until delivery, as werift does, so a sender that
 * wrote into a buffer it had already sent would corrupt what arrives.
 */
export function memoryChannelPair(record = false, copies = true): [MemoryChannel, MemoryChannel] {
  type End = {
    handlers?: Handlers;
    buffered: number;
    closed: boolean;
    sent: Uint8Array[];
    given: Uint8Array[];
  };
  const ends: End[] = [
    { buffered: 0, closed: false, sent: [], given: [] },
    { buffered: 0, closed: false, sent: [], given: [] },
  ];
  const make = (i: 0 | 1): MemoryChannel => {
    const me = ends[i];
    const other = ends[1 - i];
    return {
      sent: me.sent,
      given: me.given,
      copiesOnSend: copies,
      get bufferedAmount() {
        return me.buffered;
      },
      send(frame) {
        if (me.closed) throw new Error("channel closed");
        const copy = copies ? frame.slice() : frame;
        if (record) {
          me.sent.push(frame.slice());
          me.given.push(frame);
        }
        me.buffered += copy.byteLength;
        setTimeout(() => {
          me.buffered -= copy.byteLength;
          if (!other.closed) other.handlers?.onMessage(copy);
          if (me.buffered === 0) me.handlers?.onDrain();
        }, 0);
      },
      inject(data) {
        setTimeout(() => me.handlers?.onMessage(data), 0);
      },
      close() {
        if (me.closed) return;
        me.closed = true;
        setTimeout(() => {
          if (!other.closed) {
            other.closed = true;
            other.handlers?.onClose();
          }
        }, 0);
      },
      attach(h) {
        me.handlers = h;
      },
    };
  };
  return [make(0), make(1)];
}
