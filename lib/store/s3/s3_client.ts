/**
 * The few S3 calls the blob store makes, signed with AWS Signature V4 (`aws4fetch`'s
 * signer over WebCrypto) and sent with `fetch`, or `node:http` for those with a body
 * (`_send_body.ts`): no SDK, so a body is exactly the buffer we hand over, streamed to the
 * socket, and nothing is ever buffered behind our back.
 *
 * Every payload is signed with its SHA-256 (`x-amz-content-sha256`), so the store itself
 * refuses bytes altered on the way. Requests that can be repeated are retried with backoff
 * when the store is down or busy; what still fails becomes a {@link StoreUnavailableError}
 * whose message says what an operator can do (credentials, bucket, clock, reachability),
 * and never carries a credential or a signature.
 */

import { AwsV4Signer } from "aws4fetch";
import { createHash } from "node:crypto";
import { StoreUnavailableError } from "../../core/errors.ts";
import { getLogger } from "../../core/log.ts";
import type { S3Config } from "./s3_config.ts";
import { parseError } from "./_s3_xml.ts";
import { sendBody } from "./_send_body.ts";

const log = getLogger("store");

export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export interface S3ClientOptions {
  /** Requests waiting for their answer at once. @default 16 */
  maxConcurrent?: number;
  /** A request whose answer has not begun after this long fails. @default 60_000 */
  timeoutMs?: number;
  /** Attempts for a request that can be repeated. @default 4 */
  tries?: number;
  /** First wait between attempts, doubled each time. @default 250 */
  backoffMs?: number;
  /** Milliseconds since the epoch, for the signature's date (tests skew it). */
  now?: () => number;
}

export interface S3Request {
  method: "GET" | "HEAD" | "PUT" | "POST" | "DELETE";
  /** Object key, or `""` for the bucket. */
  key: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** The body, in pieces sent one after the other. */
  body?: Uint8Array<ArrayBuffer>[];
  /** Hex SHA-256 of `body` when the caller knows it already (a blob id). */
  bodySha256?: string;
  signal?: AbortSignal;
  /** Names the operation in error messages: "store blob 3a…". */
  what: string;
  /** Statuses that are answers rather than failures (404 for a HEAD). */
  expect?: number[];
  /** Attempts for this request (a quick health check: 1). @default the client's */
  tries?: number;
}

/** SigV4 refuses requests whose date is this far from the store's clock. */
const SKEW_LIMIT_MS = 15 * 60_000;
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

export class S3Client {
  readonly config: S3Config;
  readonly #opt: Required<S3ClientOptions>;
  #active = 0;
  readonly #queue: Array<() => void> = [];
  /** SigV4 signing-key cache, keyed by date: derived keys only, kept in memory. */
  readonly #signingKeys = new Map<string, ArrayBuffer>();

