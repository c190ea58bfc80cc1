/**
 * An album's index (FORMAT §12.5): every photo id with its taken-at, sealed under the album key
 * in 16 shard records, so a browser orders a 10,000-photo album from one small download
 * instead of decrypting 10,000 photo records first. Browser-compatible: lib/crypto only, plus
 * the node through {@link VaultDeps}.
 *
 * The index is a cache, never the authority: the photo records are. Readers check what they
 * show against the records (album, taken-at) and rewrite the index when it disagrees, if they
 * may add photos (owner, contributors); a stale or missing index costs speed, never a photo.
 *
 * @module
 */

import {
  decryptBytes,
  encryptBytes,
  fromBase64Url,
  toBase64Url,
  utf8Encode,
} from "../../../crypto/mod.ts";
import type { AlbumKeys } from "./album_keys.ts";
import { postRecords, type VaultDeps } from "./client.ts";

/** Shards of an album's index (lib/vault/album_kinds.ts INDEX_SHARDS). */
export const INDEX_SHARDS = 16;
/** FORMAT §12.5: what a shard's plaintext starts with. */
const MAGIC = utf8Encode("p2pos-album-index-v1\n");
const HEADER = MAGIC.length + 16 + 1 + 4;
const ENTRY = 24;
/** Sealed shards posted in one request stay under this many characters (JSON limit 1 MiB). */
const POST_CHARS = 700_000;
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

export interface IndexEntry {
  id: string;
  takenAt: number;
}

/** A shard record as the node returns it. */
export interface IndexShardRecord {
  id: string;
  hlc: string;
  body: { album: string; shard: number; epoch: number; sealed: string };
}

/** An album's index as read: taken-at by photo id, and whether it needs writing again. */
export interface AlbumIndex {
  entries: Map<string, number>;
  /** Shard → the entries it held (to write only shards that change) and its epoch. */
  shards: Map<number, { epoch: number; entries: IndexEntry[] }>;
  /** True when a shard is missing, unreadable or sealed under an older key. */
  stale: boolean;
}

/** FORMAT §12.5: the shard of a photo id, from its first character (6 bits → 4). */
export function shardOf(photoId: string): number {
  const i = B64URL.indexOf(photoId.charAt(0));
  if (i < 0 || photoId.length !== 22) {
    throw new RangeError(`"photoId" expected 22 base64url characters, got ${photoId}`);
  }
  return i >> 2;
}

/** FORMAT §12.5: MAGIC ‖ album id (16) ‖ shard (1) ‖ count (u32) ‖ count × (id ‖ taken-at u64). */
export function encodeShard(albumId: string, shard: number, entries: IndexEntry[]): Uint8Array {
  const album = fromBase64Url(albumId);
  if (album.length !== 16) throw new RangeError(`"albumId" expected 16 bytes, got ${album.length}`);
  if (!Number.isInteger(shard) || shard < 0 || shard >= INDEX_SHARDS) {
    throw new RangeError(`"shard" expected 0..${INDEX_SHARDS - 1}, got ${shard}`);
  }
  const sorted = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out = new Uint8Array(HEADER + sorted.length * ENTRY);
  const view = new DataView(out.buffer);
  out.set(MAGIC);
  out.set(album, MAGIC.length);
  out[MAGIC.length + 16] = shard;
  view.setUint32(MAGIC.length + 17, sorted.length);
  sorted.forEach((e, i) => {
    if (shardOf(e.id) !== shard) throw new RangeError(`Photo ${e.id} is not in shard ${shard}`);
    const at = HEADER + i * ENTRY;
    out.set(fromBase64Url(e.id), at);
    const ms = Math.min(Math.max(Math.floor(e.takenAt), 0), Number.MAX_SAFE_INTEGER);
    view.setBigUint64(at + 16, BigInt(ms));
  });
  return out;
}

/** Parses a shard's plaintext; throws SyntaxError when it is not this album's shard `shard`. */
export function decodeShard(albumId: string, shard: number, plain: Uint8Array): IndexEntry[] {
  const bad = (why: string) => new SyntaxError(`Cannot read album index shard ${shard}: ${why}`);
  if (plain.length < HEADER || !MAGIC.every((b, i) => plain[i] === b)) {
    throw bad("it is not an album index (v1)");
  }
  const album = toBase64Url(plain.subarray(MAGIC.length, MAGIC.length + 16));
  if (album !== albumId || plain[MAGIC.length + 16] !== shard) {
    throw bad("it belongs to another album or shard");
  }
  const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
  const count = view.getUint32(MAGIC.length + 17);
  if (plain.length !== HEADER + count * ENTRY) {
    throw bad(`its length does not fit ${count} entries`);
  }
  const entries: IndexEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = HEADER + i * ENTRY;
    const id = toBase64Url(plain.subarray(at, at + 16));
    if (shardOf(id) !== shard) throw bad(`photo ${id} does not belong in it`);
    entries.push({ id, takenAt: Number(view.getBigUint64(at + 16)) });
  }
  return entries;
}

