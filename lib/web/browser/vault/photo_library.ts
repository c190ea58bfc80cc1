/**
 * An album's photos as the browser shows them: ordered by taken-at (decrypted from each
 * record's `sort`), and their thumbnails, metadata and originals decrypted on demand with a
 * bounded cache of URLs (`data:` for thumbnails, object URLs for originals). Browser-compatible (Blob URLs need a browser or Deno).
 *
 * @module
 */

import {
  decryptBytes,
  decryptMetadata,
  decryptStream,
  plaintextSize,
} from "../../../crypto/mod.ts";
import { ApiError } from "../api.ts";
import type { AlbumKeys } from "./album_keys.ts";
import { BlobBatcher, notHeldError } from "./blob_batcher.ts";
import { limiter, LruCache } from "./lru_cache.ts";
import { openFileKey, openSort } from "./photo_crypto.ts";
import { PhotoMeta, type PhotoView } from "./types.ts";

export interface LibraryPhoto {
  view: PhotoView;
  takenAt: number;
}

/** Oldest first; equal times by id, so the order is the same on every device. */
export function byTakenAt(a: LibraryPhoto, b: LibraryPhoto): number {
  return a.takenAt - b.takenAt || (a.view.id < b.view.id ? -1 : a.view.id > b.view.id ? 1 : 0);
}

/** Decrypts each photo's taken-at (unreadable sort values read as 0, so they sort first). */
export async function readTakenAt(keys: AlbumKeys, photos: PhotoView[]): Promise<LibraryPhoto[]> {
  return await Promise.all(photos.map(async (view) => {
    try {
      return { view, takenAt: await openSort(keys.keyFor(view.epoch), view.sort) };
    } catch {
      return { view, takenAt: 0 };
    }
  }));
}

/** Decrypts every photo's taken-at and orders them. */
export async function orderPhotos(keys: AlbumKeys, photos: PhotoView[]): Promise<LibraryPhoto[]> {
  return (await readTakenAt(keys, photos)).sort(byTakenAt);
}

/**
 * All photos of an album in taken-at order, decrypting each page's dates while the next page
 * is on its way (for a large album the two take about as long as each other).
 */
export async function loadOrderedPhotos(
  keys: AlbumKeys,
  list: (onPage: (photos: PhotoView[]) => void) => Promise<unknown>,
): Promise<LibraryPhoto[]> {
  const pages: Promise<LibraryPhoto[]>[] = [];
  await list((photos) => pages.push(readTakenAt(keys, photos)));
  return (await Promise.all(pages)).flat().sort(byTakenAt);
}

export interface OriginalFile {
  url: string;
  blob: Blob;
  meta: PhotoMeta;
}

/**
 * A decrypted thumbnail as a `data:` URL. Not a Blob URL: in Chromium each `new Blob()` and
 * `URL.createObjectURL()` is a round trip to the browser process, 1.2–1.9 ms a thumbnail on
 * this 2-core machine against 0.1 ms for the base64 (docs/BENCHMARKS.md, "The reload's
 * profile"), and a reload shows 60–90 of them at once. The string lives only in memory, as
 * the Blob did.
 */
export function jpegDataUrl(plain: Uint8Array): string {
  const native = (plain as { toBase64?: () => string }).toBase64;
  if (native) return `data:image/jpeg;base64,${native.call(plain)}`;
  let binary = "";
  for (let i = 0; i < plain.length; i += 0x8000) {
    binary += String.fromCharCode(...plain.subarray(i, i + 0x8000));
  }
  return `data:image/jpeg;base64,${btoa(binary)}`;
}

/** Fetches blob bytes from the node; 404s become a message a person understands. */
async function fetchBlob(doFetch: typeof fetch, id: string, signal?: AbortSignal) {
  let res: Response;
  try {
    res = await doFetch(`/v1/blobs/${id}`, { signal });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
    throw new ApiError(0, "unreachable", "Cannot reach this node to fetch the photo.", { cause });
  }
  if (res.status === 404) {
    await res.body?.cancel();
    throw notHeldError();
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new ApiError(
      res.status,
      `http_${res.status}`,
      `The node refused the photo (HTTP ${res.status}).`,
    );
  }
  return res;
}

/** Decrypts an album's photos on demand; dispose() frees every object URL it made. */
export class PhotoDecryptor {
  readonly #fileKeys = new Map<string, Promise<Uint8Array>>();
  readonly #metas = new Map<string, Promise<PhotoMeta>>();
  readonly #thumbs: LruCache<string, string>;
  readonly #pendingThumbs = new Map<string, Promise<string | null>>();
  readonly #originals: LruCache<string, OriginalFile>;
  readonly #run: ReturnType<typeof limiter>;
  readonly #thumbBytes: (id: string) => Promise<Uint8Array>;

  readonly #keysOf: (photo: PhotoView) => AlbumKeys;

