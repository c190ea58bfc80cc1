/**
 * Shapes of the vault's records and `/v1` answers as the browser reads them, plus the
 * decrypted documents only browsers ever see. Browser-compatible: types only.
 *
 * They mirror lib/vault/album_kinds.ts and lib/vault/album_queries.ts (which islands may not
 * import); the server may add fields without breaking these readers.
 *
 * @module
 */

import type { SignedRecord } from "../../../crypto/mod.ts";

export type AlbumRole = "owner" | "contributor" | "viewer";

/** What the node that took an upload signs for its uploader (FORMAT §13). */
export interface UploadReceipt {
  node: string;
  sig: string;
}

export interface BlobRef {
  id: string;
  size: number;
  /** Proof that the photo's uploader sent these bytes; photos registered earlier lack it. */
  receipt?: UploadReceipt;
}

/** `album` record body: everything a person typed is inside `meta`, encrypted. */
export interface AlbumBody {
  owner: string;
  epoch: number;
  meta: string;
  cover: string | null;
  trashedAt: number | null;
}

/** `grant` record body, id `<album>.<member>`. */
export interface GrantBody {
  album: string;
  member: string;
  role: AlbumRole;
  epoch: number;
  wrapped: string;
  revoked: boolean;
}

/** `photo` record body. */
export interface PhotoBody {
  album: string;
  uploader: string;
  epoch: number;
  /** The file key, encrypted under the album key of `epoch`. */
  key: string;
  original: BlobRef;
  thumb: BlobRef | null;
  meta: BlobRef;
  /** Taken-at (8 bytes, big-endian ms), encrypted under the album key of `epoch`. */
  sort: string;
  dedup: string;
}

export interface TombstoneBody {
  kind: "photo";
  target: string;
  album: string;
}

/** One album as GET /v1/albums lists it for the caller. */
export interface AlbumView {
  id: string;
  owner: string;
  epoch: number;
  meta: string;
  cover: string | null;
  trashedAt: number | null;
  /** In the trash: when the node deletes it for good (counted from when it saw the trashing). */
  purgeAt: number | null;
  role: AlbumRole;
  /** The caller's wrapped key of the current epoch; null until the owner re-shares it. */
  grant: { epoch: number; wrapped: string } | null;
  photoCount: number;
  hlc: string;
  record: SignedRecord<AlbumBody>;
}

export interface GrantView {
  member: string;
  role: AlbumRole;
  epoch: number;
  revoked: boolean;
  /** Only the owner receives the signed records (to sign new versions of them). */
  record?: SignedRecord<GrantBody>;
}

/** GET /v1/albums/:id */
export interface AlbumDetail {
  album: AlbumView;
  grants: GrantView[];
}

/** One photo as GET /v1/albums/:id/photos lists it. */
export interface PhotoView {
  id: string;
  uploader: string;
  epoch: number;
  key: string;
  original: BlobRef;
  thumb: BlobRef | null;
  meta: BlobRef;
  sort: string;
  dedup: string;
  hlc: string;
  record: SignedRecord<PhotoBody>;
}

export interface PhotosPage {
  photos: PhotoView[];
  next: string | null;
}

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
