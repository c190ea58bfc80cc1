/**
 * The blob store as the node's API sees it, with a notification when a blob
 * is stored by a browser, so the engine can push it to peers at once. Blobs
 * that arrive from peers go through {@link ObservedBlobStore.ingest}, which
 * does not announce them: only the node that received an upload pushes it,
 * and every node pulls what it lacks, so no blob crosses a link twice.
 */

import { BlobStore, type BlobStoreOptions, type PutOptions, type PutResult } from "../store/mod.ts";

export type StoredListener = (id: string, size: number) => void;

export class ObservedBlobStore extends BlobStore {
  readonly #listeners = new Set<StoredListener>();

  static override async open(
    root: string,
    options: Omit<BlobStoreOptions, "root"> = {},
  ): Promise<ObservedBlobStore> {
    return await new ObservedBlobStore({ ...options, root }).open();
  }

  onStored(listener: StoredListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  override async put(
    id: string,
    stream: ReadableStream<Uint8Array>,
    options: PutOptions = {},
  ): Promise<PutResult> {
    const result = await super.put(id, stream, options);
    if (result.created) {
      for (const l of this.#listeners) l(result.id, result.size);
    }
    return result;
  }

  override async importFile(id: string, path: string): Promise<PutResult> {
    const result = await super.importFile(id, path);
    if (result.created) {
      for (const l of this.#listeners) l(result.id, result.size);
    }
    return result;
  }

  /** Stores a blob received from a peer, without announcing it as a local upload. */
  async ingest(
    id: string,
    stream: ReadableStream<Uint8Array>,
    options: PutOptions = {},
  ): Promise<PutResult> {
    return await super.put(id, stream, options);
  }
}

/** `ingest` when the store has it (the node), `put` otherwise (tests with a plain store). */
export function ingestInto(blobs: BlobStore) {
  return (id: string, stream: ReadableStream<Uint8Array>, options: PutOptions) =>
    blobs instanceof ObservedBlobStore
      ? blobs.ingest(id, stream, options)
      : blobs.put(id, stream, options);
}
