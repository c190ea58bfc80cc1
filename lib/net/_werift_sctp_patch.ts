// deno-lint-ignore-file no-explicit-any
/**
 * A small patch to werift 0.25.2's SCTP association (its `SCTP` class, which the package does not
 * export), applied to the class's prototype the first time an association is made in this
 * process or Worker. werift is MIT-licensed; the methods below are its own, changed where the
 * comments marked "p2pos:" say. docs/BENCHMARKS.md ("werift's SCTP under reordering") has the
 * measurements that motivate it and DESIGN §2 lists it beside the other werift settings.
 *
 * 1. **Fast retransmit that tolerates reordering.** werift retransmits a DATA chunk, and halves
 *    its congestion window, once three SACKs have reported chunks above it (RFC 4960 §7.2.4). In a
 *    Deno process the UDP sends are separate async operations and leave the socket slightly out of
 *    order under load (up to ~10 places measured on loopback): a chunk that was only late is then
 *    "lost", sent again, and the window halved — many times a minute — so the window never grows
 *    past ~100 KB and the transfer stalls on it. The patch keeps a per-association reordering
 *    threshold (3 at first, as RFC 4960): a first-sent chunk that is acknowledged after k misses
 *    shows reordering of degree k and raises the threshold to k + 1; a fast retransmission that
 *    the peer reports as a duplicate (the original had arrived) was spurious: the window cut it
 *    caused is undone and the threshold doubled. Capped at {@link MAX_REORDER}, and at a quarter
 *    of the chunks in flight (never below 3), so real loss is still repaired by fast retransmit a
 *    few SACKs later, in small flights too; the T3 timer is untouched.
 * 2. **Received-TSN bookkeeping without a sort.** werift sorted the set of out-of-order TSNs on
 *    every DATA chunk received, as strings (`[...set].sort()`), and advanced the cumulative TSN
 *    through the sorted list. Across 999,999,999 → 1,000,000,000 or the wrap to 0, a chunk that
 *    arrives out of order there sorts after its successors, and the cumulative TSN stops for good:
 *    the association stalls. The patch walks the set by successor instead (no sort, O(1) per
 *    chunk in order). werift's gap reports (`sendSack`) still sort as strings, so across those two
 *    points their blocks come unsorted; the patched sender reads them in any order.
 * 3. **The association starts from either end's INIT.** werift lets only one end send INIT (the
 *    ICE-controlling one, its "client"); the other, its "server", answers statelessly, and the
 *    client ignored an INIT and a COOKIE ECHO. libwebrtc, like every usrsctp/dcSCTP peer, sends an
 *    INIT from both ends (RFC 4960 §5.2.1 lets the two cross). Against libwebrtc, a werift client
 *    therefore depended on its own INIT alone: it sends it the moment its DTLS handshake ends on
 *    its side — before its last DTLS flight reached the peer, which drops it if that flight was
 *    lost — and retries every 3 s, while the peer's INITs, sent when the peer's DTLS is up, went
 *    unanswered. With UDP loss, a mixed pair then missed the link's deadline (docs/BENCHMARKS.md,
 *    "A libwebrtc node and a werift node"). The patch has the client answer an INIT while its own
 *    is unanswered (COOKIE-WAIT or COOKIE-ECHOED), with werift's own stateless INIT ACK — the
 *    same initiate tag and TSN as its INIT, as §5.2.1 asks — and take the peer's COOKIE ECHO
 *    (checked against its own cookie key, as werift's server does), which ends its T1 timer.
 * 4. **SACKs across the TSN wrap.** werift's `sendSack` took each gap's offset as
 *    `(tsn - cumulativeTsn) % 2^32`, which JavaScript leaves negative once received TSNs have
 *    wrapped past 0 while the cumulative TSN has not; serializing it threw, and the SACK was
 *    dropped. Until the chunks missing below the wrap arrived, the receiver sent no SACK at all,
 *    the sender's T3 timer resent one chunk at a time with its timeout doubling, and with two
 *    chunks lost just before the wrap the association never recovered (found by the random test
 *    below: 1 of 60 messages delivered). The patch's `sendSack` takes offsets modulo 2^32 and
 *    sorts them as numbers, so the blocks are also in order (werift sorted them as strings).
 */

import { Buffer } from "node:buffer";
import { RTCSctpTransport } from "werift";

/** The most SACKs above a chunk before it is taken for lost (RFC 4960 uses 3 throughout). */
export const MAX_REORDER = 32;
const INITIAL_REORDER = 3;
const TSN_MODULO = 2 ** 32;

