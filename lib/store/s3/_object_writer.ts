/**
 * The write side of `S3BlobStore.put()`: a {@link ByteSink} that gathers bytes into
 * part-sized buffers. A blob that fits in one part is sent as one PUT, and only at
 * {@link ObjectWriter.commit}, after the caller has checked that the bytes hash to the
 * id: the payload hash signed with it is the id itself, so the store checks it too. A
 * larger blob becomes a multipart upload whose parts go out while the next one fills (two
 * buffers per put, whatever the blob size); no part is visible under the key until
 * CompleteMultipartUpload, which is sent only after the hash was checked. Any failure
 * aborts the upload, so nothing half-written ever appears under a blob id.
 */

import { createHash } from "node:crypto";
import { faultPoint } from "../../core/faults.ts";
import { getLogger } from "../../core/log.ts";
import type { ByteSink } from "../_consume_stream.ts";
import type { S3Client } from "./s3_client.ts";
import { completeBody, isCompleteResult, parseUploadId } from "./_s3_xml.ts";
import { StoreUnavailableError } from "../../core/errors.ts";

const log = getLogger("store");

/** S3 allows at most this many parts per upload. */
export const MAX_PARTS = 10_000;
/** S3's smallest part (but the last). */
export const MIN_PART = 5 << 20;

/** Part buffers kept for reuse across puts. */
const POOL_MAX = 4;
const pools = new Map<number, ArrayBuffer[]>();

function take(size: number): ArrayBuffer {
  return pools.get(size)?.pop() ?? new ArrayBuffer(size);
}

function give(buf: ArrayBuffer | undefined, size: number): void {
  if (!buf || buf.byteLength !== size) return; // detached by a transfer, or not ours
  const pool = pools.get(size) ?? [];
  pools.set(size, pool);
  if (pool.length < POOL_MAX) pool.push(buf);
}

export class ObjectWriter implements ByteSink {
  readonly #client: S3Client;
  readonly #key: string;
  readonly #what: string;
  readonly #partSize: number;
  readonly #signal?: AbortSignal;
  #fill: ArrayBuffer;
  #spare?: ArrayBuffer;
  #used = 0;
  #pending: Promise<void> = Promise.resolve();
  #uploadId?: string;
  readonly #etags: string[] = [];
  #released = false;

  constructor(
    client: S3Client,
    key: string,
    options: { partSize: number; what: string; signal?: AbortSignal },
  ) {
    if (!(options.partSize >= MIN_PART)) {
      throw new RangeError(
        `"partSize" expected at least ${MIN_PART} bytes, got ${options.partSize}`,
      );
    }
    this.#client = client;
    this.#key = key;
    this.#what = options.what;
    this.#partSize = options.partSize;
    this.#signal = options.signal;
    this.#fill = take(this.#partSize);
  }

