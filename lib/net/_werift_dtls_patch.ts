// deno-lint-ignore-file no-explicit-any
/**
 * A small patch to werift 0.25.2's DTLS client (`DtlsClient`, the end that answers an offer in
 * WebRTC, `a=setup:active`), applied to its prototype with the SCTP patch (`_werift_sctp_patch.ts`)
 * before the first connection. werift is MIT-licensed; what changes is marked "p2pos:".
 *
 * **A retransmitted server flight no longer re-keys the client.** When the server's flight 4
 * (ServerHello … ServerHelloDone) arrives twice — the server retransmits it when the client is
 * slow to answer, which libwebrtc does after a fraction of a second; werift's own server waits
 * longer — werift handled the copy like the original: a new ServerKeyExchange handler made a new
 * ECDHE key pair, and the copy's ServerHelloDone ran flight 5 again. werift skips that second run
 * only while it is still waiting for the server's Finished (`dtls.flight === 5`); once the
 * Finished had come (`dtls.flight === 7`, which a slow client reaches while the copy is being
 * handled) the second run sent a new ClientKeyExchange and replaced the client's keys. The server
 * kept the first ones, so nothing either end sent could be decrypted by the other ("decrypt
 * failed"), and the data channel never opened: a libwebrtc offerer and a werift answerer on a
 * loaded machine failed to pair (docs/BENCHMARKS.md, "A libwebrtc node and a werift node").
 *
 * The patch drops flight-4 messages that arrive after flight 5 was sent (sending flight 5 again
 * while the Finished is awaited, as RFC 6347 §4.2.4 asks of a retransmitted flight), and makes
 * flight 5 a no-op once the handshake is done.
 */

import { DtlsClient } from "werift";

/** Handshake types of the server's flight 4 (RFC 5246 §7.4). */
const FLIGHT_4 = new Set([2, 11, 12, 13, 14]);
/** werift's `dtls.flight` once the client sent flight 5, and once it has the server's Finished. */
const SENT_5 = 5;
const FINISHED = 7;

let installed = false;

/** Patches werift's DTLS client once per process (or Worker). */
export function installWeriftDtlsPatch(): void {
  if (installed) return;
  installed = true;
  const proto = DtlsClient.prototype as any;
  if (typeof proto.connect !== "function") {
    throw new Error("werift's DtlsClient has no connect(): _werift_dtls_patch.ts is for 0.25.2");
  }
  const connect = proto.connect;
  // handleHandshakes is an instance field werift sets in the constructor: it is wrapped on each
  // client when werift starts its handshake (connect), before any server message can arrive.
  proto.connect = function (this: any, ...args: unknown[]) {
    const handle = this.onHandleHandshakes;
    this.onHandleHandshakes = (assembled: any[]) => {
      if (this.flight5) guardFlight5(Object.getPrototypeOf(this.flight5));
      if (this.dtls.flight < SENT_5) return handle(assembled);
      // p2pos: a copy of flight 4 after flight 5 went out.
      const rest = assembled.filter((h) => !FLIGHT_4.has(h.msg_type));
      if (rest.length < assembled.length && this.dtls.flight === SENT_5) {
        for (const buf of this.dtls.lastMessage ?? []) {
          Promise.resolve(this.transport.send(buf)).catch(() => {});
        }
      }
      return rest.length ? handle(rest) : Promise.resolve();
    };
    return connect.apply(this, args);
  };
}

/** p2pos: flight 5 is not run again once the server's Finished came (werift's `Flight5`). */
function guardFlight5(flight5: any): void {
  if (flight5.__p2posGuarded) return;
  flight5.__p2posGuarded = true;
  const exec = flight5.exec;
  flight5.exec = function (this: any, ...args: unknown[]) {
    if (this.dtls.flight >= FINISHED) return Promise.resolve();
    return exec.apply(this, args);
  };
}
