/**
 * werift alone, between two Deno processes on 127.0.0.1: how fast do bytes move over data
 * channels, and what do the knobs werift exposes change? No p2pos code is involved, so this
 * separates werift's own ceiling from what the link framing and the node add (issue #12).
 *
 *   deno run -A bench/werift_raw.ts [--mib 64] [--rounds 3] [--configs 1x64k,2x64k,…]
 *
 * A config is `<peer connections>x<message size>[,opts]`: e.g. `1x64k`, `3x16k`, `1x64k+buf`
 * (`+mtu1400`: werift's `sctp.mtu`; `+local`: through p2pos's RtcPeer on the process's thread;
 * `+worker`: through its Worker-backed RtcPeer, one Worker per connection, both with the node's
 * SCTP patch; `+patch`: plain werift with lib/net/_werift_sctp_patch.ts; `+rtt20`: each end holds
 * every datagram it sends 10 ms, a 20 ms round trip; `+mbit100`: each end sends through an
 * emulated 100 Mbit/s link with a 50 ms queue, like a home uplink). The sender process opens
 * that many RTCPeerConnections with one ordered channel each and spreads the bytes over them
 * round-robin with bufferedAmountLow backpressure; the receiver counts. Reported per config:
 * MiB/s, CPU-seconds per GiB on each end (user + system, /proc/<pid>/stat), and the UDP
 * datagrams the kernel dropped for a full receive buffer during the run (/proc/net/snmp
 * RcvbufErrors, machine-wide: other processes' drops count too); for plain werift also DATA chunks
 * that arrived after a higher TSN (reordered or retransmitted), the sender's window cuts by fast
 * retransmit and its T3 timeouts.
 */

import { parseArgs } from "node:util";
import { Buffer } from "node:buffer";
import { RTCPeerConnection, RTCSctpTransport, UdpTransport } from "werift";
import { udpRcvbufErrors } from "./webrtc.ts";
import { localRtcPeer, type RtcPeer } from "../lib/net/rtc_peer.ts";
import { workerRtcPeer } from "../lib/net/worker_rtc_peer.ts";
import { installWeriftSctpPatch } from "../lib/net/_werift_sctp_patch.ts";

interface Config {
  name: string;
  pcs: number;
  size: number;
  mtu?: number;
  /** Through p2pos's RtcPeer: "local" (this thread) or "worker" (worker_rtc_peer.ts). */
  peer?: "local" | "worker";
  /** `+patch`: with lib/net/_werift_sctp_patch.ts installed. */
  patch?: boolean;
  /** `+wrtc`: not werift but libwebrtc, through the @roamhq/wrtc N-API addon (for comparison). */
  wrtc?: boolean;
  /** `+rtt20`: every UDP datagram either end sends waits rtt/2 ms first (a WAN's round trip). */
  rttMs?: number;
  /** `+mbit100`: each end sends at most that many Mbit/s (a home uplink), queueing up to 50 ms. */
  mbit?: number;
}

function parseConfig(s: string): Config {
  const m = /^(\d+)x(\d+)k((?:\+[a-z0-9]+)*)$/.exec(s);
  if (!m) throw new SyntaxError(`Cannot read config "${s}": expected e.g. 2x64k+mtu1400`);
  const opts = m[3].split("+").filter(Boolean);
  const mtu = opts.find((o) => o.startsWith("mtu"));
  const rtt = opts.find((o) => o.startsWith("rtt"));
  const mbit = opts.find((o) => o.startsWith("mbit"));
  return {
    name: s,
    pcs: Number(m[1]),
    size: Number(m[2]) * 1024,
    mtu: mtu ? Number(mtu.slice(3)) : undefined,
    peer: opts.includes("worker") ? "worker" : opts.includes("local") ? "local" : undefined,
    patch: opts.includes("patch"),
    wrtc: opts.includes("wrtc"),
    rttMs: rtt ? Number(rtt.slice(3)) : undefined,
    mbit: mbit ? Number(mbit.slice(4)) : undefined,
  };
}

