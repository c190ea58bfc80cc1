/**
 * Shapes of the vault's records and `/v1` answers as the browser reads them, plus the
 * decrypted documents only browsers ever see. Browser-compatible: types and zod only.
 *
 * The records and answers are defined once, in lib/core/album_shapes.ts, which the nodes
 * build them from; the decrypted documents are the browser's own.
 *
 * @module
 */

import { z } from "zod";

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

/**
 * A photo's encrypted metadata document (its `meta` blob, FORMAT §12.3), sealed under its file
 * key. Checked after decrypting: its author is a member, not this browser. The optional
 * details may be absent (read as null); fields this version does not know are dropped.
 */
export const PhotoMeta = z.object({
  v: z.literal(1),
  filename: z.string(),
  type: z.string(),
  size: z.number().int().nonnegative(),
  /** ms since the epoch: EXIF DateTimeOriginal, else the file's last-modified time. */
  takenAt: z.number().finite(),
  gps: z.object({ lat: z.number().finite(), lon: z.number().finite() }).nullable().default(null),
  orientation: z.number().int().nullable().default(null),
  camera: z.string().nullable().default(null),
  width: z.number().int().nonnegative().nullable().default(null),
  height: z.number().int().nonnegative().nullable().default(null),
});
export type PhotoMeta = z.infer<typeof PhotoMeta>;
