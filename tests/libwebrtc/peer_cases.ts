/**
 * The libwebrtc engine in one process: two real peer connections over 127.0.0.1 (the
 * `@roamhq/wrtc` addon; tests run with --allow-all, which includes --allow-ffi).
 */

import assert from "node:assert/strict";
import { libwebrtcRtcPeer } from "../../lib/net/libwebrtc_peer.ts";
import type { FrameChannel } from "../../lib/net/data_link.ts";
import type { RtcPeer } from "../../lib/net/rtc_peer.ts";

const config = { iceServers: [], iceTransportPolicy: "all" as const, loopback: true };

async function connected(): Promise<{ a: FrameChannel; b: FrameChannel; peers: RtcPeer[] }> {
  const offerer = libwebrtcRtcPeer(config);
  const answerer = libwebrtcRtcPeer(config);
  await offerer.accept(await answerer.answer(await offerer.offer()));
  const [a, b] = await Promise.all([offerer.opened, answerer.opened]);
  return { a: a.channel, b: b.channel, peers: [offerer, answerer] };
}

Deno.test("libwebrtc's send copies the frame before it returns, as its channel declares", async () => {
  const { a, b, peers } = await connected();
  try {
    assert.equal(a.copiesOnSend, true);
    const got: Uint8Array[] = [];
    let drained = () => {};
    const all = new Promise<void>((r) => (drained = r));
    const count = 64;
    b.attach({
      onMessage: (data) => {
        got.push(data);
        if (got.length === count) drained();
      },
      onClose: () => {},
      onDrain: () => {},
    });
    a.attach({ onMessage: () => {}, onClose: () => {}, onDrain: () => {} });
    // One buffer for every message, overwritten as soon as `send` returns: each message must
    // arrive as it was when sent.
    const frame = new Uint8Array(65_541);
    for (let i = 0; i < count; i++) {
      frame.fill(i);
      a.send(frame.subarray(0, 1000 + i));
      frame.fill(0xff);
    }
    await all;
    got.forEach((data, i) => {
      assert.equal(data.byteLength, 1000 + i);
      assert.ok(data.every((x) => x === i), `message ${i} arrived as sent`);
    });
  } finally {
    for (const p of peers) p.close();
  }
});

Deno.test("A channel closed with its connection while sending (a node losing its relay) touches nothing native afterwards", async () => {
  // What a node does when the relay goes away mid-transfer: the link closes its channel, then its
  // peer connection, while the channel's drain poll is pending. libwebrtc frees the channel's
  // internals with the connection; reading its state afterwards crashed the node (segfault).
  for (let round = 0; round < 5; round++) {
    const { a, b, peers } = await connected();
    a.attach({ onMessage: () => {}, onClose: () => {}, onDrain: () => {} });
    b.attach({ onMessage: () => {}, onClose: () => {}, onDrain: () => {} });
    const frame = new Uint8Array(65_541);
    for (let i = 0; i < 64; i++) a.send(frame); // 4 MiB: far past the low mark, the poll runs
    assert.ok(a.bufferedAmount > 0);
    a.close();
    for (const p of peers) p.close();
    assert.equal(a.bufferedAmount, 0, "a closed channel holds nothing");
    assert.throws(() => a.send(frame), /closed/);
    await new Promise((r) => setTimeout(r, 50)); // the poll's timers come due
  }
});
