/**
 * The HTTP transport (DESIGN §7, docs/PROTOCOL.md §3): `/internal/v1/...` on
 * the peer's URL, every request signed with this node's key, every JSON answer
 * checked against the peer's key. Blob bodies stream both ways with the
 * backpressure of `fetch`, so memory stays bounded for any blob size.
 */

import { fromBase64Url, toBase64Url } from "../crypto/mod.ts";
import type {
  BlobDownload,
  BootstrapRequest,
  FeedPage,
  InventoryPage,
  NodeSigner,
  PeerAddress,
  PeerHello,
  Transport,
} from "../core/transport.ts";
import { readCapped } from "../core/read_capped.ts";
import { TransportError } from "../core/transport.ts";
import { blobDigest, contentDigest, H, signRequest, verifyResponse } from "./signing.ts";

export interface HttpTransportOptions {
  /** The path name shown per peer. @default "http" */
  path?: string;
  /**
   * Where requests to `peer` go: an origin `fetch` understands, or undefined when this
   * transport cannot reach it. @default the peer's http(s) URL. The WebRTC transport
   * sends the same signed requests through a data channel this way (lib/net/webrtc_transport.ts).
   */
  origin?: (peer: PeerAddress) => string | undefined;
  /** Time limit of one JSON call. @default 30_000 */
  timeoutMs?: number;
  /** Largest JSON answer read. @default 64 MiB */
  maxResponseBytes?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

export class HttpTransport implements Transport {
  readonly path: string;
  readonly #origin: (peer: PeerAddress) => string | undefined;
  readonly #signer: NodeSigner;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #maxResponse: number;

  constructor(signer: NodeSigner, options: HttpTransportOptions = {}) {
    this.#signer = signer;
    this.path = options.path ?? "http";
    this.#origin = options.origin ??
      ((peer) =>
        typeof peer.url === "string" && /^https?:\/\//.test(peer.url) ? peer.url : undefined);
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#now = options.now ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxResponse = options.maxResponseBytes ?? 64 << 20;
  }

  reaches(peer: PeerAddress): boolean {
    return this.#origin(peer) !== undefined;
  }

  async hello(peer: PeerAddress, indexId: string, signal?: AbortSignal): Promise<PeerHello> {
    const q = `?index=${encodeURIComponent(indexId)}`;
    return await this.#json<PeerHello>(peer, "GET", `/internal/v1/hello${q}`, undefined, {
      signal,
    });
  }

  async pullRecords(peer: PeerAddress, after: number, limit: number): Promise<FeedPage> {
    const q = `?after=${after}&limit=${limit}`;
    return await this.#json<FeedPage>(peer, "GET", `/internal/v1/records${q}`);
  }

  async pushRecords(peer: PeerAddress, page: FeedPage): Promise<{ cursor: number }> {
    return await this.#json(peer, "POST", "/internal/v1/records", page);
  }

  async inventory(peer: PeerAddress, after?: string, limit = 5000): Promise<InventoryPage> {
    const q = `?limit=${limit}${after ? `&after=${after}` : ""}`;
    return await this.#json<InventoryPage>(peer, "GET", `/internal/v1/inventory${q}`);
  }

