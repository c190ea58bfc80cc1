/**
 * Path choice per peer (DESIGN §8, docs/PROTOCOL.md §8.5): one Transport over
 * HTTP (when the peer has a URL) and a data channel (when a relay is
 * configured). The engine sees one transport; this one decides, per call:
 *
 * - records and other small calls go over the data channel when it is open,
 *   else over HTTP (and the channel is opened in the background);
 * - blobs go over whichever path measured faster with that peer (each path is
 *   tried until it has a measurement, and the slower one is measured again now
 *   and then);
 * - a call whose path fails (unreachable, channel closed) is repeated once over
 *   the other path. Every call is idempotent (PROTOCOL §2.4), so nothing is
 *   lost or applied twice;
 * - a pull that breaks mid-blob continues from the last byte the store took
 *   (`?offset=`), over whichever path answers within `resumeWithinMs`; the
 *   store sees one stream and checks its hash as always.
 */

import { P2posError } from "../core/errors.ts";
import { getLogger } from "../core/log.ts";
import type {
  BlobDownload,
  BootstrapRequest,
  FeedPage,
  InventoryPage,
  PathInfo,
  PathThroughput,
  PeerAddress,
  PeerHello,
  Transport,
} from "../core/transport.ts";
import { TransportError } from "../core/transport.ts";
import type { HttpTransport } from "./http_transport.ts";
import type { Links } from "./webrtc_links.ts";

const log = getLogger("net");

/** Transfers smaller than this say more about latency than throughput: not measured. */
const MIN_SAMPLE = 256 * 1024;

export interface MultipathOptions {
  /** A broken pull is resumed within this long, else it fails. @default 45_000 */
  resumeWithinMs?: number;
  /** The slower path is measured again after this long. @default 300_000 */
  remeasureAfterMs?: number;
  now?: () => number;
}

interface PeerPaths {
  blobPath?: string;
  rates: Map<string, PathThroughput>;
}

export class MultipathTransport implements Transport {
  readonly path = "auto";
  readonly #http: HttpTransport;
  readonly #rtc?: { transport: HttpTransport; links: Links };
  readonly #peers = new Map<string, PeerPaths>();
  readonly #opt: Required<MultipathOptions>;

  constructor(
    http: HttpTransport,
    rtc?: { transport: HttpTransport; links: Links },
    options: MultipathOptions = {},
  ) {
    this.#http = http;
    this.#rtc = rtc;
    this.#opt = { resumeWithinMs: 45_000, remeasureAfterMs: 300_000, now: Date.now, ...options };
  }

  reaches(peer: PeerAddress): boolean {
    return this.#http.reaches(peer) || this.#rtc !== undefined;
  }