  async space(): Promise<Uint8Array<ArrayBuffer>> {
    this.#assertLive();
    if (this.#used === this.#partSize) await this.#sendFull();
    return new Uint8Array(this.#fill, this.#used, this.#partSize - this.#used);
  }

  // deno-lint-ignore require-await -- a ByteSink's filled() is awaited
  async filled(view: Uint8Array | undefined): Promise<void> {
    if (view === undefined) throw new Error("The stream was cancelled during a read");
    if (view.byteOffset !== this.#used || view.buffer.byteLength !== this.#partSize) {
      throw new Error("ObjectWriter.filled() expects the view that space() lent");
    }
    this.#fill = view.buffer as ArrayBuffer;
    this.#used += view.byteLength;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#assertLive();
    let off = 0;
    while (off < chunk.byteLength) {
      if (this.#used === this.#partSize) await this.#sendFull();
      const n = Math.min(this.#partSize - this.#used, chunk.byteLength - off);
      new Uint8Array(this.#fill).set(chunk.subarray(off, off + n), this.#used);
      this.#used += n;
      off += n;
    }
  }

  /**
   * Makes the object visible under its key: one PUT, or the last part and
   * CompleteMultipartUpload. `sha256` is the hex SHA-256 of every byte written, which the
   * caller has checked against the blob id.
   */
  async commit(sha256: string): Promise<void> {
    this.#assertLive();
    if (this.#uploadId === undefined && this.#etags.length === 0) {
      await this.#pending;
      if (this.#uploadId === undefined) {
        const res = await this.#client.send({
          method: "PUT",
          key: this.#key,
          body: new Uint8Array(this.#fill, 0, this.#used),
          bodySha256: sha256,
          headers: { "content-type": "application/octet-stream" },
          signal: this.#signal,
          what: this.#what,
        });
        await res.body?.cancel();
        return;
      }
    }
    if (this.#used > 0) await this.#sendFull();
    await this.#pending;
    faultPoint("s3.put.completing");
    const res = await this.#client.send({
      method: "POST",
      key: this.#key,
      query: { uploadId: this.#uploadId! },
      body: new TextEncoder().encode(completeBody(this.#etags)),
      headers: { "content-type": "application/xml" },
      signal: this.#signal,
      what: this.#what,
    });
    const text = await res.text();
    if (!isCompleteResult(text)) {
      throw new StoreUnavailableError(
        `Cannot ${this.#what}: the object store did not complete the multipart upload`,
      );
    }
    this.#uploadId = undefined; // completed: nothing to abort
  }

  /**
   * Waits for the part in flight, aborts a multipart upload that was not completed, and
   * returns the buffers to the pool. Idempotent; never throws (an upload that cannot be
   * aborted now is aborted at the next start, or by the bucket's lifecycle rule).
   */
  async release(): Promise<void> {
    await this.#pending.catch(() => {});
    const uploadId = this.#uploadId;
    this.#uploadId = undefined;
    if (uploadId !== undefined) {
      await this.#client.send({
        method: "DELETE",
        key: this.#key,
        query: { uploadId },
        what: `abort the upload of ${this.#what}`,
        expect: [404],
      }).then((res) => res.body?.cancel()).catch((err) =>
        log.warn("Cannot abort an unfinished multipart upload; the next start will", {
          error: (err as Error).message,
        })
      );
    }
    if (this.#released) return;
    this.#released = true;
    give(this.#fill, this.#partSize);
    give(this.#spare, this.#partSize);
  }

  #assertLive(): void {
    if (this.#released) throw new Error("ObjectWriter used after release()");
  }

  /** Sends the filled buffer as the next part and goes on filling the other one. */
  async #sendFull(): Promise<void> {
    await this.#pending; // the part before must be out: its buffer becomes the next to fill
    if (this.#etags.length + 1 > MAX_PARTS) {
      throw new RangeError(
        `Cannot ${this.#what}: it needs more than ${MAX_PARTS} parts of ${this.#partSize} bytes`,
      );
    }
    const full = new Uint8Array(this.#fill, 0, this.#used);
    this.#spare ??= take(this.#partSize);
    [this.#fill, this.#spare] = [this.#spare, this.#fill];
    this.#used = 0;
    this.#pending = this.#sendPart(full);
    this.#pending.catch(() => {}); // surfaces at the next send or at commit
  }

  async #sendPart(bytes: Uint8Array<ArrayBuffer>): Promise<void> {
    if (this.#uploadId === undefined) {
      const res = await this.#client.send({
        method: "POST",
        key: this.#key,
        query: { uploads: "" },
        headers: { "content-type": "application/octet-stream" },
        signal: this.#signal,
        what: this.#what,
      });
      this.#uploadId = parseUploadId(await res.text());
    }
    const partNumber = this.#etags.length + 1;
    const res = await this.#client.send({
      method: "PUT",
      key: this.#key,
      query: { partNumber: String(partNumber), uploadId: this.#uploadId },
      body: bytes,
      bodySha256: createHash("sha256").update(bytes).digest("hex"),
      signal: this.#signal,
      what: this.#what,
    });
    await res.body?.cancel();
    const etag = res.headers.get("etag");
    if (!etag) {
      throw new StoreUnavailableError(
        `Cannot ${this.#what}: the object store sent no ETag for part ${partNumber}`,
      );
    }
    this.#etags.push(etag);
  }
}