function uint32Gt(a: number, b: number): boolean {
  const half = 2147483648;
  return (a < b && b - a > half) || (a > b && a - b < half);
}
function uint32Gte(a: number, b: number): boolean {
  return a === b || uint32Gt(a, b);
}
const tsnPlusOne = (a: number) => (a + 1) % TSN_MODULO;

/** State the patch keeps on an association. */
interface ReorderState {
  threshold: number;
  /** Chunks fast-retransmitted in the current recovery, and the window before it began. */
  recovery?: { chunks: Map<number, any>; cwnd: number; ssthresh: number };
  spurious: number;
}
function reorderState(sctp: any): ReorderState {
  return (sctp.__p2posReorder ??= { threshold: INITIAL_REORDER, spurious: 0 });
}

/** The reordering threshold an association has learned (for tests and benches). */
export function reorderThreshold(sctp: unknown): number {
  return reorderState(sctp).threshold;
}
/** Fast retransmissions found spurious and undone on an association (for tests and benches). */
export function spuriousRetransmits(sctp: unknown): number {
  return reorderState(sctp).spurious;
}

function learn(state: ReorderState, chunk: any): void {
  if (chunk.misses > 0 && chunk.sentCount === 1 && !chunk.retransmit) {
    state.threshold = Math.min(MAX_REORDER, Math.max(state.threshold, chunk.misses + 1));
  }
}

/** werift's `receiveSackChunk`, with the reordering threshold (p2pos: marked). */
async function receiveSackChunk(this: any, chunk: any): Promise<void> {
  if (uint32Gt(this.lastSackedTsn, chunk.cumulativeTsn)) return;
  const state = reorderState(this);
  // p2pos: a duplicate of a chunk fast-retransmitted in this recovery means its original had
  // arrived: the retransmission was spurious. Undo the window cut and tolerate more reordering.
  // Only a chunk sent exactly twice counts: after a T3 timeout everything is sent again.
  const spurious = (t: number) => state.recovery!.chunks.get(t)?.sentCount === 2;
  if (state.recovery && chunk.duplicates.some(spurious)) {
    this.cwnd = Math.max(this.cwnd, state.recovery.cwnd);
    this.ssthresh = Math.max(this.ssthresh, state.recovery.ssthresh);
    this.fastRecoveryExit = undefined;
    state.recovery = undefined;
    state.threshold = Math.min(MAX_REORDER, state.threshold * 2);
    state.spurious++;
  }
  const receivedTime = Date.now() / 1e3;
  this.lastSackedTsn = chunk.cumulativeTsn;
  const cwndFullyUtilized = this.flightSize >= this.cwnd;
  let done = 0, doneBytes = 0;
  while (this.sentQueue.length > 0 && uint32Gte(this.lastSackedTsn, this.sentQueue[0].tsn)) {
    const sChunk = this.sentQueue.shift();
    done++;
    if (!sChunk?.acked) {
      learn(state, sChunk); // p2pos
      doneBytes += sChunk.bookSize;
      this.flightSizeDecrease(sChunk);
    }
    if (done === 1 && sChunk.sentCount === 1) {
      this.updateRto(receivedTime - sChunk.sentTime);
    }
  }
  if (!this.sentQueue.length) {
    this.sentQueue = [];
  }
  let loss = false;
  const lost: any[] = [];
  // p2pos: a small flight cannot gather many SACKs above a lost chunk; past a quarter of the
  // chunks in flight, waiting for more would leave the loss to the T3 timer (≥ 1 s).
  const threshold = Math.min(
    state.threshold,
    Math.max(INITIAL_REORDER, Math.floor(this.sentQueue.length / 4)),
  );
  if (chunk.gaps.length > 0) {
    const seen = new Set<number>();
    let highestPos = 0; // p2pos: the highest gap, not the last (werift's peers send them unsorted)
    for (const gap of chunk.gaps) {
      for (let pos = gap[0]; pos < gap[1] + 1; pos++) {
        seen.add((chunk.cumulativeTsn + pos) % TSN_MODULO);
      }
      highestPos = Math.max(highestPos, gap[1]);
    }
    const highestSeenTsn = (chunk.cumulativeTsn + highestPos) % TSN_MODULO;
    let highestNewlyAcked = chunk.cumulativeTsn;
    for (const sChunk of this.sentQueue) {
      if (uint32Gt(sChunk.tsn, highestSeenTsn)) break;
      if (seen.has(sChunk.tsn) && !sChunk.acked) {
        learn(state, sChunk); // p2pos
        doneBytes += sChunk.bookSize;
        sChunk.acked = true;
        this.flightSizeDecrease(sChunk);
        highestNewlyAcked = sChunk.tsn;
      }
    }
    for (const sChunk of this.sentQueue) {
      if (uint32Gt(sChunk.tsn, highestNewlyAcked)) break;
      // p2pos: a chunk is fast-retransmitted once at most (RFC 9260 §7.2.4); a lost
      // retransmission is left to the T3 timer, as werift's own T3 handling does.
      if (!seen.has(sChunk.tsn) && sChunk.sentCount === 1 && !sChunk.retransmit) {
        sChunk.misses++;
        if (sChunk.misses >= threshold) { // p2pos: was `=== 3`
          sChunk.misses = 0;
          if (!this.maybeAbandon(sChunk)) {
            sChunk.retransmit = true;
            lost.push(sChunk);
          }
          sChunk.acked = false;
          this.flightSizeDecrease(sChunk);
          loss = true;
        }
      }
    }
  }
  if (this.fastRecoveryExit === undefined) {
    if (done && cwndFullyUtilized) {
      if (this.cwnd <= this.ssthresh) {
        this.cwnd += Math.min(doneBytes, this.maxPayloadSize);
      } else {
        this.partialBytesAcked += doneBytes;
        if (this.partialBytesAcked >= this.cwnd) {
          this.partialBytesAcked -= this.cwnd;
          this.cwnd += this.maxPayloadSize;
        }
      }
    }
    if (loss) {
      // p2pos: remember what the cut undoes if it proves spurious.
      state.recovery = {
        chunks: new Map(lost.map((c) => [c.tsn, c])),
        cwnd: this.cwnd,
        ssthresh: this.ssthresh,
      };
      this.ssthresh = Math.max(Math.floor(this.cwnd / 2), 4 * this.maxPayloadSize);
      this.cwnd = this.ssthresh;
      this.partialBytesAcked = 0;
      this.fastRecoveryExit = this.sentQueue[this.sentQueue.length - 1].tsn;
      this.fastRecoveryTransmit = true;
    }
  } else {
    for (const c of lost) state.recovery?.chunks.set(c.tsn, c); // p2pos
    if (uint32Gte(chunk.cumulativeTsn, this.fastRecoveryExit)) {
      this.fastRecoveryExit = undefined;
    }
  }
  if (this.sentQueue.length === 0) {
    this.timer3Cancel();
  } else if (done > 0) {
    this.timer3Restart();
  }
  this.peerAdvertisedRwnd = chunk.advertisedRwnd;
  this.updateAdvancedPeerAckPoint();
  await this.onSackReceived();
  await this.transmit();
}

