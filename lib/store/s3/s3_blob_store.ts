/**
 * The {@link BlobStore} in an S3-compatible bucket (AWS S3, Ceph RGW, MinIO, B2, R2,
 * Wasabi): blob `id` is the object `<prefix>blobs/<id>`, holding the same ciphertext a
 * filesystem node keeps in `blobs/ab/cd/<id>`, with no metadata or tags. The index stays in
 * the node's SQLite; nothing outside the prefix is read or written.
 *
 * The guarantees are the filesystem store's (see `blob_store.ts`); how they are kept here:
 * - `put()` hashes while streaming into pooled 1 MiB pieces (`_object_writer.ts`) and makes
 *   the object visible only after the hash matched, by one PUT (signed with the id as its
 *   payload hash, so the store checks it too) or CompleteMultipartUpload; an S3 `200` is the
 *   store's word that the object is durable. Failures abort the upload.
 * - `open()` aborts the incomplete multipart uploads under the prefix that a crash left.
 * - `list()` pages through ListObjectsV2, whose keys come in ascending byte order: the
 *   same order and page shape as the filesystem walk.
 * - Reads are GETs (with `Range`); a body that stops arriving fails after `stallMs`.
 */

import {
  IntegrityError,
  NotFoundError,
  RangeNotSatisfiableError,
  StoreUnavailableError,
} from "../../core/errors.ts";
import { faultPoint } from "../../core/faults.ts";
import { getLogger } from "../../core/log.ts";
import { assertBlobId, type BlobId, isBlobId } from "../blob_id.ts";
import type { BlobStore, BlobStoreInfo } from "../blob_store.ts";
import {
  type BlobRead,
  type BlobStat,
  type ByteRange,
  checkListOptions,
  checkPutOptions,
  checkRange,
  type ListOptions,
  type ListPage,
  type PutOptions,
  type PutResult,
  type ScrubOptions,
  type ScrubReport,
} from "../blob_store_types.ts";
import { consumeStream } from "../_consume_stream.ts";
import { BufferedWriter } from "../_buffered_writer.ts";
import { hashStream } from "../hash_file.ts";
import { removeIfExists } from "../_durable.ts";
import { PerIdQueue } from "../_per_id.ts";
import { S3Client, type S3ClientOptions } from "./s3_client.ts";
import type { S3Config } from "./s3_config.ts";
import { ObjectWriter } from "./_object_writer.ts";
import { type ListedObject, parseListObjects, parseListUploads } from "./_s3_xml.ts";
import { watchBody } from "./_watch_body.ts";

const log = getLogger("store");

export interface S3BlobStoreOptions extends S3ClientOptions {
  /** The node's data directory (resumable uploads are staged there). */
  root: string;
  config: S3Config;
  /** Bytes per multipart part, and the largest blob sent as one PUT. @default 8 MiB */
  partSize?: number;
  /** A response body that delivers nothing for this long fails. @default 60_000 */
  stallMs?: number;
}

/** ListObjectsV2 returns at most this many keys per call. */
const LIST_MAX = 1000;
/** `hasMany()` of fewer ids asks with a HEAD each; more, with a listing of their range. */
const HEADS_MAX = 32;

export class S3BlobStore implements BlobStore {
  readonly root: string;
  readonly client: S3Client;
  readonly #config: S3Config;
  readonly #partSize: number;
  readonly #stallMs: number;
  readonly #blobPrefix: string;
  #opening?: Promise<void>;
  #open = false;
  readonly #puts = new PerIdQueue();

  constructor(options: S3BlobStoreOptions) {
    if (typeof options?.root !== "string" || options.root === "") {
      throw new TypeError('"root" expected a non-empty path');
    }
    this.root = options.root;
    this.#config = options.config;
    this.client = new S3Client(options.config, options);
    this.#partSize = options.partSize ?? 8 << 20;
    this.#stallMs = options.stallMs ?? 60_000;
    this.#blobPrefix = `${options.config.prefix}blobs/`;
  }

  static async open(options: S3BlobStoreOptions): Promise<S3BlobStore> {
    return await new S3BlobStore(options).open();
  }