  describe(peer: PeerAddress): PathInfo {
    const p = this.#state(peer.nodeId);
    const link = this.#rtc?.links;
    const linkPath = link?.path(peer.nodeId);
    return {
      // The path records take now: the channel when it is open, else HTTP when the peer has a
      // URL, else none (waiting for the channel).
      path: linkPath ?? (this.#http.reaches(peer) ? "http" : "none"),
      blobPath: p.blobPath,
      throughput: [...p.rates.values()],
      linkError: this.#rtc && !linkPath ? link?.lastError(peer.nodeId) : undefined,
    };
  }

  hello(peer: PeerAddress, indexId: string, signal?: AbortSignal): Promise<PeerHello> {
    return this.#call(peer, (t) => t.hello(peer, indexId, signal));
  }
  pullRecords(peer: PeerAddress, after: number, limit: number): Promise<FeedPage> {
    return this.#call(peer, (t) => t.pullRecords(peer, after, limit));
  }
  pushRecords(peer: PeerAddress, page: FeedPage): Promise<{ cursor: number }> {
    return this.#call(peer, (t) => t.pushRecords(peer, page));
  }
  inventory(peer: PeerAddress, after?: string, limit?: number): Promise<InventoryPage> {
    return this.#call(peer, (t) => t.inventory(peer, after, limit));
  }
  haveBlobs(peer: PeerAddress, ids: string[]): Promise<string[]> {
    return this.#call(peer, (t) => t.haveBlobs(peer, ids));
  }
  offerBlobs(peer: PeerAddress, blobs: { id: string; size: number }[]) {
    return this.#call(peer, (t) => t.offerBlobs(peer, blobs));
  }
  proveBlob(peer: PeerAddress, id: string, nonce: Uint8Array): Promise<string> {
    return this.#call(peer, (t) => t.proveBlob(peer, id, nonce));
  }
  bootstrap(peer: PeerAddress, request: BootstrapRequest): Promise<void> {
    return this.#call(peer, (t) => t.bootstrap(peer, request));
  }

  async putBlob(
    peer: PeerAddress,
    id: string,
    size: number,
    body: ReadableStream<Uint8Array> | Uint8Array,
    signal?: AbortSignal,
  ): Promise<{ created: boolean }> {
    // The body can be sent once: no second path for a push (the job is retried instead).
    const [t] = this.#order(peer, true);
    if (!t) throw unreachable();
    const started = this.#opt.now();
    const r = await this.#used(peer, t, t.putBlob(peer, id, size, body, signal), true);
    this.#sample(peer, t, size, this.#opt.now() - started);
    return r;
  }

  async getBlob(peer: PeerAddress, id: string, signal?: AbortSignal): Promise<BlobDownload> {
    const first = await this.#call(peer, (t) => this.#timed(peer, t, id, signal, 0), true);
    const size = first.size;
    let current = first;
    let delivered = 0;
    let reader = current.stream.getReader();
    const stream = new ReadableStream<Uint8Array>({
      pull: async (c) => {
        while (true) {
          try {
            const { done, value } = await reader.read();
            if (done) {
              if (delivered !== size) {
                throw new Error(`The blob ended at ${delivered} of ${size} bytes`);
              }
              current.finish(delivered);
              c.close();
            } else {
              delivered += value.byteLength;
              c.enqueue(value);
            }
            return;
          } catch (err) {
            if (signal?.aborted || !isPathFailure(err) || delivered >= size) throw err;
            log.info("Blob transfer broke; resuming from the last byte received", {
              peer: peer.nodeId,
              blob: id,
              offset: delivered,
              error: (err as Error).message,
            });
            current = await this.#resume(peer, id, delivered, size, signal, err);
            reader = current.stream.getReader();
          }
        }
      },
      cancel: (reason) => reader.cancel(reason),
    }, { highWaterMark: 0 });
    return { size, stream };
  }

  // --- choosing ---------------------------------------------------------------------------

  /** The transports to try for `peer`, best first. */
  #order(peer: PeerAddress, bulk: boolean): HttpTransport[] {
    const http = this.#http.reaches(peer) ? this.#http : undefined;
    const rtc = this.#rtc;
    if (!rtc) return http ? [http] : [];
    const linkUp = rtc.links.link(peer.nodeId) !== undefined;
    if (!http) return [rtc.transport];
    if (!linkUp) {
      // Meet over a data channel next time; HTTP answers now.
      if (rtc.links.canTry(peer.nodeId)) rtc.links.connect(peer).catch(() => {});
      return [http];
    }
    if (!bulk) return [rtc.transport, http];
    const rates = this.#state(peer.nodeId).rates;
    const r = rates.get(rtc.links.path(peer.nodeId) ?? "webrtc");
    const h = rates.get("http");
    if (!r) return [rtc.transport, http];
    if (!h) return [http, rtc.transport];
    const [fast, slow, slowRate] = r.bytesPerSec > h.bytesPerSec
      ? [rtc.transport, http, h]
      : [http, rtc.transport, r];
    const stale = this.#opt.now() - slowRate.at > this.#opt.remeasureAfterMs;
    return stale ? [slow, fast] : [fast, slow];
  }