/**
 * Counts, in this process, what werift's SCTP does: DATA chunks received, how many of them arrived
 * after a higher TSN (late: reordered, or a retransmission), SACK chunks sent, and on the sending
 * side the window cuts by fast retransmit and the T3 timeouts.
 */
function countSctpChunks() {
  const counts = { data: 0, late: 0, sacks: 0, cuts: 0, t3: 0 };
  // deno-lint-ignore no-explicit-any
  const transport = RTCSctpTransport.prototype as any;
  const setDtls = transport.setDtlsTransport;
  let done = false;
  transport.setDtlsTransport = function (...args: unknown[]) {
    const out = setDtls.apply(this, args);
    if (!this.sctp) return out;
    const sctp = this.sctp;
    const t3 = sctp.timer3Expired; // an instance field, read by setTimeout when armed
    sctp.timer3Expired = () => {
      counts.t3++;
      return t3();
    };
    if (!done) {
      done = true;
      const proto = Object.getPrototypeOf(sctp);
      const { sendChunk, receiveDataChunk, receiveSackChunk } = proto;
      proto.sendChunk = function (chunk: { type: number }, ...rest: unknown[]) {
        if (chunk.type === 3) counts.sacks++;
        return sendChunk.call(this, chunk, ...rest);
      };
      proto.receiveSackChunk = async function (...a: unknown[]) {
        const before = this.fastRecoveryExit;
        await receiveSackChunk.apply(this, a);
        if (before === undefined && this.fastRecoveryExit !== undefined) counts.cuts++;
      };
      proto.receiveDataChunk = function (...a: unknown[]) {
        counts.data++;
        const tsn = (a[0] as { tsn: number }).tsn;
        const highest = this.__benchHighest;
        if (highest !== undefined && uint32Before(tsn, highest)) counts.late++;
        else this.__benchHighest = tsn;
        return receiveDataChunk.apply(this, a);
      };
    }
    return out;
  };
  return counts;
}

/**
 * Makes every UDP socket werift opens from now on send through an emulated link: datagrams leave
 * in order at most `mbit` Mbit/s (a home uplink; unlimited when absent), each then held `ms` (half
 * the round trip, when both ends do this). A datagram that would wait more than 50 ms for the link
 * is dropped, as a router's full queue drops it. One timer per socket sends what is due, so the
 * link hands datagrams over in the bunches a millisecond's timer allows.
 */
function emulateLink(ms: number, mbit?: number): void {
  const QUEUE_MS = 50;
  // deno-lint-ignore no-explicit-any
  const udp = UdpTransport as any;
  const init = udp.init;
  udp.init = async (...args: unknown[]) => {
    const transport = await init(...args);
    const send = transport.send;
    const queue: { due: number; data: Uint8Array; addr: unknown }[] = [];
    let linkFree = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const pump = () => {
      timer = undefined;
      const now = performance.now();
      while (queue.length > 0 && queue[0].due <= now) {
        const { data, addr } = queue.shift()!;
        // The socket may close while a datagram waits (the end of a run): dropped, as a network would.
        send(data, addr).catch(() => {});
      }
      if (queue.length > 0) timer = setTimeout(pump, queue[0].due - now);
    };
    transport.send = (data: Uint8Array, addr?: unknown) => {
      const now = performance.now();
      const start = Math.max(now, linkFree);
      if (start - now > QUEUE_MS) return Promise.resolve(); // the queue is full
      const wire = mbit ? (data.byteLength * 8) / (mbit * 1000) : 0; // ms on the link
      linkFree = start + wire;
      queue.push({ due: linkFree + ms, data, addr });
      timer ??= setTimeout(pump, linkFree + ms - now);
      return Promise.resolve();
    };
    return transport;
  };
}