export async function sealShard(
  key: Uint8Array,
  albumId: string,
  shard: number,
  entries: IndexEntry[],
): Promise<string> {
  return toBase64Url(await encryptBytes(key, encodeShard(albumId, shard, entries)));
}

export async function openShard(
  key: Uint8Array,
  albumId: string,
  shard: number,
  sealed: string,
): Promise<IndexEntry[]> {
  return decodeShard(albumId, shard, await decryptBytes(key, fromBase64Url(sealed)));
}

/** Reads the album's index; undefined when it has none at all. */
export async function readAlbumIndex(
  deps: VaultDeps,
  keys: AlbumKeys,
  shards: Promise<IndexShardRecord[]> = fetchIndexShards(deps, keys.albumId),
): Promise<AlbumIndex | undefined> {
  return await openAlbumIndex(keys, await shards);
}

/**
 * An album's index shard records as the node holds them, still sealed: asking needs only the
 * album's id, so a page can ask beside the album's keys and open them once it has those.
 */
export async function fetchIndexShards(
  deps: Pick<VaultDeps, "call">,
  albumId: string,
): Promise<IndexShardRecord[]> {
  return (await deps.call<{ shards: IndexShardRecord[] }>(
    "GET",
    `/v1/albums/${encodeURIComponent(albumId)}/index`,
  )).shards;
}

/** Every readable album's index shards, in one request (album id → shard records). */
export async function fetchAllIndexShards(
  deps: VaultDeps,
): Promise<Record<string, IndexShardRecord[]>> {
  return (await deps.call<{ albums: Record<string, IndexShardRecord[]> }>(
    "GET",
    "/v1/album-indexes",
  )).albums;
}

/** Decrypts and checks an album's index shards; undefined when there are none. */
export async function openAlbumIndex(
  keys: AlbumKeys,
  records: IndexShardRecord[],
): Promise<AlbumIndex | undefined> {
  if (records.length === 0) return undefined;
  const index: AlbumIndex = { entries: new Map(), shards: new Map(), stale: false };
  await Promise.all(records.map(async (r) => {
    const { shard, epoch, sealed, album } = r.body;
    try {
      if (album !== keys.albumId) throw new SyntaxError("another album's shard");
      const entries = await openShard(keys.keyFor(epoch), keys.albumId, shard, sealed);
      index.shards.set(shard, { epoch, entries });
      if (epoch !== keys.epoch) index.stale = true;
    } catch {
      index.stale = true; // unreadable: whoever may write rebuilds it
    }
  }));
  if (index.shards.size !== INDEX_SHARDS) index.stale = true;
  for (const { entries } of index.shards.values()) {
    for (const e of entries) index.entries.set(e.id, e.takenAt);
  }
  return index;
}

function sameEntries(a: IndexEntry[], b: IndexEntry[]): boolean {
  if (a.length !== b.length) return false;
  const m = new Map(a.map((e) => [e.id, e.takenAt]));
  return b.every((e) => m.get(e.id) === e.takenAt);
}

/**
 * Writes the index of `photos` (the album's complete, checked list) under the album's current
 * key: every shard whose content or key differs from `current`. Returns how many it wrote.
 */
export async function writeAlbumIndex(
  deps: VaultDeps,
  keys: AlbumKeys,
  photos: IndexEntry[],
  current?: AlbumIndex,
): Promise<number> {
  const byShard: IndexEntry[][] = Array.from({ length: INDEX_SHARDS }, () => []);
  for (const p of photos) byShard[shardOf(p.id)].push({ id: p.id, takenAt: p.takenAt });
  const records = [];
  for (const [shard, entries] of byShard.entries()) {
    const held = current?.shards.get(shard);
    if (held && held.epoch === keys.epoch && sameEntries(held.entries, entries)) continue;
    const sealed = await sealShard(keys.current, keys.albumId, shard, entries);
    records.push(
      await deps.sign("album_index", `${keys.albumId}.${shard.toString(16)}`, {
        album: keys.albumId,
        shard,
        epoch: keys.epoch,
        sealed,
      }),
    );
  }
  // Several requests when the shards are large, each under the node's JSON limit.
  let batch: typeof records = [];
  let chars = 0;
  for (const r of records) {
    const size = (r.body as { sealed: string }).sealed.length + 1000;
    if (batch.length && chars + size > POST_CHARS) {
      await postRecords(deps, batch);
      batch = [];
      chars = 0;
    }
    batch.push(r);
    chars += size;
  }
  if (batch.length) await postRecords(deps, batch);
  return records.length;
}
