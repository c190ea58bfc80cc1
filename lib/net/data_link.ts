/**
 * A link: signed `/internal/v1` requests and their answers carried as streams
 * of frames over one ordered, reliable message channel (a WebRTC data channel;
 * docs/PROTOCOL.md §8.4). Each side can open streams (`fetch`) and answer the
 * other's (`handler`), like HTTP/2 over one connection:
 *
 * - a stream is `Request` head, body `Data`… `End`, then `Response` head,
 *   body `Data`… `End`; `Reset` abandons it;
 * - flow control per stream and direction: a sender may be at most `window`
 *   bytes ahead of what the receiver's consumer took; `Credit` frames carry
 *   the consumed offset (the acknowledgement) plus the window. A slow store
 *   therefore never makes the other side's bytes pile up in memory;
 * - the channel itself is written only while its `bufferedAmount` is under
 *   `highWater` (backpressure with `bufferedAmountLow`, DESIGN §2);
 * - pings every `pingMs`; a peer silent for `silenceMs` closes the link.
 *
 * The link knows nothing of WebRTC, signatures or peers: it moves requests.
 * That keeps it testable over an in-memory channel, and movable to a worker
 * or spread over several channels later (issue #12).
 */

import {
  creditPayload,
  decodeFrame,
  encodeFrame,
  FrameType,
  HEADER_BYTES,
  jsonPayload,
  MAX_CHUNK,
  parseJsonPayload,
  readCredit,
  readText,
  textPayload,
  writeFrameHeader,
} from "./link_frames.ts";

/** The message channel a link runs over (a werift data channel, or a test pair). */
export interface FrameChannel {
  send(frame: Uint8Array): void;
  /**
   * `send` copies the frame before it returns, so the caller may write the next frame into the
   * same buffer (libwebrtc's does; werift keeps a reference to what it is given).
   */
  readonly copiesOnSend?: boolean;
  readonly bufferedAmount: number;
  close(): void;
  /** Called once; `onDrain` after `bufferedAmount` fell below the channel's low threshold. */
  attach(handlers: {
    onMessage(data: Uint8Array): void;
    onClose(): void;
    onDrain(): void;
  }): void;
}

export interface DataLinkOptions {
  /** Offerers open odd streams, answerers even ones, so ids never collide. */
  role: "offerer" | "answerer";
  /** Answers the peer's requests; absent: every request is refused (404). */
  handler?: (request: Request) => Promise<Response>;
  /** Bytes a sender may be ahead of the receiver's consumer, per stream. @default 1 MiB */
  window?: number;
  /** Streams the peer may have open at once. @default 64 */
  maxStreams?: number;
  /** The channel is not written past this many buffered bytes. @default 1 MiB */
  highWater?: number;
  /** @default 5_000 */
  pingMs?: number;
  /** @default 20_000 */
  silenceMs?: number;
  onClose?: (reason: string) => void;
  /** An answer to the peer ended: its body bytes sent, and whether all of it went. */
  onServed?: (target: string, status: number, bytes: number, complete: boolean) => void;
  now?: () => number;
}

/** The link went down; what was in flight on it failed with this. */
export class LinkClosedError extends Error {
  constructor(reason: string) {
    super(`The data channel closed: ${reason}`);
    this.name = "LinkClosedError";
  }
}

interface Head {
  method: string;
  target: string;
  headers: Record<string, string>;
}