/** a comes before b in TSN order (serial number arithmetic, RFC 1982). */
function uint32Before(a: number, b: number): boolean {
  return a !== b && ((b - a + 2 ** 32) % 2 ** 32) < 2 ** 31;
}

// --- child: one end -------------------------------------------------------------------------

/**
 * One end on libwebrtc (@roamhq/wrtc's prebuilt N-API addon), for comparison with werift: the same
 * offer/answer through the parent (with every candidate gathered first), the same channels and
 * backpressure. libwebrtc's `bufferedamountlow` event did not fire under Deno, so the sender polls.
 */
async function childWrtc(role: "send" | "recv", cfg: Config, mib: number): Promise<void> {
  // deno-lint-ignore no-explicit-any
  const wrtc = (await import("@roamhq/wrtc")).default as any;
  const lines = readLines();
  const out = (o: unknown) => console.log(JSON.stringify(o));
  const total = mib * 1024 * 1024;
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  // deno-lint-ignore no-explicit-any
  const pcs: any[] = [];
  // deno-lint-ignore no-explicit-any
  const channels: any[] = [];
  const opened: Promise<void>[] = [];
  // deno-lint-ignore no-explicit-any
  const gathered = (pc: any) =>
    new Promise<void>((r) => {
      if (pc.iceGatheringState === "complete") return r();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && r();
    });
  // deno-lint-ignore no-explicit-any
  const onChannel = (i: number, dc: any) => {
    dc.binaryType = "arraybuffer";
    channels[i] = dc;
    dc.onmessage = (m: { data: ArrayBuffer }) => {
      received += m.data.byteLength;
      if (received >= total) done();
    };
  };
  for (let i = 0; i < cfg.pcs; i++) {
    const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
    pcs.push(pc);
    if (role === "send") {
      const dc = pc.createDataChannel("bench", { ordered: true });
      onChannel(i, dc);
      opened.push(new Promise((r) => (dc.onopen = () => r())));
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      out({ sdp: pc.localDescription.sdp, i });
      const answer = JSON.parse((await lines.next()).value!);
      await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
    } else {
      opened.push(
        new Promise((r) =>
          // deno-lint-ignore no-explicit-any
          pc.ondatachannel = (e: any) => {
            onChannel(i, e.channel);
            r();
          }
        ),
      );
      const offer = JSON.parse((await lines.next()).value!);
      await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc);
      out({ sdp: pc.localDescription.sdp, i });
    }
  }
  await Promise.all(opened);
  if (role === "recv") {
    out({ ready: true });
    await finished;
    out({ received, data: NaN, sacks: NaN, late: NaN });
    await lines.next(); // "bye"
  } else {
    await lines.next(); // "go"
    const payload = new Uint8Array(cfg.size).fill(7);
    await Promise.all(channels.map(async (dc, k) => {
      const share = Math.floor(total / cfg.size / cfg.pcs) +
        (k < (total / cfg.size) % cfg.pcs ? 1 : 0);
      for (let n = 0; n < share; n++) {
        while (dc.bufferedAmount > 1024 * 1024) await new Promise((r) => setTimeout(r, 1));
        dc.send(payload);
      }
    }));
    out({ queuedMs: 0 });
    await lines.next(); // "bye"
    out({ cuts: NaN, t3: NaN });
  }
  for (const pc of pcs) pc.close();
  setTimeout(() => Deno.exit(0), 200);
}

