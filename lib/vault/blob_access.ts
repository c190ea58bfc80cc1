/**
 * The vault's blob read policy (seed §9, DESIGN §4; SECURITY.md, "Reading blobs"): a blob
 * is served to a member who may see an album containing a live photo that references it (as
 * original, thumbnail or metadata), or to the member who uploaded its bytes to this node
 * (before the photo is registered). Everyone else is told it does not exist. A photo can name only blobs its uploader sent
 * herself (upload receipts, lib/vault/upload_receipt.ts), so nobody gains a read by pointing
 * a photo of her own album at someone else's blob.
 */

import type { IndexDb, RecordLog } from "../store/mod.ts";
import { albumRole, type PhotoBody } from "./album_kinds.ts";
import type { TypedRecord } from "../core/record_kinds.ts";

export class BlobAccess {
  constructor(private readonly index: IndexDb, private readonly records: RecordLog) {}

  /** Photo records that reference `blobId` in any role, deleted ones included. */
  photosWithBlob(blobId: string): TypedRecord<PhotoBody>[] {
    const rows = this.index.db.prepare(
      `SELECT json FROM records INDEXED BY records_by_original
         WHERE json_extract(json, '$.body.original.id') = ?1 AND kind = 'photo'
       UNION ALL SELECT json FROM records INDEXED BY records_by_thumb
         WHERE json_extract(json, '$.body.thumb.id') = ?1 AND kind = 'photo'
       UNION ALL SELECT json FROM records INDEXED BY records_by_meta
         WHERE json_extract(json, '$.body.meta.id') = ?1 AND kind = 'photo'`,
    ).all(blobId) as { json: string }[];
    return rows.map((r) => JSON.parse(r.json) as TypedRecord<PhotoBody>);
  }

  /** Whether `memberKey` uploaded all the bytes of `blobId` to this node. */
  isUploader(blobId: string, memberKey: string): boolean {
    return this.index.db.prepare(
      "SELECT 1 FROM blob_uploaders WHERE blob_id = ? AND member_key = ?",
    ).get(blobId, memberKey) !== undefined;
  }

  /**
   * Once a photo references a blob, the albums decide (a deleted photo grants nothing, a
   * purged album nothing); before that, only the member who uploaded it may read it back.
   * Only its uploader's own photos can reference it (upload receipts), so nobody else can
   * take her read away by naming her blob first.
   */
  canRead(blobId: string, memberKey: string): boolean {
    const photos = this.photosWithBlob(blobId);
    if (photos.length === 0) return this.isUploader(blobId, memberKey);
    return photos.some((p) =>
      !this.records.get("tombstone", `photo.${p.id}`) &&
      albumRole(this.records, p.body.album, memberKey) !== undefined
    );
  }

  /**
   * Notes who uploaded a blob. Committed without its own fsync (synchronous=NORMAL for this
   * one statement; the next FULL commit flushes it): losing it in a power cut only means the
   * uploader's browser uploads the blob again, and an extra fsync per upload costs a fifth
   * of the upload rate (bench/blob_put.ts).
   */
  recordUploader(blobId: string, memberKey: string, at: number): void {
    const db = this.index.db;
    db.exec("PRAGMA synchronous = NORMAL");
    try {
      addUploader(this.index, blobId, memberKey, at);
    } finally {
      db.exec("PRAGMA synchronous = FULL");
    }
  }
}

/** Notes who uploaded a blob, inside the caller's transaction (a finished resumable upload). */
export function addUploader(index: IndexDb, blobId: string, memberKey: string, at: number): void {
  index.db.prepare(
    "INSERT OR IGNORE INTO blob_uploaders (blob_id, member_key, uploaded_at) VALUES (?, ?, ?)",
  ).run(blobId, memberKey, at);
}