interface Stream {
  id: number;
  // bytes arriving
  queue: Uint8Array[];
  received: number;
  consumed: number;
  granted: number;
  rxEnded: boolean;
  rxError?: Error;
  rxWake?: () => void;
  // bytes leaving
  sent: number;
  limit: number;
  txDone: boolean;
  txWake?: () => void;
  /** Set on streams this side opened, until the answer's head arrives. */
  response?: {
    resolve: (h: { status: number; headers: Record<string, string> }) => void;
    reject: (e: Error) => void;
  };
  abort: AbortController;
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export class DataLink {
  readonly #channel: FrameChannel;
  readonly #opt:
    & Required<Omit<DataLinkOptions, "handler" | "onClose" | "onServed">>
    & Pick<DataLinkOptions, "handler" | "onClose" | "onServed">;
  readonly #streams = new Map<number, Stream>();
  #nextId: number;
  #closed?: string;
  #lastHeard: number;
  #drainWaiters: (() => void)[] = [];
  #pinger?: ReturnType<typeof setInterval>;
  bytesSent = 0;
  bytesReceived = 0;

  constructor(channel: FrameChannel, options: DataLinkOptions) {
    this.#channel = channel;
    this.#opt = {
      window: 1 << 20,
      maxStreams: 64,
      highWater: 1 << 20,
      pingMs: 5_000,
      silenceMs: 20_000,
      now: Date.now,
      ...options,
    };
    this.#nextId = options.role === "offerer" ? 1 : 2;
    this.#lastHeard = this.#opt.now();
    channel.attach({
      onMessage: (data) => this.#onMessage(data),
      onClose: () => this.close("the peer closed the channel"),
      onDrain: () => this.#drained(),
    });
    this.#pinger = setInterval(() => {
      if (this.#opt.now() - this.#lastHeard > this.#opt.silenceMs) {
        this.close(`the peer was silent for ${Math.round(this.#opt.silenceMs / 1000)} s`);
      } else this.#send(FrameType.Ping, 0);
    }, this.#opt.pingMs);
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** Streams open right now (both directions). */
  get activeStreams(): number {
    return this.#streams.size;
  }

