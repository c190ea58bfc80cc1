/**
 * Shapes of the vault's records and `/v1` answers as the browser reads them, plus the
 * decrypted documents only browsers ever see. Browser-compatible: types only.
 *
 * The records and answers are defined once, in lib/core/album_shapes.ts, which the nodes
 * build them from; the decrypted documents are the browser's own.
 *
 * @module
 */

export type {
  AlbumBody,
  AlbumDetail,
  AlbumView,
  BlobRef,
  GrantBody,
  GrantView,
  PhotoBody,
  PhotosPage,
  PhotoView,
  TombstoneBody,
  UploadReceipt,
} from "../../../core/album_shapes.ts";
export type { GrantRole as AlbumRole } from "../../../core/album_shapes.ts";

/** The album's encrypted document (`album.meta`), sealed under the current epoch's key. */
export interface AlbumDoc {
  v: 1;
  name: string;
  /** base64url of 32 bytes: the HMAC key of photo `dedup` values, fixed for the album's life. */
  dedupKey: string;
  createdAt: number;
  /** Album keys of every earlier epoch ("0", "1", …), base64url: old photos stay readable. */
  keys: Record<string, string>;
}

/** A photo's encrypted metadata document (its `meta` blob), sealed under its file key. */
export interface PhotoMeta {
  v: 1;
  filename: string;
  type: string;
  size: number;
  /** ms since the epoch: EXIF DateTimeOriginal, else the file's last-modified time. */
  takenAt: number;
  gps: { lat: number; lon: number } | null;
  orientation: number | null;
  camera: string | null;
  width: number | null;
  height: number | null;
}