  constructor(config: S3Config, options: S3ClientOptions = {}) {
    this.config = config;
    this.#opt = {
      maxConcurrent: options.maxConcurrent ?? 16,
      timeoutMs: options.timeoutMs ?? 60_000,
      tries: options.tries ?? 4,
      backoffMs: options.backoffMs ?? 250,
      now: options.now ?? Date.now,
    };
  }

  /**
   * Sends `req` and returns the response once its headers are in: 2xx or a status listed in
   * `expect`. Anything else throws: StoreUnavailableError for the store's failures, the
   * abort reason when `signal` aborts.
   */
  async send(req: S3Request): Promise<Response> {
    const tries = req.tries ?? this.#opt.tries;
    for (let attempt = 1;; attempt++) {
      let res: Response;
      try {
        res = await this.#limited(() => this.#fetch(req));
      } catch (err) {
        req.signal?.throwIfAborted();
        const reason = err instanceof StoreUnavailableError ? err.message : describe(err);
        if (attempt < tries) {
          await this.#backoff(attempt, req);
          continue;
        }
        throw new StoreUnavailableError(
          `Cannot ${req.what}: the object store at ${this.config.endpoint.origin} cannot be ` +
            `reached (${reason}); check that it is running and reachable from this machine`,
          { cause: err },
        );
      }
      if (res.ok || req.expect?.includes(res.status)) return res;
      const failure = await this.#failure(req, res);
      if (RETRY_STATUSES.has(res.status) && attempt < tries) {
        log.debug("Object store busy or failing; trying again", { status: res.status, attempt });
        await this.#backoff(attempt, req);
        continue;
      }
      throw failure;
    }
  }

  async #fetch(req: S3Request): Promise<Response> {
    const url = this.config.url(req.key);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    const headers = new Headers(req.headers);
    let hash = req.bodySha256 ?? EMPTY_SHA256;
    if (req.body && req.bodySha256 === undefined) {
      const h = createHash("sha256");
      for (const piece of req.body) h.update(piece);
      hash = h.digest("hex");
    }
    headers.set("x-amz-content-sha256", hash);
    const datetime = new Date(this.#opt.now()).toISOString().replace(/[:-]|\.\d{3}/g, "");
    const signed = await new AwsV4Signer({
      method: req.method,
      url: url.toString(),
      headers,
      accessKeyId: this.config.accessKeyId,
      secretAccessKey: this.config.secret(),
      service: "s3",
      region: this.config.region,
      datetime,
      cache: this.#signingKeys,
    }).sign();
    const ac = new AbortController();
    const timer = setTimeout(
      () => ac.abort(new Error(`no answer within ${this.#opt.timeoutMs} ms`)),
      this.#opt.timeoutMs,
    );
    const signal = req.signal ? AbortSignal.any([req.signal, ac.signal]) : ac.signal;
    try {
      if (req.body) return await sendBody(signed.url, req.method, signed.headers, req.body, signal);
      return await fetch(signed.url, {
        method: req.method,
        headers: signed.headers,
        signal,
        redirect: "manual",
      });
    } catch (err) {
      if (ac.signal.aborted && !req.signal?.aborted) throw ac.signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Turns a refusal into an error an operator can act on. */
  async #failure(req: S3Request, res: Response): Promise<StoreUnavailableError> {
    const text = req.method === "HEAD" ? "" : await readLimited(res, 64 * 1024);
    const { code, message } = parseError(text);
    const where = `${this.config.endpoint.origin}, bucket ${this.config.bucket}`;
    const said = code ? ` (${code}${message ? `: ${message.slice(0, 200)}` : ""})` : "";
    const serverDate = Date.parse(res.headers.get("date") ?? "");
    const skew = Number.isNaN(serverDate) ? 0 : this.#opt.now() - serverDate;
    const base = `Cannot ${req.what}: the object store at ${where}`;
    let text2: string;
    let retry = 30;
    if (code === "RequestTimeTooSkewed" || (res.status === 403 && Math.abs(skew) > SKEW_LIMIT_MS)) {
      const minutes = Math.round(Math.abs(skew) / 60_000);
      text2 = `${base} refused the request because this machine's clock is ` +
        `${minutes} minutes ${skew > 0 ? "ahead of" : "behind"} the store's; AWS Signature V4 ` +
        `allows 15. Set the clock right (enable NTP) and the node resumes by itself`;
      retry = 300;
    } else if (
      code === "InvalidAccessKeyId" || code === "SignatureDoesNotMatch" ||
      (res.status === 403 && code === "")
    ) {
      text2 = `${base} refused the node's credentials${said}; check P2POS_S3_ACCESS_KEY_ID ` +
        `and P2POS_S3_SECRET_ACCESS_KEY`;
      retry = 300;
    } else if (code === "AccessDenied" || res.status === 403) {
      text2 = `${base} denied this request${said}; the access key needs s3:GetObject, ` +
        `s3:PutObject, s3:DeleteObject, s3:ListBucket, s3:ListBucketMultipartUploads and ` +
        `s3:AbortMultipartUpload on the prefix ${this.config.prefix}`;
      retry = 300;
    } else if (code === "NoSuchBucket") {
      text2 = `${base} has no such bucket; create it (OPERATIONS: "Blobs in S3") or fix ` +
        `P2POS_S3_BUCKET`;
      retry = 300;
    } else if (
      (res.status >= 300 && res.status < 400) || code === "AuthorizationHeaderMalformed" ||
      code === "PermanentRedirect" || code === "IllegalLocationConstraintException"
    ) {
      text2 = `${base} sent the request elsewhere${said || ` (HTTP ${res.status})`}; check ` +
        `P2POS_S3_REGION, P2POS_S3_ENDPOINT and P2POS_S3_PATH_STYLE`;
      retry = 300;
    } else {
      text2 = `${base} failed the request with HTTP ${res.status}${said}`;
    }
    return new StoreUnavailableError(text2, { retryAfterSeconds: retry });
  }

  async #backoff(attempt: number, req: S3Request): Promise<void> {
    const ms = this.#opt.backoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(done, ms);
      function done() {
        req.signal?.removeEventListener("abort", stop);
        resolve();
      }
      function stop() {
        clearTimeout(timer);
        reject(req.signal!.reason);
      }
      req.signal?.addEventListener("abort", stop, { once: true });
    });
  }

  /** At most `maxConcurrent` requests wait for their answer at once; the rest queue. */
  async #limited<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#opt.maxConcurrent) {
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    } else {
      this.#active++;
    }
    try {
      return await fn();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#active--;
    }
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message.split("\n")[0].slice(0, 200);
  return String(err).slice(0, 200);
}

/** The start of a body, at most `max` bytes; the rest is dropped. */
async function readLimited(res: Response, max: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.byteLength;
    }
  } catch {
    // A failure body that breaks off is still a failure; what arrived is enough.
  } finally {
    await reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.byteLength;
  }
  return new TextDecoder().decode(all.subarray(0, max));
}