  /** Sends a request over the link; resolves to the answer once its head arrives. */
  async fetch(
    target: string,
    init: {
      method: string;
      headers?: Record<string, string>;
      body?: Uint8Array | ReadableStream<Uint8Array> | null;
      signal?: AbortSignal;
    },
  ): Promise<Response> {
    if (this.#closed) throw new LinkClosedError(this.#closed);
    init.signal?.throwIfAborted();
    const id = this.#nextId;
    this.#nextId += 2;
    if (this.#nextId > 0xfffffff0) this.#nextId = this.#opt.role === "offerer" ? 1 : 2;
    const s = this.#open(id);
    const head = new Promise<{ status: number; headers: Record<string, string> }>(
      (resolve, reject) => {
        s.response = { resolve, reject };
      },
    );
    const onAbort = () => this.#reset(s, init.signal?.reason ?? new Error("aborted"), true);
    init.signal?.addEventListener("abort", onAbort, { once: true });
    this.#send(
      FrameType.Request,
      id,
      jsonPayload({ method: init.method, target, headers: init.headers ?? {} } satisfies Head),
    );
    this.#sendBody(s, init.body ?? null).catch((err) => this.#reset(s, err, true));
    try {
      const { status, headers } = await head;
      const body = NULL_BODY.has(status) || init.method === "HEAD" ? null : this.#body(s);
      if (!body) this.#discardBody(s);
      return new Response(body, { status, headers });
    } catch (err) {
      init.signal?.removeEventListener("abort", onAbort);
      throw err;
    }
  }

  /** Closes the link; everything in flight on it fails with {@link LinkClosedError}. */
  close(reason = "closed"): void {
    if (this.#closed) return;
    this.#closed = reason;
    clearInterval(this.#pinger);
    const err = new LinkClosedError(reason);
    for (const s of this.#streams.values()) this.#fail(s, err);
    this.#streams.clear();
    for (const w of this.#drainWaiters.splice(0)) w();
    try {
      this.#channel.close();
    } catch { /* already gone */ }
    this.#opt.onClose?.(reason);
  }

  // --- frames in ------------------------------------------------------------------------

  #onMessage(data: Uint8Array): void {
    if (this.#closed) return;
    this.#lastHeard = this.#opt.now();
    try {
      this.#frame(data);
    } catch (err) {
      // STYLE: a malformed peer message closes that peer's session.
      this.close(`protocol error: ${(err as Error).message}`);
    }
  }

  #frame(data: Uint8Array): void {
    const f = decodeFrame(data);
    const s = this.#streams.get(f.stream);
    switch (f.type) {
      case FrameType.Ping:
        this.#send(FrameType.Pong, 0);
        return;
      case FrameType.Pong:
        return;
      case FrameType.Request: {
        const theirs = this.#opt.role === "offerer" ? 0 : 1;
        if (f.stream % 2 !== theirs || f.stream === 0 || s) {
          throw new SyntaxError(`stream ${f.stream} cannot be opened by the peer`);
        }
        const head = parseHead(parseJsonPayload(f.payload, "request head"));
        if (this.#inbound() >= this.#opt.maxStreams) {
          this.#send(FrameType.Reset, f.stream, textPayload("too many streams at once"));
          return;
        }
        this.#serve(this.#open(f.stream), head);
        return;
      }
      case FrameType.Response: {
        if (!s?.response) {
          if (s) throw new SyntaxError(`stream ${f.stream} got a second answer`);
          return; // reset here meanwhile
        }
        const r = s.response;
        s.response = undefined;
        const json = parseJsonPayload(f.payload, "response head");
        const status = json.status;
        if (
          typeof status !== "number" || !Number.isInteger(status) || status < 200 || status > 599
        ) {
          throw new SyntaxError("response status out of range");
        }
        r.resolve({ status, headers: parseHeaders(json.headers) });
        return;
      }
      case FrameType.Data: {
        if (!s || s.rxError) return; // abandoned here; its bytes are dropped
        if (s.rxEnded) throw new SyntaxError(`data after the end of stream ${f.stream}`);
        s.received += f.payload.byteLength;
        this.bytesReceived += f.payload.byteLength;
        if (s.received > s.granted) {
          throw new SyntaxError(`stream ${f.stream} sent past its credit`);
        }
        if (f.payload.byteLength) s.queue.push(f.payload);
        wake(s, "rx");
        return;
      }
      case FrameType.End:
        if (!s) return;
        s.rxEnded = true;
        wake(s, "rx");
        this.#settle(s);
        return;
      case FrameType.Credit:
        if (!s) return;
        s.limit = Math.max(s.limit, readCredit(f.payload));
        wake(s, "tx");
        return;
      case FrameType.Reset:
        if (!s) return;
        this.#fail(s, new Error(`The peer abandoned the transfer: ${readText(f.payload)}`));
        this.#streams.delete(s.id);
        return;
    }
  }

  #inbound(): number {
    const theirs = this.#opt.role === "offerer" ? 0 : 1;
    let n = 0;
    for (const id of this.#streams.keys()) if (id % 2 === theirs) n++;
    return n;
  }

  // --- the peer's requests ----------------------------------------------------------------

  async #serve(s: Stream, head: Head): Promise<void> {
    let res: Response;
    try {
      if (!this.#opt.handler) throw new Error("no handler");
      const hasBody = head.method !== "GET" && head.method !== "HEAD";
      if (!hasBody) this.#discardBody(s);
      const req = new Request(`http://p2pos-link${head.target}`, {
        method: head.method,
        headers: head.headers,
        body: hasBody ? this.#body(s) : undefined,
        signal: s.abort.signal,
        // @ts-ignore: Deno's RequestInit takes duplex for streamed bodies
        duplex: "half",
      });
      res = await this.#opt.handler(req);
    } catch (err) {
      if (s.abort.signal.aborted || this.#closed) return;
      res = Response.json(
        {
          error: {
            code: "internal",
            message: `The peer could not answer: ${(err as Error).message}`,
          },
        },
        { status: 500 },
      );
    }
    if (this.#closed || !this.#streams.has(s.id)) {
      await res.body?.cancel().catch(() => {});
      return;
    }
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    this.#send(FrameType.Response, s.id, jsonPayload({ status: res.status, headers }));
    let complete = false;
    try {
      await this.#sendBody(s, res.body);
      complete = true;
    } catch (err) {
      this.#reset(s, err, false);
    }
    this.#opt.onServed?.(head.target, res.status, s.sent, complete);
    // The answer is complete: a request body the handler never read is not wanted any more.
    if (!s.rxEnded && this.#streams.has(s.id)) this.#reset(s, new Error("answered"), false);
  }

  // --- bodies -----------------------------------------------------------------------------

  /** The bytes arriving on `s` as a stream; each read acknowledges them with credit. */
  #body(s: Stream): ReadableStream<Uint8Array> {
    const window = this.#opt.window;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        while (!s.queue.length && !s.rxEnded && !s.rxError) {
          await new Promise<void>((r) => (s.rxWake = r));
        }
        if (s.queue.length) {
          const chunk = s.queue.shift()!;
          s.consumed += chunk.byteLength;
          controller.enqueue(chunk);
          if (!s.rxEnded && s.consumed + window - s.granted >= window / 4) {
            s.granted = s.consumed + window;
            this.#send(FrameType.Credit, s.id, creditPayload(s.granted));
          }
        } else if (s.rxError) {
          controller.error(s.rxError);
        } else {
          controller.close();
          this.#settle(s);
        }
      },
      cancel: (reason) => this.#reset(s, reason, false),
    }, { highWaterMark: 0 });
  }

  /** A stream whose incoming body nobody reads (GET requests, answers without a body). */
  #discardBody(s: Stream): void {
    s.queue.length = 0;
  }

