/**
 * What this node's blob store holds, as hellos and the status tell it: the number of blobs,
 * their bytes and the backend. Counted once at start, then followed as blobs are stored
 * (by a browser or from a peer) and corrupt copies are dropped.
 */

import { getLogger } from "../core/log.ts";
import type { PeerHello } from "../core/transport.ts";
import type { BlobStore, PutOptions } from "../store/mod.ts";
import type { DiskSpace } from "./disk_space.ts";
import { ingestInto } from "./observed_blob_store.ts";

const log = getLogger("replication");

export interface LocalCountsDeps {
  blobs: BlobStore;
  disk: DiskSpace;
  /** A blob received from a peer was stored here (a location event). */
  stored(blobId: string): void;
}

export class LocalCounts {
  #storage = { blobs: 0, bytes: 0 };
  /** This node's blob store backend, told to peers in hellos. */
  #backend?: string;

  constructor(private readonly deps: LocalCountsDeps) {}

  /** The blobs stored here and their bytes. */
  get storage(): { blobs: number; bytes: number } {
    return this.#storage;
  }

  /** What this node stores, as hellos tell it. */
  hello(): PeerHello["storage"] {
    return {
      ...this.#storage,
      ...(this.#backend ? { backend: this.#backend } : {}),
      ...(this.deps.disk.full ? { full: true } : {}),
    };
  }

  /** A blob of `size` bytes was written here. */
  added(size: number): void {
    this.deps.disk.wrote();
    this.#storage.blobs++;
    this.#storage.bytes += size;
  }

  /** A blob of `size` bytes was deleted here. */
  removed(size: number): void {
    this.#storage.blobs--;
    this.#storage.bytes -= size;
  }

  /** Stores a blob from a peer, counted. */
  ingest = async (id: string, stream: ReadableStream<Uint8Array>, options: PutOptions) => {
    let r;
    try {
      r = await ingestInto(this.deps.blobs)(id, stream, options);
    } catch (err) {
      this.deps.disk.refused(err);
      throw err;
    }
    if (r.created) {
      this.added(r.size);
      this.deps.stored(id);
    }
    return r;
  };

  /** Counts what the store holds (an object store lists sizes with its keys: no request per blob). */
  async count(): Promise<void> {
    // Never rejects: what fails is logged, and the counts follow later changes.
    try {
      this.#backend = (await this.deps.blobs.describe()).backend;
      const [blobs, bytes] = [await this.deps.blobs.count(), await this.deps.blobs.totalBytes()];
      this.#storage = { blobs, bytes };
    } catch (err) {
      // An object store that is down now: the counts come with the next start or changes.
      log.warn("Cannot count the stored blobs", { error: (err as Error).message });
    }
  }
}
