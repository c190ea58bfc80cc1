/**
 * The timeline: every photo the member can open, across albums, newest first. Ordered from the
 * albums' indexes (FORMAT §12.5); records are fetched by id only for what is shown, a slice at a
 * time, and each is checked against the index (its album, its taken-at). An album whose index
 * is missing or does not count its photos is listed in full instead. Browser-compatible.
 *
 * @module
 */

import type { AlbumKeys } from "./album_keys.ts";
import { fetchAllIndexShards, openAlbumIndex, writeAlbumIndex } from "./album_index.ts";
import { allPhotos, photosById } from "./album_photos.ts";
import { listAlbums } from "./albums.ts";
import type { VaultDeps } from "./client.ts";
import { openSort } from "./photo_crypto.ts";
import type { LibraryPhoto } from "./photo_library.ts";
import type { PhotoView } from "./types.ts";

export interface TimelineEntry {
  id: string;
  album: string;
  takenAt: number;
  /** Known already when the album was listed in full. */
  view?: PhotoView;
}

/** Newest first; equal times by id, so the order is the same on every device. */
export function newestFirst(a: { takenAt: number; id: string }, b: typeof a): number {
  return b.takenAt - a.takenAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export class Timeline {
  /** Photos shown so far, in order, each checked against its record. */
  readonly loaded: LibraryPhoto[] = [];
  #next = 0;
  #loading: Promise<void> | undefined;

  private constructor(
    private readonly deps: VaultDeps,
    private readonly albums: Map<string, AlbumKeys>,
    /** Every photo's place, newest first. */
    readonly order: TimelineEntry[],
  ) {}

  /** Opens every album the member can read (not those in the trash) and orders their photos. */
  static async open(deps: VaultDeps): Promise<Timeline> {
    // Every index is asked for beside the albums: the request needs no key.
    const allShards = fetchAllIndexShards(deps);
    allShards.catch(() => {}); // reported below, once the albums are listed
    const opened = (await listAlbums(deps)).filter((a) => a.keys && a.view.trashedAt === null);
    const albums = new Map(opened.map((a) => [a.view.id, a.keys!]));
    const shards = await allShards;
    const parts = await Promise.all(opened.map(async ({ view, keys }) => {
      const index = await openAlbumIndex(keys!, shards[view.id] ?? []).catch(() => undefined);
      if (index && !index.stale && index.entries.size === view.photoCount) {
        return [...index.entries].map(([id, takenAt]) => ({ id, album: view.id, takenAt }));
      }
      // No usable index: this album's records are listed and read in full, and whoever may
      // write its index writes it, so the next visit is quick.
      // Dates from the records, not from an index that was found wanting.
      const all = await allPhotos(deps, keys!, undefined);
      const writer = (view.role === "owner" || view.role === "contributor") &&
        view.trashedAt === null;
      if (writer) {
        const entries = all.photos.map((p) => ({ id: p.view.id, takenAt: p.takenAt }));
        writeAlbumIndex(deps, keys!, entries, index).catch(() => {}); // a cache: best effort
      }
      return all.photos.map((p) => ({
        id: p.view.id,
        album: view.id,
        takenAt: p.takenAt,
        view: p.view,
      }));
    }));
    return new Timeline(deps, albums, parts.flat().sort(newestFirst));
  }

  get total(): number {
    return this.order.length;
  }

  get more(): boolean {
    return this.#next < this.order.length;
  }

  /** The keys of a photo's album (for decrypting its thumbnail and original). */
  keysOf(photo: PhotoView): AlbumKeys {
    const keys = this.albums.get(photo.record.body.album);
    if (!keys) throw new Error("This photo's album is not open in this timeline");
    return keys;
  }

  /** Loads the next `count` photos' records; resolves when they are in {@link loaded}. */
  loadMore(count = 240): Promise<void> {
    this.#loading ??= this.#load(count).finally(() => (this.#loading = undefined));
    return this.#loading;
  }

  async #load(count: number): Promise<void> {
    const slice = this.order.slice(this.#next, this.#next + count);
    this.#next += slice.length;
    const wanted = slice.filter((e) => !e.view).map((e) => e.id);
    const fetched = new Map((await photosById(this.deps, wanted)).map((v) => [v.id, v]));
    const out: LibraryPhoto[] = [];
    await Promise.all(slice.map(async (entry) => {
      const view = entry.view ?? fetched.get(entry.id);
      // Gone since (deleted), or an index naming another album's photo: not shown here.
      if (!view || view.record.body.album !== entry.album) return;
      let takenAt = entry.takenAt;
      if (!entry.view) {
        const keys = this.albums.get(entry.album)!;
        takenAt = await openSort(keys.keyFor(view.epoch), view.sort).catch(() => 0);
      }
      out.push({ view, takenAt });
    }));
    this.loaded.push(...out.sort((a, b) =>
      newestFirst(
        { takenAt: a.takenAt, id: a.view.id },
        { takenAt: b.takenAt, id: b.view.id },
      )
    ));
  }
}
