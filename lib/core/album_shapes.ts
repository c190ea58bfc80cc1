/**
 * One definition of the vault's record bodies (`album`, `grant`, `photo`, `tombstone`,
 * `album_index`) and of the `/v1` answers that carry them: the zod schemas the nodes validate
 * with (lib/vault/album_kinds.ts adds who may author what), the types the API answers with
 * (lib/vault/album_queries.ts builds them) and the types the browser reads them as
 * (lib/web/browser/vault/types.ts re-exports them for islands). Defined here, below both,
 * so the two sides cannot drift apart.
 *
 * Browser-compatible: zod and types only, no I/O.
 *
 * @module
 */

import { z } from "zod";
import type { TypedRecord } from "./record_kinds.ts";
import { Hex64, Key32, NodeIdText, RandomId, Sig64 } from "./schemas.ts";

/** What the node that took an upload signs for its uploader (FORMAT §13). */
export const UploadReceipt = z.object({
  /** The node that took the upload (its node record holds the key to check `sig` with). */
  node: NodeIdText,
  /** base64url Ed25519 signature of the FORMAT §13 message by that node's key. */
  sig: Sig64,
}).strict();
export type UploadReceipt = z.infer<typeof UploadReceipt>;

/** base64url ciphertext produced by lib/crypto (never plaintext). */
const Sealed = (max: number) => z.string().regex(/^[A-Za-z0-9_-]+$/).max(max);
/**
 * A photo's blob. `receipt` shows its uploader sent these bytes to a family node; a photo a
 * node had not seen before is admitted only with one on every blob (see `checkUploadReceipt`).
 * Optional in the schema so that photos registered before receipts can still be re-wrapped on
 * the nodes that hold them.
 */
export const BlobRef = z.object({
  id: Hex64,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  receipt: UploadReceipt.optional(),
}).strict();
export type BlobRef = z.infer<typeof BlobRef>;

export const AlbumBody = z.object({
  owner: Key32,
  epoch: z.number().int().min(0).max(1_000_000),
  /** Encrypted album metadata (name, dedup key …) under the current epoch's key. */
  meta: Sealed(16_384),
  cover: RandomId.nullable(),
  trashedAt: z.number().int().positive().nullable(),
}).strict();
export type AlbumBody = z.infer<typeof AlbumBody>;

export const GrantRole = z.enum(["owner", "contributor", "viewer"]);
export type GrantRole = z.infer<typeof GrantRole>;

export const GrantBody = z.object({
  album: RandomId,
  member: Key32,
  role: GrantRole,
  epoch: z.number().int().min(0),
  /** The album key of `epoch`, wrapped for the member's X25519 key (FORMAT key wrap). */
  wrapped: Sealed(512),
  revoked: z.boolean(),
}).strict();
export type GrantBody = z.infer<typeof GrantBody>;

export const PhotoBody = z.object({
  album: RandomId,
  uploader: Key32,
  epoch: z.number().int().min(0),
  /** The photo's file key, encrypted under the album key of `epoch`. */
  key: Sealed(1024),
  original: BlobRef,
  thumb: BlobRef.nullable(),
  meta: BlobRef,
  /** Encrypted taken-at, so browsers can order a grid without fetching every metadata blob. */
  sort: Sealed(1024),
  /** Keyed hash of the original under the album's dedup key: equal photos, equal values. */
  dedup: Hex64,
}).strict();
export type PhotoBody = z.infer<typeof PhotoBody>;

export const TombstoneBody = z.object({
  kind: z.literal("photo"),
  target: RandomId,
  album: RandomId,
}).strict();
export type TombstoneBody = z.infer<typeof TombstoneBody>;

/** Shards of an album's index (FORMAT §12.5): photo ids are spread over them by first character. */
export const INDEX_SHARDS = 16;
/** Largest sealed shard: well under a JSON request's and a feed page's limits (≈ 16,000 photos). */
export const MAX_INDEX_SHARD_CHARS = 524_288;

export const AlbumIndexBody = z.object({
  album: RandomId,
  shard: z.number().int().min(0).max(INDEX_SHARDS - 1),
  /** The album key epoch the shard is sealed under. */
  epoch: z.number().int().min(0),
  /** (photo id, taken-at) of the shard's photos, sealed under the album key of `epoch`. */
  sealed: Sealed(MAX_INDEX_SHARD_CHARS),
}).strict();
export type AlbumIndexBody = z.infer<typeof AlbumIndexBody>;

/** One album as `GET /v1/albums` lists it for the caller. */
export interface AlbumView {
  id: string;
  owner: string;
  epoch: number;
  meta: string;
  cover: string | null;
  trashedAt: number | null;
  /** In the trash: when this node deletes it for good (counted from when it saw the trashing). */
  purgeAt: number | null;
  role: GrantRole;
  /** The caller's wrapped album key at the current epoch (null if it has not been re-shared yet). */
  grant: { epoch: number; wrapped: string } | null;
  photoCount: number;
  hlc: string;
  record: TypedRecord<AlbumBody>;
}

/** One grant of an album as `GET /v1/albums/:id` lists it. */
export interface GrantView {
  member: string;
  role: GrantRole;
  epoch: number;
  revoked: boolean;
  /** Only the owner receives the signed records (to sign new versions of them). */
  record?: TypedRecord<GrantBody>;
}

/** `GET /v1/albums/:id` */
export interface AlbumDetail {
  album: AlbumView;
  grants: GrantView[];
}

/** One photo as `GET /v1/albums/:id/photos` and `GET /v1/photos` list it. */
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
  record: TypedRecord<PhotoBody>;
}

/** `GET /v1/albums/:id/photos` */
export interface PhotosPage {
  photos: PhotoView[];
  next: string | null;
}