  #key(id: BlobId): string {
    return this.#blobPrefix + id;
  }

  /**
   * Checks that the bucket answers with these credentials (a clear error if not) and aborts
   * the multipart uploads a crash left under the prefix. Idempotent.
   */
  async open(): Promise<this> {
    this.#opening ??= this.#prepare();
    try {
      await this.#opening;
    } catch (err) {
      this.#opening = undefined; // an operator may fix the cause and try again
      throw err;
    }
    return this;
  }

  async #prepare(): Promise<void> {
    await this.#listPage(undefined, undefined, 1, "reach the bucket");
    let aborted = 0;
    let marker: { keyMarker: string; uploadIdMarker: string } | undefined;
    do {
      const res = await this.client.send({
        method: "GET",
        key: "",
        query: {
          uploads: "",
          prefix: this.#blobPrefix,
          ...(marker ? { "key-marker": marker.keyMarker } : {}),
          ...(marker?.uploadIdMarker ? { "upload-id-marker": marker.uploadIdMarker } : {}),
        },
        what: "list unfinished uploads",
      });
      const page = parseListUploads(await res.text());
      for (const u of page.uploads) {
        if (!u.key.startsWith(this.#blobPrefix)) continue; // never outside the prefix
        const abort = await this.client.send({
          method: "DELETE",
          key: u.key,
          query: { uploadId: u.uploadId },
          what: "abort an unfinished upload",
          expect: [404],
        });
        await abort.body?.cancel();
        aborted++;
      }
      marker = page.next;
    } while (marker);
    if (aborted > 0) log.info("Aborted multipart uploads left by a crash", { aborted });
    this.#open = true;
  }

  async put(
    id: BlobId,
    stream: ReadableStream<Uint8Array>,
    options: PutOptions = {},
  ): Promise<PutResult> {
    assertBlobId(id);
    checkPutOptions(options);
    this.#assertOpen("put");
    return await this.#puts.run(id, () => this.#put(id, stream, options));
  }

  async #put(
    id: BlobId,
    stream: ReadableStream<Uint8Array>,
    options: PutOptions,
  ): Promise<PutResult> {
    const what = `store blob ${id}`;
    let stat: BlobStat | null;
    try {
      stat = await this.#head(id, what, options.signal);
    } catch (err) {
      await stream.cancel(err).catch(() => {});
      throw err;
    }
    if (stat) {
      const counter = new BufferedWriter(null);
      const { hex, size } = await consumeStream(stream, counter, { ...options, what })
        .finally(() => counter.release());
      if (hex !== id) throw new IntegrityError(`Cannot ${what}: the bytes hash to ${hex}`);
      return { id, size, created: false };
    }
    const writer = new ObjectWriter(this.client, this.#key(id), {
      partSize: this.#partSize,
      what,
      signal: options.signal,
    });
    try {
      const { hex, size } = await consumeStream(stream, writer, { ...options, what });
      if (hex !== id) throw new IntegrityError(`Cannot ${what}: the bytes hash to ${hex}`);
      options.onReceived?.();
      await writer.commit(hex);
      return { id, size, created: true };
    } finally {
      await writer.release();
    }
  }

  /**
   * Uploads a finished local file as blob `id`, verifying its hash on the way (the object
   * appears only if it matches), then removes the file.
   */
  async importFile(id: BlobId, path: string): Promise<PutResult> {
    assertBlobId(id);
    this.#assertOpen("importFile");
    return await this.#puts.run(id, async () => {
      const file = await Deno.open(path, { read: true });
      faultPoint("blob.import.hashed");
      const result = await this.#put(id, file.readable, {});
      faultPoint("blob.import.moved");
      await removeIfExists(path);
      return result;
    });
  }

  async stat(id: BlobId): Promise<BlobStat | null> {
    assertBlobId(id);
    this.#assertOpen("stat");
    return await this.#head(id, `look up blob ${id}`);
  }

  async has(id: BlobId): Promise<boolean> {
    return (await this.stat(id)) !== null;
  }

  /**
   * Few ids: a HEAD each. Many (a peer's inventory page): one listing of the key range from
   * the smallest to the largest, 1000 keys a request, instead of thousands of HEADs (each
   * billed by most providers).
   */
  async hasMany(ids: BlobId[]): Promise<boolean[]> {
    for (const id of ids) assertBlobId(id);
    this.#assertOpen("hasMany");
    if (ids.length < HEADS_MAX) return await Promise.all(ids.map((id) => this.has(id)));
    const sorted = [...ids].sort();
    const [first, last] = [sorted[0], sorted.at(-1)!];
    const held = new Set<string>();
    // 63 hex digits sort before every id that starts with them: the walk includes `first`.
    for await (const { id } of this.#walk(first.slice(0, 63) as BlobId)) {
      if (id > last) break;
      held.add(id);
    }
    return ids.map((id) => held.has(id));
  }

  async #head(id: BlobId, what: string, signal?: AbortSignal): Promise<BlobStat | null> {
    const res = await this.client.send({
      method: "HEAD",
      key: this.#key(id),
      what,
      signal,
      expect: [404],
    });
    await res.body?.cancel();
    if (res.status === 404) return null;
    const size = Number(res.headers.get("content-length"));
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new StoreUnavailableError(`Cannot ${what}: the object store sent no object size`);
    }
    const modified = Date.parse(res.headers.get("last-modified") ?? "");
    return { size, mtime: Number.isNaN(modified) ? null : new Date(modified) };
  }

  async get(id: BlobId, range?: ByteRange): Promise<BlobRead> {
    assertBlobId(id);
    if (range !== undefined) checkRange(range);
    this.#assertOpen("get");
    const what = `read blob ${id}`;
    const header = range ? `bytes=${range.start}-${range.end ?? ""}` : undefined;
    const res = await this.client.send({
      method: "GET",
      key: this.#key(id),
      headers: header ? { range: header } : {},
      what,
      expect: [404, 416],
    });
    if (res.status === 404) {
      await res.body?.cancel();
      throw new NotFoundError(`Cannot read blob ${id}: it is not stored`);
    }
    if (res.status === 416) {
      await res.body?.cancel();
      const stat = await this.#head(id, what);
      if (!stat) throw new NotFoundError(`Cannot read blob ${id}: it is not stored`);
      throw new RangeNotSatisfiableError(
        `Cannot read bytes ${range!.start}- of blob ${id}: it has ${stat.size} bytes`,
        stat.size,
      );
    }
    const length = Number(res.headers.get("content-length") ?? NaN);
    let size: number, start: number, end: number;
    if (res.status === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.headers.get("content-range") ?? "");
      if (!m) {
        await res.body?.cancel();
        throw new StoreUnavailableError(`Cannot ${what}: the object store sent no Content-Range`);
      }
      [start, end, size] = [Number(m[1]), Number(m[2]), Number(m[3])];
    } else {
      // A store may answer a range covering the whole object with 200.
      if (!Number.isSafeInteger(length) || length < 0) {
        await res.body?.cancel();
        throw new StoreUnavailableError(`Cannot ${what}: the object store sent no Content-Length`);
      }
      size = length;
      start = 0;
      end = size - 1;
      if (range && range.start > 0) {
        await res.body?.cancel();
        throw new StoreUnavailableError(`Cannot ${what}: the object store ignored the range`);
      }
      if (range?.end !== undefined) end = Math.min(range.end, size - 1);
    }
    const stream = watchBody(res.body, end - start + 1, this.#stallMs, what);
    return { stream, size, start, end };
  }

  async readBytes(id: BlobId, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
    assertBlobId(id);
    this.#assertOpen("readBytes");
    const { stream, size } = await this.get(id);
    if (size > maxBytes) {
      await stream.cancel();
      throw new RangeError(`Blob ${id} has ${size} bytes, more than ${maxBytes} to read at once`);
    }
    const bytes = new Uint8Array(size);
    let off = 0;
    for await (const chunk of stream) {
      bytes.set(chunk, off);
      off += chunk.byteLength;
    }
    return bytes;
  }

  async readable(id: BlobId): Promise<{ stream: ReadableStream<Uint8Array>; size: number }> {
    const { stream, size } = await this.get(id);
    return { stream, size };
  }

  async list(options: ListOptions = {}): Promise<ListPage> {
    if (options.after !== undefined) assertBlobId(options.after, "list cursor");
    const limit = checkListOptions(options);
    this.#assertOpen("list");
    const ids: BlobId[] = [];
    // One id past the page tells whether a next page exists, as the filesystem walk does.
    for await (const { id } of this.#walk(options.after, limit + 1)) {
      if (ids.length === limit) return { ids, next: ids[limit - 1] };
      ids.push(id);
    }
    return { ids };
  }

  /** Stored blobs in ascending id order after `after`, listing `want` keys per call at most. */
  async *#walk(after?: BlobId, want = LIST_MAX): AsyncGenerator<{ id: BlobId; size: number }> {
    let token: string | undefined;
    do {
      const page = await this.#listPage(after, token, Math.min(want, LIST_MAX), "list blobs");
      for (const o of page.objects) {
        const id = o.key.slice(this.#blobPrefix.length);
        // Keys that are not blob ids (another program's, a stray upload) are not blobs.
        if (o.key.startsWith(this.#blobPrefix) && isBlobId(id)) yield { id, size: o.size };
      }
      token = page.next;
    } while (token);
  }

  async #listPage(
    after: BlobId | undefined,
    token: string | undefined,
    maxKeys: number,
    what: string,
    tries?: number,
  ): Promise<{ objects: ListedObject[]; next?: string }> {
    const res = await this.client.send({
      method: "GET",
      key: "",
      query: {
        "list-type": "2",
        prefix: this.#blobPrefix,
        "max-keys": String(maxKeys),
        ...(token ? { "continuation-token": token } : {}),
        ...(after && !token ? { "start-after": this.#key(after) } : {}),
      },
      what,
      tries,
    });
    return parseListObjects(await res.text());
  }

  async delete(id: BlobId): Promise<boolean> {
    assertBlobId(id);
    this.#assertOpen("delete");
    if (!(await this.#head(id, `delete blob ${id}`))) return false;
    const res = await this.client.send({
      method: "DELETE",
      key: this.#key(id),
      what: `delete blob ${id}`,
      expect: [404],
    });
    await res.body?.cancel();
    return true;
  }

  async scrub(options: ScrubOptions = {}): Promise<ScrubReport> {
    this.#assertOpen("scrub");
    const total = options.onProgress ? await this.count() : 0;
    const corrupt: BlobId[] = [];
    let checked = 0;
    let done = 0;
    for await (const { id } of this.#walk()) {
      options.signal?.throwIfAborted();
      try {
        const { hex } = await hashStream((await this.get(id)).stream);
        checked++;
        if (hex !== id) {
          corrupt.push(id);
          log.warn("Blob is corrupt", { id, hashesTo: hex });
        }
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err; // deleted while scrubbing
      }
      options.onProgress?.(++done, Math.max(total, done));
    }
    return { checked, corrupt };
  }

  async count(): Promise<number> {
    this.#assertOpen("count");
    let n = 0;
    for await (const _ of this.#walk()) n++;
    return n;
  }

  async totalBytes(): Promise<number> {
    this.#assertOpen("totalBytes");
    let bytes = 0;
    for await (const { size } of this.#walk()) bytes += size;
    return bytes;
  }

  /** Where the blobs are; asks the bucket once, so a store that is down says so. */
  async describe(): Promise<BlobStoreInfo> {
    this.#assertOpen("describe");
    const info: BlobStoreInfo = { backend: "s3", location: this.#config.location };
    try {
      await this.#listPage(undefined, undefined, 1, "reach the bucket", 1);
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      info.problem = err.message;
    }
    return info;
  }

  #assertOpen(method: string): void {
    if (!this.#open) throw new Error(`Cannot call S3BlobStore.${method}(): call open() first`);
  }
}