/** One end through p2pos's RtcPeer (lib/net/rtc_peer.ts), on this thread or in Workers. */
async function childRtcPeer(role: "send" | "recv", cfg: Config, mib: number): Promise<void> {
  const lines = readLines();
  const out = (o: unknown) => console.log(JSON.stringify(o));
  const make = cfg.peer === "worker" ? workerRtcPeer : localRtcPeer;
  const total = mib * 1024 * 1024;
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const peers: RtcPeer[] = [];
  for (let i = 0; i < cfg.pcs; i++) {
    const peer = make({ iceServers: [], iceTransportPolicy: "all", loopback: true });
    peers.push(peer);
    if (role === "send") {
      out({ sdp: await peer.offer(), i });
      await peer.accept(JSON.parse((await lines.next()).value!).sdp);
    } else {
      const offer = JSON.parse((await lines.next()).value!);
      out({ sdp: await peer.answer(offer.sdp), i });
    }
  }
  const channels = (await Promise.all(peers.map((p) => p.opened))).map((o) => o.channel);
  const wakers: (() => void)[] = channels.map(() => () => {});
  channels.forEach((c, k) =>
    c.attach({
      onMessage(d) {
        received += d.byteLength;
        if (received >= total) done();
      },
      onClose() {},
      onDrain: () => wakers[k](),
    })
  );
  if (role === "recv") {
    out({ ready: true });
    await finished;
    out({ received, data: NaN, sacks: NaN });
    await lines.next(); // "bye"
  } else {
    await lines.next(); // "go"
    await Promise.all(channels.map(async (c, k) => {
      const share = Math.floor(total / cfg.size / cfg.pcs) +
        (k < (total / cfg.size) % cfg.pcs ? 1 : 0);
      for (let n = 0; n < share; n++) {
        while (c.bufferedAmount > 1024 * 1024) await new Promise<void>((r) => (wakers[k] = r));
        // A fresh buffer each time, as the link's frames are (transferred to a Worker).
        c.send(new Uint8Array(cfg.size).fill(7));
      }
    }));
    out({ queuedMs: 0 });
    await lines.next(); // "bye"
    out({ cuts: NaN, t3: NaN }); // werift runs behind RtcPeer (perhaps in a Worker): not counted
  }
  for (const p of peers) p.close();
  setTimeout(() => Deno.exit(0), 500);
}

async function child(role: "send" | "recv", cfg: Config, mib: number): Promise<void> {
  const runtimeFlags = Deno.env.get("WERIFT_BENCH_SETFLAGS");
  if (runtimeFlags) (await import("node:v8")).setFlagsFromString(runtimeFlags);
  if (cfg.patch) installWeriftSctpPatch();
  if (cfg.rttMs || cfg.mbit) emulateLink((cfg.rttMs ?? 0) / 2, cfg.mbit);
  const counts = countSctpChunks();
  const lines = readLines();
  const out = (o: unknown) => console.log(JSON.stringify(o));
  const pcs: RTCPeerConnection[] = [];
  const channels: import("werift").RTCDataChannel[] = [];
  const opened: Promise<void>[] = [];
  const total = mib * 1024 * 1024;
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  for (let i = 0; i < cfg.pcs; i++) {
    const pc = new RTCPeerConnection({
      iceAdditionalHostAddresses: ["127.0.0.1"],
      iceUseIpv6: false,
      maxMessageSize: 0,
      ...(cfg.mtu ? { sctp: { mtu: cfg.mtu } } : {}),
    });
    pcs.push(pc);
    const onChannel = (dc: import("werift").RTCDataChannel) => {
      channels[i] = dc;
      dc.onMessage.subscribe((m) => {
        received += typeof m === "string" ? m.length : m.byteLength;
        if (received >= total) done();
      });
    };
    if (role === "send") {
      const dc = pc.createDataChannel("bench", { ordered: true });
      onChannel(dc);
      opened.push(new Promise((r) => dc.stateChanged.subscribe((s) => s === "open" && r())));
      await pc.setLocalDescription(await pc.createOffer());
      out({ sdp: pc.localDescription!.sdp, i });
      const answer = JSON.parse(await lines.next().then((l) => l.value!));
      await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
    } else {
      opened.push(
        new Promise((r) =>
          pc.onDataChannel.subscribe((dc) => {
            onChannel(dc);
            r();
          })
        ),
      );
      const offer = JSON.parse(await lines.next().then((l) => l.value!));
      await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      out({ sdp: pc.localDescription!.sdp, i });
    }
  }
  await Promise.all(opened);
  if (role === "recv") {
    out({ ready: true });
    await finished;
    out({ received, ...counts });
    await lines.next(); // "bye": the parent has read this process's peak RSS
  } else {
    await lines.next(); // "go"
    const t0 = performance.now();
    const payload = Buffer.alloc(cfg.size, 7);
    const low = 256 * 1024;
    const high = 1024 * 1024;
    await Promise.all(channels.map(async (dc, k) => {
      dc.bufferedAmountLowThreshold = low;
      const share = Math.floor(total / cfg.size / cfg.pcs) +
        (k < (total / cfg.size) % cfg.pcs ? 1 : 0);
      for (let n = 0; n < share; n++) {
        while (dc.bufferedAmount > high) {
          await new Promise<void>((r) => {
            const sub = dc.bufferedAmountLow.subscribe(() => {
              sub.unSubscribe();
              r();
            });
          });
        }
        dc.send(payload);
      }
    }));
    out({ queuedMs: performance.now() - t0 });
    await lines.next(); // "bye"
    out(counts); // after the transfer: the window cuts and timeouts it took
  }
  for (const pc of pcs) await pc.close().catch(() => {});
  Deno.exit(0);
}