/** werift's `markReceived`, without a sort per chunk (p2pos). */
function markReceived(this: any, tsn: number): boolean {
  if (uint32Gte(this.lastReceivedTsn, tsn) || this.sackMisOrdered.has(tsn)) {
    this.sackDuplicates.push(tsn);
    return true;
  }
  if (tsn === tsnPlusOne(this.lastReceivedTsn)) {
    this.lastReceivedTsn = tsn;
    const misordered: Set<number> = this.sackMisOrdered;
    while (misordered.size > 0 && misordered.delete(tsnPlusOne(this.lastReceivedTsn))) {
      this.lastReceivedTsn = tsnPlusOne(this.lastReceivedTsn);
    }
  } else {
    this.sackMisOrdered.add(tsn);
  }
  if (this.sackDuplicates.length > 0) {
    this.sackDuplicates = this.sackDuplicates.filter((x: number) =>
      uint32Gt(x, this.lastReceivedTsn)
    );
  }
  return false;
}

/**
 * werift's `sendSack`, with its gap blocks right across the TSN wrap (p2pos, item 4 of the file's
 * comment). The chunk is serialized here (RFC 4960 §3.3.4): werift's `SackChunk` class is not
 * exported, and `sendChunk` only reads a chunk's `bytes`.
 */
async function sendSack(this: any): Promise<void> {
  if (this.isStopped || !this.sackNeeded) return;
  const cumulative: number = this.lastReceivedTsn;
  // p2pos: each out-of-order TSN's offset from the cumulative TSN, modulo 2^32, sorted as numbers
  // (gap blocks are 16-bit offsets; one past 65,535 cannot be reported and is left out).
  const offsets = [...(this.sackMisOrdered as Set<number>)]
    .map((tsn) => (tsn - cumulative + TSN_MODULO) % TSN_MODULO)
    .filter((offset) => offset > 0 && offset <= 0xffff)
    .sort((a, b) => a - b);
  const gaps: [number, number][] = [];
  for (const offset of offsets) {
    const last = gaps.at(-1);
    if (last && offset === last[1] + 1) last[1] = offset;
    else gaps.push([offset, offset]);
  }
  const duplicates: number[] = this.sackDuplicates.slice(0, 0xffff);
  const bytes = Buffer.alloc(16 + 4 * (gaps.length + duplicates.length));
  bytes.writeUInt8(SACK, 0); // flags 0
  bytes.writeUInt16BE(bytes.byteLength, 2);
  bytes.writeUInt32BE(cumulative, 4);
  bytes.writeUInt32BE(Math.max(0, Math.min(this.advertisedRwnd, 0xffffffff)), 8);
  bytes.writeUInt16BE(gaps.length, 12);
  bytes.writeUInt16BE(duplicates.length, 14);
  let at = 16;
  for (const [start, end] of gaps) {
    bytes.writeUInt16BE(start, at);
    bytes.writeUInt16BE(end, at + 2);
    at += 4;
  }
  for (const tsn of duplicates) {
    bytes.writeUInt32BE(tsn, at);
    at += 4;
  }
  await this.sendChunk({ type: SACK, bytes }).catch(() => {}); // werift too drops a failed SACK
  this.sackDuplicates = [];
  this.sackNeeded = false;
  this.sackPacketCount = 0;
}