  async haveBlobs(peer: PeerAddress, ids: string[]): Promise<string[]> {
    const res = await this.#json<{ have: string[] }>(peer, "POST", "/internal/v1/blobs/have", {
      ids,
    });
    return res.have;
  }

  async putBlob(
    peer: PeerAddress,
    id: string,
    size: number,
    body: ReadableStream<Uint8Array> | Uint8Array,
    signal?: AbortSignal,
  ): Promise<{ created: boolean }> {
    // PROTOCOL §3.5: the digest of a blob body is its id, so the request is signed before
    // a byte is read, and the receiver's store checks the bytes against it while streaming.
    const target = `/internal/v1/blobs/${id}`;
    return await this.#json(peer, "PUT", target, body, {
      signal,
      digest: blobDigest(id),
      headers: { "content-type": "application/octet-stream", "p2pos-blob-size": String(size) },
      timeout: false,
    });
  }

  async offerBlobs(
    peer: PeerAddress,
    blobs: { id: string; size: number }[],
  ): Promise<{ have: string[]; queued: string[] }> {
    return await this.#json(peer, "POST", "/internal/v1/blobs/offer", { blobs });
  }

  /** `offset` > 0 reads the rest of the blob from there (a resumed pull); `size` is what follows. */
  async getBlob(
    peer: PeerAddress,
    id: string,
    signal?: AbortSignal,
    offset = 0,
  ): Promise<BlobDownload> {
    const target = `/internal/v1/blobs/${id}${offset > 0 ? `?offset=${offset}` : ""}`;
    const res = await this.#send(peer, "GET", target, EMPTY, {
      signal,
      timeout: false,
    });
    if (!res.res.ok) await this.#fail(peer, res.res);
    const size = Number(res.res.headers.get("content-length") ?? "-1");
    if (!res.res.body || !Number.isSafeInteger(size) || size < 0) {
      await res.res.body?.cancel();
      throw new TransportError("bad_peer_answer", `Node ${short(peer)} sent no blob length`, {
        retryable: true,
      });
    }
    // No response signature here: the bytes are checked against the id by the store.
    return { size, stream: res.res.body };
  }

  async proveBlob(peer: PeerAddress, id: string, nonce: Uint8Array): Promise<string> {
    const res = await this.#json<{ digest: string }>(
      peer,
      "POST",
      `/internal/v1/blobs/${id}/proof`,
      { nonce: toBase64Url(nonce) },
      { timeout: false },
    );
    return res.digest;
  }

  async bootstrap(peer: PeerAddress, request: BootstrapRequest): Promise<void> {
    await this.#json(peer, "POST", "/internal/v1/bootstrap", request, { includeKey: true });
  }

  async #send(
    peer: PeerAddress,
    method: string,
    target: string,
    body: Uint8Array | ReadableStream<Uint8Array>,
    opts: SendOptions,
  ): Promise<{ res: Response; nonce: string }> {
    if (!this.reaches(peer)) {
      throw new TransportError("peer_unreachable", `Node ${short(peer)} has no URL to reach it`, {
        retryable: true,
      });
    }
    const digest = opts.digest ?? contentDigest(body as Uint8Array);
    const origin = this.#origin(peer)!;
    const signed = await signRequest(this.#signer, { method, target, to: peer.nodeId, digest }, {
      now: this.#now(),
      includeKey: opts.includeKey,
    });
    const signals = [
      opts.signal,
      opts.timeout === false ? undefined : AbortSignal.timeout(
        this.#timeoutMs,
      ),
    ].filter((s): s is AbortSignal => s !== undefined);
    const init: RequestInit & { duplex?: "half" } = {
      method,
      headers: { ...opts.headers, ...signed },
      signal: signals.length ? AbortSignal.any(signals) : undefined,
    };
    if (method !== "GET") {
      init.body = body as BodyInit;
      if (body instanceof ReadableStream) init.duplex = "half";
    }
    try {
      return { res: await this.#fetch(origin + target, init), nonce: signed[H.nonce] };
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      throw new TransportError(
        "peer_unreachable",
        `Cannot reach node ${short(peer)} ${this.#where(peer)}: ${(err as Error).message}`,
        { retryable: true, cause: err },
      );
    }
  }

  async #json<T>(
    peer: PeerAddress,
    method: string,
    target: string,
    payload?: unknown,
    opts: SendOptions = {},
  ): Promise<T> {
    const raw = payload instanceof ReadableStream || payload instanceof Uint8Array;
    const body = raw
      ? payload
      : payload === undefined
      ? EMPTY
      : encoder.encode(JSON.stringify(payload));
    const headers = payload === undefined || raw
      ? opts.headers
      : { "content-type": "application/json", ...opts.headers };
    const { res, nonce } = await this.#send(peer, method, target, body, { ...opts, headers });
    if (!res.ok) await this.#fail(peer, res);
    const bytes = await readAnswer(res, this.#maxResponse, peer);
    const key = { nodeId: peer.nodeId, publicKey: fromBase64Url(peer.publicKey) };
    if (
      !(await verifyResponse(
        { status: res.status, get: (n) => res.headers.get(n) },
        bytes,
        nonce,
        key,
      ))
    ) {
      throw new TransportError(
        "bad_response_signature",
        `The answer ${this.#where(peer)} is not signed by node ${short(peer)}`,
        { retryable: true, status: res.status },
      );
    }
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as T;
    } catch (err) {
      throw new TransportError("bad_peer_answer", `Node ${short(peer)} sent malformed JSON`, {
        retryable: true,
        cause: err,
      });
    }
  }

  #where(peer: PeerAddress): string {
    return this.path === "http" ? `at ${peer.url}` : `over ${this.path}`;
  }

  async #fail(peer: PeerAddress, res: Response): Promise<never> {
    const text = await res.text().catch(() => "");
    let code = `http_${res.status}`;
    let message = text.slice(0, 300);
    try {
      const e = JSON.parse(text).error;
      if (typeof e?.code === "string") code = e.code;
      if (typeof e?.message === "string") message = e.message;
    } catch { /* not our JSON: a proxy page or a crash */ }
    // Refusals are final until something changes (pairing, removal); overload and
    // crashes are worth another try.
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    throw new TransportError(code, `Node ${short(peer)} answered ${res.status}: ${message}`, {
      retryable,
      status: res.status,
    });
  }
}

interface SendOptions {
  signal?: AbortSignal;
  digest?: string;
  headers?: Record<string, string>;
  includeKey?: boolean;
  /** `false` for transfers, whose length has no fixed bound. */
  timeout?: false;
}

function short(peer: PeerAddress): string {
  return peer.nodeId.slice(0, 7);
}

/** The answer's bytes, refused (unread) once they pass `max`. */
async function readAnswer(res: Response, max: number, peer: PeerAddress): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > max) {
    await res.body?.cancel();
    throw new TransportError("too_large", `Node ${short(peer)} sent ${declared} bytes`, {
      retryable: false,
    });
  }
  return await readCapped(
    res.body,
    max,
    () =>
      new TransportError("too_large", `Node ${short(peer)} sent over ${max} bytes`, {
        retryable: false,
      }),
  );
}