  async #sendBody(s: Stream, body: Uint8Array | ReadableStream<Uint8Array> | null): Promise<void> {
    if (body instanceof Uint8Array) {
      await this.#sendBytes(s, body);
    } else if (body) {
      const byob = byobReader(body);
      const reader = byob ?? body.getReader();
      try {
        if (byob) await this.#sendByteStream(s, byob);
        else {
          const chunks = reader as ReadableStreamDefaultReader<Uint8Array>;
          while (true) {
            const { done, value } = await chunks.read();
            if (done) break;
            await this.#sendBytes(s, value);
          }
        }
      } catch (err) {
        reader.cancel(err).catch(() => {});
        throw err;
      }
    }
    if (s.txDone) return;
    s.txDone = true;
    this.#send(FrameType.End, s.id);
    this.#settle(s);
  }

  async #sendBytes(s: Stream, bytes: Uint8Array): Promise<void> {
    for (let off = 0; off < bytes.byteLength; off += MAX_CHUNK) {
      const piece = bytes.subarray(off, Math.min(off + MAX_CHUNK, bytes.byteLength));
      await this.#sendable(s, piece.byteLength);
      this.#send(FrameType.Data, s.id, piece);
      s.sent += piece.byteLength;
      this.bytesSent += piece.byteLength;
    }
  }

  /**
   * A byte stream's body (a stored blob: `FsFile.readable`) is read straight into the payload
   * part of a frame buffer, so each 64 KiB costs no allocation of its own and no copy. On a
   * channel that copies on send, one buffer serves the whole body; otherwise each frame is a
   * new buffer the channel keeps. Less garbage per byte is what keeps a node's peak memory
   * down while it serves a large blob (docs/BENCHMARKS.md, issue #12).
   */
  async #sendByteStream(s: Stream, reader: ReadableStreamBYOBReader): Promise<void> {
    const reuse = this.#channel.copiesOnSend === true;
    let frame = new Uint8Array(HEADER_BYTES + MAX_CHUNK);
    while (true) {
      await this.#sendable(s, 1);
      const room = Math.min(MAX_CHUNK, s.limit - s.sent);
      const { done, value } = await reader.read(frame.subarray(HEADER_BYTES, HEADER_BYTES + room));
      if (done) break;
      this.#assertSending(s); // the link may have closed during the read
      frame = new Uint8Array(value.buffer); // the read took the buffer over and gave it back
      if (!value.byteLength) continue;
      writeFrameHeader(frame, FrameType.Data, s.id);
      this.#sendFrame(frame.subarray(0, HEADER_BYTES + value.byteLength));
      s.sent += value.byteLength;
      this.bytesSent += value.byteLength;
      if (!reuse) frame = new Uint8Array(HEADER_BYTES + MAX_CHUNK);
    }
  }

  /** Waits until `bytes` more may go on `s` (the peer's credit) and the channel has room. */
  async #sendable(s: Stream, bytes: number): Promise<void> {
    while (s.sent + bytes > s.limit && !s.txDone && !this.#closed) {
      await new Promise<void>((r) => (s.txWake = r));
    }
    while (this.#channel.bufferedAmount > this.#opt.highWater && !this.#closed) {
      await new Promise<void>((r) => this.#drainWaiters.push(r));
    }
    this.#assertSending(s);
  }

  /** Throws when the link closed or the stream was abandoned: nothing more goes on `s`. */
  #assertSending(s: Stream): void {
    if (this.#closed) throw new LinkClosedError(this.#closed);
    if (s.txDone) throw s.rxError ?? new Error("The transfer was abandoned");
  }

  // --- stream bookkeeping -----------------------------------------------------------------

  #open(id: number): Stream {
    const w = this.#opt.window;
    const s: Stream = {
      id,
      queue: [],
      received: 0,
      consumed: 0,
      granted: w,
      rxEnded: false,
      sent: 0,
      limit: w,
      txDone: false,
      abort: new AbortController(),
    };
    this.#streams.set(id, s);
    return s;
  }

  /** Forgets a stream once both directions are complete. */
  #settle(s: Stream): void {
    if (s.txDone && s.rxEnded && !s.queue.length && !s.response) this.#streams.delete(s.id);
  }

  /** Abandons a stream here and tells the peer. */
  #reset(s: Stream, reason: unknown, failReader: boolean): void {
    if (!this.#streams.has(s.id)) return;
    this.#streams.delete(s.id);
    const message = reason instanceof Error ? reason.message : String(reason ?? "cancelled");
    if (!this.#closed) this.#send(FrameType.Reset, s.id, textPayload(message));
    const err = reason instanceof Error ? reason : new Error(message);
    if (failReader || !s.rxEnded) this.#fail(s, err);
    else {
      s.txDone = true;
      wake(s, "tx");
      s.abort.abort(err);
    }
  }

  #fail(s: Stream, err: Error): void {
    if (!s.rxEnded || s.queue.length) s.rxError ??= err;
    s.txDone = true;
    s.response?.reject(err);
    s.response = undefined;
    s.abort.abort(err);
    wake(s, "rx");
    wake(s, "tx");
  }

  #send(type: FrameType, stream: number, payload?: Uint8Array): void {
    if (this.#closed) return;
    let frame;
    try {
      frame = encodeFrame(type, stream, payload);
    } catch (err) {
      return this.close(`cannot send: ${(err as Error).message}`);
    }
    this.#sendFrame(frame);
  }

  #sendFrame(frame: Uint8Array): void {
    if (this.#closed) return;
    try {
      this.#channel.send(frame);
    } catch (err) {
      this.close(`cannot send: ${(err as Error).message}`);
    }
  }

  #drained(): void {
    for (const w of this.#drainWaiters.splice(0)) w();
  }
}