// RFC 4960 chunk types and werift's association states (its `SCTP_STATE`).
const INIT = 1;
const SACK = 3;
const COOKIE_ECHO = 10;
const COOKIE_WAIT = 2;
const COOKIE_ECHOED = 3;
const ESTABLISHED = 4;

/**
 * werift's `receiveChunk`, with the client answering an INIT and a COOKIE ECHO (p2pos, item 3 of
 * the file's comment) through werift's own server code: `isServer` is read synchronously when
 * the chunk's case begins, so it is set only around that call.
 */
function patchedReceiveChunk(original: (chunk: any) => Promise<void>) {
  return async function receiveChunk(this: any, chunk: any): Promise<void> {
    const state = this.associationState;
    const handshaking = state === COOKIE_WAIT || state === COOKIE_ECHOED;
    const answer = !this.isServer &&
      ((chunk.type === INIT && handshaking) ||
        (chunk.type === COOKIE_ECHO && (handshaking || state === ESTABLISHED)));
    if (!answer) return await original.call(this, chunk);
    this.isServer = true;
    const done = original.call(this, chunk);
    this.isServer = false;
    await done;
    // The peer's COOKIE ECHO established the association: the T1 timer of this end's own INIT or
    // COOKIE ECHO is done with.
    if (chunk.type === COOKIE_ECHO && this.associationState === ESTABLISHED) this.timer1Cancel();
  };
}

let installed = false;

/**
 * Patches werift's SCTP class the first time an `RTCSctpTransport` makes its association in this
 * process (or Worker). Idempotent; call it before the first peer connection is made.
 */
export function installWeriftSctpPatch(): void {
  if (installed) return;
  installed = true;
  const transport = RTCSctpTransport.prototype as any;
  const setDtlsTransport = transport.setDtlsTransport;
  let patched = false;
  transport.setDtlsTransport = function (this: any, ...args: unknown[]) {
    const out = setDtlsTransport.apply(this, args);
    if (!patched && this.sctp) {
      patched = true;
      patchSctpClass(Object.getPrototypeOf(this.sctp));
    }
    return out;
  };
}

/** Replaces four methods on werift's SCTP prototype (exported for the patch's own test). */
export function patchSctpClass(proto: any): void {
  if (proto.__p2posPatched) return;
  for (
    const name of ["receiveSackChunk", "markReceived", "receiveChunk", "timer1Cancel", "sendSack"]
  ) {
    if (typeof proto[name] !== "function") {
      throw new Error(
        `werift's SCTP has no ${name}(): the patch in _werift_sctp_patch.ts is for 0.25.2`,
      );
    }
  }
  proto.__p2posPatched = true;
  proto.receiveSackChunk = receiveSackChunk;
  proto.markReceived = markReceived;
  proto.receiveChunk = patchedReceiveChunk(proto.receiveChunk);
  proto.sendSack = sendSack;
}
