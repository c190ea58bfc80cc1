/**
 * Loading an album's photos in two steps, so a large album shows its first screen at once:
 * the album index (FORMAT §12.5) gives the order, then only the first photos' records are
 * fetched by id and checked; the complete list follows in the background and is checked
 * against the index, which is rewritten when it disagrees. Browser-compatible.
 *
 * @module
 */

import type { AlbumKeys } from "./album_keys.ts";
import {
  type AlbumIndex,
  type IndexEntry,
  type IndexShardRecord,
  readAlbumIndex,
} from "./album_index.ts";
import { listPhotos } from "./albums.ts";
import type { VaultDeps } from "./client.ts";
import { openSort } from "./photo_crypto.ts";
import { byTakenAt, type LibraryPhoto } from "./photo_library.ts";
import type { PhotoView } from "./types.ts";

/** Photo records by id (at most 200 a request); ids the node does not show are left out. */
export async function photosById(deps: VaultDeps, ids: string[]): Promise<PhotoView[]> {
  const out: PhotoView[] = [];
  const requests = [];
  for (let i = 0; i < ids.length; i += 200) {
    const q = ids.slice(i, i + 200).join(",");
    requests.push(deps.call<{ photos: PhotoView[] }>("GET", `/v1/photos?ids=${q}`));
  }
  for (const page of await Promise.all(requests)) out.push(...page.photos);
  return out;
}

async function takenAtOf(keys: AlbumKeys, view: PhotoView): Promise<number> {
  try {
    return await openSort(keys.keyFor(view.epoch), view.sort);
  } catch {
    return 0; // unreadable dates sort first, as in orderPhotos()
  }
}

function orderOf(index: AlbumIndex): IndexEntry[] {
  return [...index.entries].map(([id, takenAt]) => ({ id, takenAt }))
    .sort((a, b) => a.takenAt - b.takenAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export interface FirstPhotos {
  index: AlbumIndex;
  /** The first `count` photos in taken-at order, each checked against its record. */
  photos: LibraryPhoto[];
  /** How many photos the index lists. */
  total: number;
}

/**
 * The album's first `count` photos from its index; undefined when the album has no complete
 * index (then the caller lists every photo). Each photo shown is checked against its signed
 * record: it must belong to this album, and its taken-at is the record's; a disagreement
 * marks the index stale.
 */
export async function firstPhotos(
  deps: VaultDeps,
  keys: AlbumKeys,
  count = 120,
  /** The index's shard records, when already asked for (./album_index.ts fetchIndexShards). */
  shards?: Promise<IndexShardRecord[]>,
): Promise<FirstPhotos | undefined> {
  const index = await readAlbumIndex(deps, keys, shards);
  if (!index || index.shards.size === 0) return undefined;
  const order = orderOf(index);
  const views = await photosById(deps, order.slice(0, count).map((e) => e.id));
  const photos: LibraryPhoto[] = [];
  await Promise.all(views.map(async (view) => {
    if (view.record.body.album !== keys.albumId) {
      index.stale = true;
      return;
    }
    const takenAt = await takenAtOf(keys, view);
    if (takenAt !== index.entries.get(view.id)) index.stale = true;
    photos.push({ view, takenAt });
  }));
  if (views.length < Math.min(count, order.length)) index.stale = true; // deleted since
  return { index, photos: photos.sort(byTakenAt), total: order.length };
}

export interface AllPhotos {
  photos: LibraryPhoto[];
  /** True when the index lacks photos, holds ones that are gone, or was stale already. */
  stale: boolean;
}

/**
 * Every live photo of the album in taken-at order. Taken-at comes from the index where it has
 * the photo (checked later by {@link checkTakenAt}) and from the record otherwise.
 */
export async function allPhotos(
  deps: VaultDeps,
  keys: AlbumKeys,
  index: AlbumIndex | undefined,
): Promise<AllPhotos> {
  let stale = index?.stale ?? true;
  const pending: Promise<LibraryPhoto>[] = [];
  const seen = new Set<string>();
  await listPhotos(deps, keys.albumId, (page) => {
    for (const view of page) {
      seen.add(view.id);
      const known = index?.entries.get(view.id);
      if (known !== undefined) {
        pending.push(Promise.resolve({ view, takenAt: known }));
      } else {
        stale = true;
        pending.push(takenAtOf(keys, view).then((takenAt) => ({ view, takenAt })));
      }
    }
  });
  if (index && [...index.entries.keys()].some((id) => !seen.has(id))) stale = true;
  return { photos: (await Promise.all(pending)).sort(byTakenAt), stale };
}

/**
 * Decrypts every photo's taken-at from its record, a slice at a time so the page stays
 * responsive, and corrects the list where the index said otherwise. Resolves to the
 * corrected list (same order when nothing differed) and whether anything differed.
 */
export async function checkTakenAt(
  keys: AlbumKeys,
  photos: LibraryPhoto[],
  options: { slice?: number; signal?: AbortSignal } = {},
): Promise<{ photos: LibraryPhoto[]; differed: boolean }> {
  const slice = options.slice ?? 250;
  let differed = false;
  const out: LibraryPhoto[] = [];
  for (let i = 0; i < photos.length; i += slice) {
    if (options.signal?.aborted) throw options.signal.reason;
    const part = await Promise.all(
      photos.slice(i, i + slice).map(async (p) => {
        const takenAt = await takenAtOf(keys, p.view);
        if (takenAt !== p.takenAt) differed = true;
        return takenAt === p.takenAt ? p : { view: p.view, takenAt };
      }),
    );
    out.push(...part);
    await new Promise((r) => setTimeout(r, 0)); // a turn for input and rendering
  }
  return { photos: differed ? out.sort(byTakenAt) : photos, differed };
}