/** A BYOB reader when `body` is a byte stream (Deno's file and socket streams are), else none. */
function byobReader(body: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | undefined {
  try {
    return body.getReader({ mode: "byob" });
  } catch {
    return undefined; // TypeError: not a byte stream
  }
}

function wake(s: Stream, side: "rx" | "tx"): void {
  const w = side === "rx" ? s.rxWake : s.txWake;
  if (side === "rx") s.rxWake = undefined;
  else s.txWake = undefined;
  w?.();
}

const METHOD = /^(GET|HEAD|POST|PUT|DELETE|PATCH)$/;

function parseHead(json: Record<string, unknown>): Head {
  const { method, target } = json;
  if (typeof method !== "string" || !METHOD.test(method)) throw new SyntaxError("bad method");
  if (typeof target !== "string" || !target.startsWith("/") || target.length > 4000) {
    throw new SyntaxError("bad target");
  }
  return { method, target, headers: parseHeaders(json.headers) };
}

function parseHeaders(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SyntaxError("headers must be an object");
  }
  const entries = Object.entries(value);
  if (entries.length > 64) throw new SyntaxError("too many headers");
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (typeof v !== "string" || !/^[a-z0-9-]{1,64}$/i.test(k) || v.length > 4000) {
      throw new SyntaxError("bad header");
    }
    out[k.toLowerCase()] = v;
  }
  return out;
}
