// deno-lint-ignore-file no-explicit-any
/**
 * A werift peer and a libwebrtc peer (the `@roamhq/wrtc` addon) in one process, on 127.0.0.1:
 * the two engines a family may mix (werift is the fallback where the addon cannot load). Their
 * data channel opens whichever offers, carries messages both ways, and opens when the packets
 * werift alone would have started the SCTP association with are lost, or when werift's DTLS client
 * handles a copy of libwebrtc's server flight after its handshake ended.
 */

import assert from "node:assert/strict";
import { DtlsClient, RTCSctpTransport } from "werift";
import { libwebrtcRtcPeer } from "../../lib/net/libwebrtc_peer.ts";
import { localRtcPeer, type RtcPeerConfig } from "../../lib/net/rtc_peer.ts";
import { installWeriftDtlsPatch } from "../../lib/net/_werift_dtls_patch.ts";

installWeriftDtlsPatch(); // as the first werift connection would: the tests below wrap it

const CONFIG: RtcPeerConfig = { iceServers: [], iceTransportPolicy: "all", loopback: true };
const ENGINES = { werift: localRtcPeer, libwebrtc: libwebrtcRtcPeer };
type Engine = keyof typeof ENGINES;

/** Offer, answer, accept; resolves with both ends' channels once both are open (bounded). */
async function connect(offerer: Engine, answerer: Engine, ms = 20_000) {
  const a = ENGINES[offerer](CONFIG);
  const b = ENGINES[answerer](CONFIG);
  const close = () => {
    a.close();
    b.close();
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await b.answer(await a.offer()).then((sdp) => a.accept(sdp));
    const limit = new Promise<never>((_, fail) => {
      timer = setTimeout(
        () => fail(new Error(`the data channel did not open within ${ms} ms`)),
        ms,
      );
    });
    const [x, y] = await Promise.race([Promise.all([a.opened, b.opened]), limit]);
    return { a: x.channel, b: y.channel, path: x.path, close };
  } catch (err) {
    close();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** The next message `channel` receives. */
function nextMessage(channel: Awaited<ReturnType<typeof connect>>["a"]): Promise<string> {
  return new Promise((resolve) =>
    channel.attach({
      onMessage: (data) => resolve(new TextDecoder().decode(data)),
      onClose() {},
      onDrain() {},
    })
  );
}

async function roundTrip(offerer: Engine, answerer: Engine) {
  const c = await connect(offerer, answerer);
  try {
    assert.equal(c.path, "webrtc/host");
    const atB = nextMessage(c.b);
    const atA = nextMessage(c.a);
    c.a.send(new TextEncoder().encode(`from the ${offerer} offerer`));
    c.b.send(new TextEncoder().encode(`from the ${answerer} answerer`));
    assert.equal(await atB, `from the ${offerer} offerer`);
    assert.equal(await atA, `from the ${answerer} answerer`);
  } finally {
    c.close();
  }
}

const opts = { sanitizeOps: false, sanitizeResources: false }; // the addon's threads outlive a test

/** Runs a werift offerer/answerer round trip with `proto[name]` wrapped; puts it back after. */
async function roundTripWith(
  proto: any,
  name: string,
  wrap: (original: (...args: unknown[]) => any) => (this: any, ...args: unknown[]) => any,
  offerer: Engine,
  answerer: Engine,
) {
  const original = proto[name];
  proto[name] = wrap(original);
  try {
    await roundTrip(offerer, answerer);
  } finally {
    proto[name] = original;
  }
}

Deno.test({
  name: "a werift offerer and a libwebrtc answerer open a data channel and talk both ways",
  ...opts,
  fn: () => roundTrip("werift", "libwebrtc"),
});

Deno.test({
  name: "a libwebrtc offerer and a werift answerer open a data channel and talk both ways",
  ...opts,
  fn: () => roundTrip("libwebrtc", "werift"),
});

Deno.test({
  name: "every SCTP INIT werift sends is lost: the channel still opens, from libwebrtc's INIT",
  ...opts,
  async fn() {
    // The werift offerer is ICE-controlling, so werift's SCTP "client": unpatched, its own INIT
    // was the only way the association could start (`_werift_sctp_patch.ts`, item 3).
    let dropped = 0;
    await roundTripWith(
      RTCSctpTransport.prototype,
      "setDtlsTransport",
      (setDtlsTransport) =>
        function (this: any, ...args: unknown[]) {
          const out = setDtlsTransport.apply(this, args);
          const sctp = this.sctp;
          const sendChunk = sctp.sendChunk;
          sctp.sendChunk = function (chunk: { type: number }) {
            if (chunk.type === 1) { // INIT
              dropped++;
              return Promise.resolve();
            }
            return sendChunk.call(this, chunk);
          };
          return out;
        },
      "werift",
      "libwebrtc",
    );
    assert.ok(dropped >= 1, "werift sent an INIT, and it was lost");
  },
});

Deno.test({
  name:
    "werift's DTLS client handles a copy of libwebrtc's flight 4 after its handshake ended: it keeps its keys, and the channel opens",
  ...opts,
  async fn() {
    // What a loaded machine does: libwebrtc retransmits its ServerHello … ServerHelloDone when the
    // werift answerer is slow to reply, and werift reads the copy after the server's Finished.
    // Unpatched, it ran flight 5 again with a new key pair (`_werift_dtls_patch.ts`).
    let replayed = 0;
    await roundTripWith(
      DtlsClient.prototype,
      "connect",
      (connect) =>
        function (this: any, ...args: unknown[]) {
          const started = connect.apply(this, args); // werift (and the patch) set their handler now
          const handle = this.onHandleHandshakes;
          const flight4: unknown[][] = [];
          this.onHandleHandshakes = (assembled: { msg_type: number }[]) => {
            if (assembled.some((h) => [2, 11, 12, 13, 14].includes(h.msg_type))) {
              flight4.push(assembled);
            }
            return handle(assembled);
          };
          this.onConnect.subscribe(() =>
            setTimeout(() => {
              const copies = flight4.splice(0); // (the copies are captured again as they pass)
              for (const copy of copies) this.onHandleHandshakes(copy).catch(() => {});
              replayed += copies.length;
            }, 0)
          );
          return started;
        },
      "libwebrtc",
      "werift",
    );
    assert.ok(replayed >= 1, "the copy of flight 4 was handled after the handshake");
  },
});