async function* readLinesGen(): AsyncGenerator<string> {
  let buf = "";
  const dec = new TextDecoder();
  for await (const chunk of Deno.stdin.readable) {
    buf += dec.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
}
function readLines() {
  return readLinesGen();
}

// --- parent ---------------------------------------------------------------------------------

function cpuSeconds(pid: number): number {
  const f = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks (100 Hz)
}

class Proc {
  readonly child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncGenerator<string>;
  constructor(role: string, cfg: Config, mib: number) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        ...(Deno.env.get("WERIFT_BENCH_V8")
          ? [`--v8-flags=${Deno.env.get("WERIFT_BENCH_V8")}`]
          : []),
        ...(Deno.env.get("WERIFT_BENCH_PROF")
          ? ["--cpu-prof", `--cpu-prof-dir=${Deno.env.get("WERIFT_BENCH_PROF")}/${role}`]
          : []),
        import.meta.filename!,
        "--child",
        role,
        "--configs",
        cfg.name,
        "--mib",
        String(mib),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#writer = this.child.stdin.getWriter();
    this.#lines = (async function* (s: ReadableStream<Uint8Array>) {
      let buf = "";
      const dec = new TextDecoder();
      for await (const chunk of s) {
        buf += dec.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          yield buf.slice(0, i);
          buf = buf.slice(i + 1);
        }
      }
    })(this.child.stdout);
  }
  async read(): Promise<Record<string, unknown>> {
    const { value, done } = await this.#lines.next();
    if (done) throw new Error("child ended");
    return JSON.parse(value);
  }
  write(o: unknown): Promise<void> {
    return this.#writer.write(new TextEncoder().encode(JSON.stringify(o) + "\n"));
  }
}

interface Result {
  cfg: string;
  seconds: number;
  cpu: [number, number];
  drops: number;
  /** Peak RSS of the receiver, MiB. */
  peakMiB: number;
  sackRatio: number;
  /** DATA chunks that arrived after a higher TSN, per 1,000 received. */
  latePerMille: number;
  /** Window cuts by fast retransmit, and T3 timeouts, on the sender. */
  cuts: number;
  t3: number;
}

function peakMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function runOne(cfg: Config, mib: number): Promise<Result> {
  const s = new Proc("send", cfg, mib);
  const r = new Proc("recv", cfg, mib);
  try {
    for (let i = 0; i < cfg.pcs; i++) {
      await r.write(await s.read());
      await s.write(await r.read());
    }
    await r.read(); // ready
    const cpu0 = [cpuSeconds(s.child.pid), cpuSeconds(r.child.pid)];
    const drops0 = udpRcvbufErrors();
    const t0 = performance.now();
    await s.write("go");
    const got = await r.read(); // received
    const seconds = (performance.now() - t0) / 1000;
    const cpu: [number, number] = [
      cpuSeconds(s.child.pid) - cpu0[0],
      cpuSeconds(r.child.pid) - cpu0[1],
    ];
    const drops = udpRcvbufErrors() - drops0;
    const peak = peakMiB(r.child.pid);
    await s.read(); // queuedMs
    await s.write("bye");
    const sent = await s.read();
    await r.write("bye");
    return {
      cfg: cfg.name,
      seconds,
      cpu,
      drops,
      peakMiB: peak,
      sackRatio: Number(got.sacks) / Number(got.data),
      latePerMille: 1000 * Number(got.late) / Number(got.data),
      cuts: Number(sent.cuts),
      t3: Number(sent.t3),
    };
  } finally {
    for (const p of [s, r]) {
      const timer = setTimeout(() => {
        try {
          p.child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 10_000);
      await p.child.status;
      clearTimeout(timer);
    }
  }
}

function stats(xs: number[], digits = 1): string {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.length > 1
    ? `${mean.toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${
      Math.max(...xs).toFixed(digits)
    })`
    : mean.toFixed(digits);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      child: { type: "string" },
      configs: { type: "string" },
      mib: { type: "string" },
      rounds: { type: "string" },
    },
  });
  const mib = Number(values.mib ?? 64);
  const configs = (values.configs ?? "1x64k,1x16k,1x256k,2x64k,3x64k").split(",").map(parseConfig);
  if (values.child) {
    if (configs[0].wrtc) await childWrtc(values.child as "send" | "recv", configs[0], mib);
    else if (configs[0].peer) await childRtcPeer(values.child as "send" | "recv", configs[0], mib);
    else await child(values.child as "send" | "recv", configs[0], mib);
  } else {
    const rounds = Number(values.rounds ?? 3);
    const results: Result[] = [];
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < configs.length; k++) {
        const cfg = configs[(round + k) % configs.length];
        const res = await runOne(cfg, mib);
        results.push(res);
        console.error(
          `round ${round + 1} ${cfg.name}: ${
            (mib / res.seconds).toFixed(1)
          } MiB/s, drops ${res.drops}, load ${Deno.loadavg()[0].toFixed(1)}`,
        );
      }
    }
    const gib = mib / 1024;
    const base = results.filter((r) => r.cfg === configs[0].name);
    const baseMean = base.reduce((a, r) => a + mib / r.seconds, 0) / base.length;
    console.log(
      `${mib} MiB per run, ${rounds} round(s), mean (min–max); load ${
        Deno.loadavg().map((x) => x.toFixed(1)).join(" ")
      }`,
    );
    console.log("");
    console.log(
      "| config | MiB/s | vs " + configs[0].name +
        " | CPU-s/GiB sender | CPU-s/GiB receiver | UDP drops | late chunks ‰ | window cuts | T3 timeouts | SACKs per DATA chunk | receiver peak RSS MiB |",
    );
    console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const cfg of configs) {
      const rs = results.filter((r) => r.cfg === cfg.name);
      const rates = rs.map((r) => mib / r.seconds);
      const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
      console.log(
        `| ${cfg.name} | ${stats(rates)} | ${(mean / baseMean).toFixed(2)}× | ${
          stats(rs.map((r) => r.cpu[0] / gib))
        } | ${stats(rs.map((r) => r.cpu[1] / gib))} | ${stats(rs.map((r) => r.drops), 0)} | ${
          stats(rs.map((r) => r.latePerMille), 2)
        } | ${stats(rs.map((r) => r.cuts), 0)} | ${stats(rs.map((r) => r.t3), 0)} | ${
          stats(rs.map((r) => r.sackRatio), 2)
        } | ${stats(rs.map((r) => r.peakMiB), 0)} |`,
      );
    }
  }
}