  /**
   * `keys` are one album's keys, or (for the timeline, across albums) a function giving the
   * keys of a photo's album.
   */
  constructor(
    keys: AlbumKeys | ((photo: PhotoView) => AlbumKeys),
    private readonly doFetch: typeof fetch,
    options: {
      thumbs?: number;
      originals?: number;
      /** Thumbnails in flight (asked of the node, not yet decrypted). @default 96 */
      concurrency?: number;
      /** Thumbnail ids per `POST /v1/blobs/batch`. @default 32 */
      batchIds?: number;
      /**
       * Fetch thumbnails in batches. A lone thumbnail (an album card's cover) is better a
       * single GET, which the browser's HTTP cache keeps (it never keeps a POST's answer).
       * @default true
       */
      batch?: boolean;
    } = {},
  ) {
    this.#thumbs = new LruCache(options.thumbs ?? 600); // data: URLs, nothing to revoke
    this.#originals = new LruCache(options.originals ?? 4, (o) => URL.revokeObjectURL(o.url));
    // Enough in flight for three batches at once: with fewer, the ids freed while a batch
    // streams would trickle out one request each.
    this.#run = limiter(options.concurrency ?? 96);
    const one = async (id: string) =>
      new Uint8Array(await (await fetchBlob(doFetch, id)).arrayBuffer());
    const batcher = new BlobBatcher(doFetch, one, { maxIds: options.batchIds ?? 32 });
    this.#thumbBytes = options.batch === false ? one : (id) => batcher.get(id);
    this.#keysOf = typeof keys === "function" ? keys : () => keys;
  }

  fileKey(photo: PhotoView): Promise<Uint8Array> {
    let p = this.#fileKeys.get(photo.id);
    if (!p) {
      p = openFileKey(this.#keysOf(photo).keyFor(photo.epoch), photo.key);
      p.catch(() => this.#fileKeys.delete(photo.id));
      this.#fileKeys.set(photo.id, p);
    }
    return p;
  }

  meta(photo: PhotoView): Promise<PhotoMeta> {
    let p = this.#metas.get(photo.id);
    if (!p) {
      p = (async () => {
        const res = await fetchBlob(this.doFetch, photo.meta.id);
        const bytes = new Uint8Array(await res.arrayBuffer());
        const doc = PhotoMeta.safeParse(await decryptMetadata(bytes, await this.fileKey(photo)));
        if (!doc.success) {
          throw new ApiError(0, "damaged", "This photo's details are not a photo document.");
        }
        return doc.data;
      })();
      p.catch(() => this.#metas.delete(photo.id));
      this.#metas.set(photo.id, p);
    }
    return p;
  }

  /** The cached thumbnail URL, if it was decrypted already. */
  cachedThumb(photoId: string): string | undefined {
    return this.#thumbs.get(photoId);
  }

  /**
   * An object URL of the decrypted thumbnail (null when the photo has none). Queued behind
   * other thumbnails; dropped if `wanted()` is false when its turn comes. Those whose turn
   * comes in the same tick are fetched together (./blob_batcher.ts).
   */
  thumbUrl(photo: PhotoView, wanted?: () => boolean): Promise<string | null> {
    const cached = this.#thumbs.get(photo.id);
    if (cached) return Promise.resolve(cached);
    if (!photo.thumb) return Promise.resolve(null);
    const thumb = photo.thumb;
    let p = this.#pendingThumbs.get(photo.id);
    if (!p) {
      p = this.#run(async () => {
        // Batched with the other thumbnails asked in this tick; here as soon as its frame is.
        // The file key is unwrapped meanwhile, not after the bytes arrive.
        const key = this.fileKey(photo);
        key.catch(() => {});
        const sealed = await this.#thumbBytes(thumb.id);
        const url = jpegDataUrl(await decryptBytes(await key, sealed));
        this.#thumbs.set(photo.id, url);
        return url;
      }, wanted);
      this.#pendingThumbs.set(photo.id, p);
      p.finally(() => this.#pendingThumbs.delete(photo.id)).catch(() => {});
    }
    return p;
  }

  /** The decrypted original as an object URL typed from its metadata, streamed and verified. */
  async original(
    photo: PhotoView,
    options: { signal?: AbortSignal; onProgress?: (received: number, total: number) => void } = {},
  ): Promise<OriginalFile> {
    const cached = this.#originals.get(photo.id);
    if (cached) return cached;
    const [meta, fileKey] = await Promise.all([this.meta(photo), this.fileKey(photo)]);
    const res = await fetchBlob(this.doFetch, photo.original.id, options.signal);
    let received = 0;
    const counted = res.body!.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          received += chunk.length;
          options.onProgress?.(received, photo.original.size);
          controller.enqueue(chunk);
        },
      }),
    );
    // Parts are collected and only become a Blob once the last chunk has authenticated.
    const parts: Uint8Array<ArrayBuffer>[] = [];
    for await (const part of decryptStream(fileKey, counted)) {
      parts.push(part as Uint8Array<ArrayBuffer>);
    }
    const blob = new Blob(parts, { type: meta.type || "application/octet-stream" });
    const file = { url: URL.createObjectURL(blob), blob, meta };
    this.#originals.set(photo.id, file);
    return file;
  }

  /**
   * The decrypted original as a stream (nothing kept): for downloads of many files. The stream
   * errors when a chunk does not authenticate, so a damaged file never passes for a good one.
   */
  async originalStream(
    photo: PhotoView,
    signal?: AbortSignal,
  ): Promise<{ meta: PhotoMeta; size: number; stream: ReadableStream<Uint8Array> }> {
    const [meta, fileKey] = await Promise.all([this.meta(photo), this.fileKey(photo)]);
    const size = plaintextSize(photo.original.size);
    if (size === null) {
      throw new ApiError(0, "damaged", "This photo's encrypted file has an impossible size.");
    }
    const res = await fetchBlob(this.doFetch, photo.original.id, signal);
    return { meta, size, stream: decryptStream(fileKey, res.body!) };
  }

  dispose(): void {
    this.#thumbs.clear();
    this.#originals.clear();
  }
}