  async #call<T>(
    peer: PeerAddress,
    fn: (t: HttpTransport) => Promise<T>,
    bulk = false,
  ): Promise<T> {
    const order = this.#order(peer, bulk);
    if (!order.length) throw unreachable();
    for (let i = 0;; i++) {
      try {
        return await this.#used(peer, order[i], fn(order[i]), bulk);
      } catch (err) {
        if (i + 1 >= order.length || !isPathFailure(err)) throw err;
        log.debug("Path failed; trying the other", {
          peer: peer.nodeId,
          path: this.#name(peer, order[i]),
          error: (err as Error).message,
        });
      }
    }
  }

  async #used<T>(peer: PeerAddress, t: HttpTransport, p: Promise<T>, bulk: boolean): Promise<T> {
    const r = await p;
    if (bulk) this.#state(peer.nodeId).blobPath = this.#name(peer, t);
    return r;
  }

  #name(peer: PeerAddress, t: HttpTransport): string {
    return t === this.#http ? "http" : this.#rtc?.links.path(peer.nodeId) ?? "webrtc";
  }

  // --- measuring and resuming -------------------------------------------------------------

  async #timed(
    peer: PeerAddress,
    t: HttpTransport,
    id: string,
    signal: AbortSignal | undefined,
    offset: number,
  ): Promise<BlobDownload & { finish(total: number): void }> {
    const started = this.#opt.now();
    const dl = await t.getBlob(peer, id, signal, offset);
    return {
      size: dl.size + offset,
      stream: dl.stream,
      finish: (total) => this.#sample(peer, t, total - offset, this.#opt.now() - started),
    };
  }

  async #resume(
    peer: PeerAddress,
    id: string,
    offset: number,
    size: number,
    signal: AbortSignal | undefined,
    cause: unknown,
  ): Promise<BlobDownload & { finish(total: number): void }> {
    const deadline = this.#opt.now() + this.#opt.resumeWithinMs;
    let last = cause;
    while (this.#opt.now() < deadline) {
      signal?.throwIfAborted();
      for (const t of this.#order(peer, true)) {
        try {
          const next = await this.#timed(peer, t, id, signal, offset);
          if (next.size !== size) {
            await next.stream.cancel();
            throw new TransportError("blob_changed", `Blob ${id} changed size on the peer`, {
              retryable: true,
            });
          }
          this.#state(peer.nodeId).blobPath = this.#name(peer, t);
          return next;
        } catch (err) {
          if (!isPathFailure(err)) throw err;
          last = err;
        }
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    throw last;
  }

  #sample(peer: PeerAddress, t: HttpTransport, bytes: number, ms: number): void {
    if (bytes < MIN_SAMPLE || ms <= 0) return;
    const name = this.#name(peer, t);
    const rates = this.#state(peer.nodeId).rates;
    const rate = (bytes * 1000) / ms;
    const prev = rates.get(name);
    rates.set(name, {
      path: name,
      bytesPerSec: Math.round(prev ? prev.bytesPerSec * 0.7 + rate * 0.3 : rate),
      at: this.#opt.now(),
    });
  }

  #state(nodeId: string): PeerPaths {
    let s = this.#peers.get(nodeId);
    if (!s) this.#peers.set(nodeId, s = { rates: new Map() });
    return s;
  }
}

function unreachable(): TransportError {
  return new TransportError("peer_unreachable", "No URL and no relay to reach that node", {
    retryable: true,
  });
}

/**
 * Whether `err` means the path failed (unreachable, channel closed, connection reset)
 * rather than the peer answering: only then is another path, or a resume, worth it.
 */
export function isPathFailure(err: unknown): boolean {
  if (err instanceof TransportError) return err.status === 0;
  if (err instanceof P2posError) return false; // the store refused the bytes, …
  if (err instanceof DOMException && err.name === "AbortError") return false;
  return err instanceof Error; // raw stream errors: a closed link, a reset connection
}
