/**
 * Read-side queries of the vault: which albums a member sees, an album's
 * photos page by page. Only opaque ids, sizes, server times and ciphertext
 * leave here; browsers decrypt.
 */

import type { IndexDb, RecordLog } from "../store/mod.ts";
import type { TypedRecord } from "../core/record_kinds.ts";
import type { AlbumView, PhotoView } from "../core/album_shapes.ts";
import {
  type AlbumBody,
  type AlbumIndexBody,
  albumRole,
  type GrantBody,
  grantId,
  isPurged,
  type PhotoBody,
  purgeAt,
} from "./album_kinds.ts";

export type { AlbumView, PhotoView };

export class AlbumQueries {
  /**
   * Live photo counts by album. Counting reads every photo record of the album
   * (≈ 150–500 ms at 10,000), so a count is kept until a photo or tombstone of
   * that album is stored.
   */
  readonly #counts = new Map<string, number>();

  constructor(private readonly index: IndexDb, private readonly records: RecordLog) {
    records.onChange((stored) => {
      for (const { record } of stored) {
        if (record.kind !== "photo" && record.kind !== "tombstone") continue;
        const album = (record.body as { album?: unknown }).album;
        if (typeof album === "string") this.#counts.delete(album);
        else this.#counts.clear();
      }
    });
  }

  photoCount(albumId: string): number {
    const cached = this.#counts.get(albumId);
    if (cached !== undefined) return cached;
    const n = this.#countPhotos(albumId);
    if (this.#counts.size > 10_000) this.#counts.clear();
    this.#counts.set(albumId, n);
    return n;
  }

  #countPhotos(albumId: string): number {
    const row = this.index.db.prepare(
      `SELECT count(*) AS n FROM records AS p INDEXED BY records_by_album
       WHERE p.kind = 'photo' AND json_extract(p.json, '$.body.album') = ?
         AND NOT EXISTS (SELECT 1 FROM records AS t WHERE t.kind = 'tombstone' AND t.id = 'photo.' || p.id)`,
    ).get(albumId) as { n: number };
    return row.n;
  }

  view(album: TypedRecord<AlbumBody>, memberKey: string): AlbumView | undefined {
    const role = albumRole(this.records, album.id, memberKey);
    if (!role) return undefined;
    const grant = this.records.get<GrantBody>("grant", grantId(album.id, memberKey));
    const current = grant && !grant.body.revoked && grant.body.epoch === album.body.epoch;
    return {
      id: album.id,
      owner: album.body.owner,
      epoch: album.body.epoch,
      meta: album.body.meta,
      cover: album.body.cover,
      trashedAt: album.body.trashedAt,
      purgeAt: purgeAt(this.records, album) ?? null,
      role,
      grant: current ? { epoch: grant.body.epoch, wrapped: grant.body.wrapped } : null,
      photoCount: this.photoCount(album.id),
      hlc: album.hlc,
      record: album,
    };
  }

  /** Albums the member may see (trashed ones included, purged ones not), newest first. */
  albumsFor(memberKey: string): AlbumView[] {
    return this.records.list<AlbumBody>("album")
      .filter((a) => !isPurged(this.records, a))
      .map((a) => this.view(a, memberKey))
      .filter((v): v is AlbumView => v !== undefined)
      .sort((a, b) => (a.hlc < b.hlc ? 1 : -1));
  }

  /** Grants of an album (current and revoked), for its sharing panel. */
  grants(albumId: string): TypedRecord<GrantBody>[] {
    return this.records.find<GrantBody>("grant", "album", albumId);
  }

  /** The album's index shards (FORMAT §12.5), as stored: sealed, so only members read them. */
  indexShards(albumId: string): TypedRecord<AlbumIndexBody>[] {
    return this.records.find<AlbumIndexBody>("album_index", "album", albumId)
      .sort((a, b) => a.body.shard - b.body.shard);
  }

  /**
   * Photos by id, for a browser that knows which ones it wants to show (from an album index):
   * those the member may see and that are not deleted; any other id is left out, exactly as
   * if it did not exist.
   */
  photosByIds(ids: string[], memberKey: string): PhotoView[] {
    const roles = new Map<string, boolean>();
    const out: PhotoView[] = [];
    const get = this.index.db.prepare(
      `SELECT p.json FROM records AS p WHERE p.kind = 'photo' AND p.id = ?
         AND NOT EXISTS (SELECT 1 FROM records AS t WHERE t.kind = 'tombstone' AND t.id = 'photo.' || p.id)`,
    );
    for (const id of new Set(ids)) {
      const row = get.get(id) as { json: string } | undefined;
      if (!row) continue;
      const p = JSON.parse(row.json) as TypedRecord<PhotoBody>;
      let visible = roles.get(p.body.album);
      if (visible === undefined) {
        visible = albumRole(this.records, p.body.album, memberKey) !== undefined;
        roles.set(p.body.album, visible);
      }
      if (visible) out.push(photoView(p));
    }
    return out;
  }

  /** One page of an album's live photos, ordered by id (stable while photos change). */
  photos(
    albumId: string,
    after: string,
    limit: number,
  ): { photos: PhotoView[]; next: string | null } {
    const rows = this.index.db.prepare(
      `SELECT p.json FROM records AS p INDEXED BY records_by_album
       WHERE p.kind = 'photo' AND json_extract(p.json, '$.body.album') = ? AND p.id > ?
         AND NOT EXISTS (SELECT 1 FROM records AS t WHERE t.kind = 'tombstone' AND t.id = 'photo.' || p.id)
       ORDER BY p.id LIMIT ?`,
    ).all(albumId, after, limit + 1) as { json: string }[];
    const records = rows.slice(0, limit).map((r) => JSON.parse(r.json) as TypedRecord<PhotoBody>);
    return {
      photos: records.map(photoView),
      next: rows.length > limit ? records[records.length - 1].id : null,
    };
  }
}

function photoView(p: TypedRecord<PhotoBody>): PhotoView {
  return {
    id: p.id,
    uploader: p.body.uploader,
    epoch: p.body.epoch,
    key: p.body.key,
    original: p.body.original,
    thumb: p.body.thumb,
    meta: p.body.meta,
    sort: p.body.sort,
    dedup: p.body.dedup,
    hlc: p.hlc,
    record: p,
  };
}
