/**
 * The blob store as the node's API sees it, with a notification when a blob
 * is stored by a browser, so the engine can push it to peers at once. Blobs
 * that arrive from peers go through {@link ObservedBlobStore.ingest}, which
 * does not announce them: only the node that received an upload pushes it,
 * and every node pulls what it lacks, so no blob crosses a link twice.
 *
 * It wraps any {@link BlobStore} backend and passes every other call through.
 */

import type {
  BlobId,
  BlobRead,
  BlobStat,
  BlobStore,
  BlobStoreInfo,
  ByteRange,
  ListOptions,
  ListPage,
  PutOptions,
  PutResult,
  ScrubOptions,
  ScrubReport,
} from "../store/mod.ts";

export type StoredListener = (id: string, size: number) => void;

export class ObservedBlobStore implements BlobStore {
  readonly #listeners = new Set<StoredListener>();
  readonly inner: BlobStore;

  constructor(inner: BlobStore) {
    this.inner = inner;
  }

  get root(): string {
    return this.inner.root;
  }

  async open(): Promise<this> {
    await this.inner.open();
    return this;
  }

  onStored(listener: StoredListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #announce(result: PutResult): PutResult {
    if (result.created) {
      for (const l of this.#listeners) l(result.id, result.size);
    }
    return result;
  }

  async put(
    id: string,
    stream: ReadableStream<Uint8Array>,
    options: PutOptions = {},
  ): Promise<PutResult> {
    return this.#announce(await this.inner.put(id, stream, options));
  }

  async importFile(id: string, path: string): Promise<PutResult> {
    return this.#announce(await this.inner.importFile(id, path));
  }

  /** Stores a blob received from a peer, without announcing it as a local upload. */
  ingest(id: string, stream: ReadableStream<Uint8Array>, options: PutOptions = {}) {
    return this.inner.put(id, stream, options);
  }

  stat(id: BlobId): Promise<BlobStat | null> {
    return this.inner.stat(id);
  }
  has(id: BlobId): Promise<boolean> {
    return this.inner.has(id);
  }
  hasMany(ids: BlobId[]): Promise<boolean[]> {
    return this.inner.hasMany(ids);
  }
  get(id: BlobId, range?: ByteRange): Promise<BlobRead> {
    return this.inner.get(id, range);
  }
  readBytes(id: BlobId, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
    return this.inner.readBytes(id, maxBytes);
  }
  readable(id: BlobId): Promise<{ stream: ReadableStream<Uint8Array>; size: number }> {
    return this.inner.readable(id);
  }
  list(options?: ListOptions): Promise<ListPage> {
    return this.inner.list(options);
  }
  delete(id: BlobId): Promise<boolean> {
    return this.inner.delete(id);
  }
  scrub(options?: ScrubOptions): Promise<ScrubReport> {
    return this.inner.scrub(options);
  }
  count(): Promise<number> {
    return this.inner.count();
  }
  totalBytes(): Promise<number> {
    return this.inner.totalBytes();
  }
  describe(): Promise<BlobStoreInfo> {
    return this.inner.describe();
  }
}

/** `ingest` when the store has it (the node), `put` otherwise (tests with a plain store). */
export function ingestInto(blobs: BlobStore) {
  return (id: string, stream: ReadableStream<Uint8Array>, options: PutOptions) =>
    blobs instanceof ObservedBlobStore
      ? blobs.ingest(id, stream, options)
      : blobs.put(id, stream, options);
}
