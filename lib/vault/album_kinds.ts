/**
 * The vault's record kinds (DESIGN §4, seed §8): `album`, `grant`, `photo`,
 * `tombstone`. Nothing in them is plaintext a member typed or a camera wrote:
 * album names, captions, filenames, EXIF and taken-at travel encrypted (in
 * `meta` and `sort`, or in the metadata blob).
 *
 * Who may author what:
 * - album: any member creates one and owns it; only the owner renames
 *   (new `meta`), sets the cover, trashes/restores it, or starts a new key
 *   epoch (`epoch` + 1, after un-sharing). 30 days after a node first saw it
 *   trashed it is purged there: read-only and invisible. The days count from
 *   what the node saw (`RecordView.since`), never from the `trashedAt` the
 *   owner signed, so a backdated trashing cannot purge anything at once.
 * - grant (id `<album>.<member>`): only the owner shares (a wrapped album key
 *   for the member's X25519 key, at the album's current epoch), changes a
 *   role, or un-shares (`revoked`).
 * - photo: the owner or a contributor adds one (as its uploader), naming only
 *   blobs she uploaded herself (an upload receipt from a family node on each);
 *   afterwards only the owner may re-wrap its file key for a new epoch.
 * - tombstone (id `photo.<photo id>`): deletes a photo; by the owner or the
 *   photo's uploader while they may still contribute.
 *
 * Rights are judged on what a record follows in the family log: grants and members
 * as they stood among its ancestors (lib/store/record_log.ts), so every node gives
 * the same verdict whatever else it received first. Un-sharing (a grant revoked, or turned
 * into a viewer's) ends a contributor's right: the log voids the photos and
 * deletions she made in that album without the un-share having seen them.
 */

import { ForbiddenError, ValidationError } from "../core/errors.ts";
import { recordHash } from "../crypto/mod.ts";
import { activeMember } from "../core/family_kinds.ts";
import type { Origin, RecordKind, RecordView, TypedRecord } from "../core/record_kinds.ts";
import { bodyParser } from "../core/schemas.ts";
import {
  AlbumBody,
  AlbumIndexBody,
  GrantBody,
  GrantRole,
  PhotoBody,
  TombstoneBody,
} from "../core/album_shapes.ts";
import { checkUploadReceipt } from "./upload_receipt.ts";

export {
  AlbumBody,
  AlbumIndexBody,
  GrantBody,
  GrantRole,
  INDEX_SHARDS,
  MAX_INDEX_SHARD_CHARS,
  PhotoBody,
  TombstoneBody,
} from "../core/album_shapes.ts";

export const TRASH_DAYS = 30;
const TRASH_MS = TRASH_DAYS * 24 * 3600_000;

export function albumIndexId(album: string, shard: number): string {
  return `${album}.${shard.toString(16)}`;
}

/**
 * When an album in the trash is deleted for good on this node: {@link TRASH_DAYS} after
 * this node first saw it trashed; undefined when it is not in the trash.
 */
export function purgeAt(view: RecordView, album: TypedRecord<AlbumBody>): number | undefined {
  if (album.body.trashedAt === null) return undefined;
  const since = view.since("album", album.id);
  // Not noted yet: the trashing is being stored right now.
  return (since ?? view.now()) + TRASH_MS;
}

export function isPurged(view: RecordView, album: TypedRecord<AlbumBody>): boolean {
  const at = purgeAt(view, album);
  return at !== undefined && view.now() > at;
}

export function grantId(album: string, member: string): string {
  return `${album}.${member}`;
}

/**
 * A member's role on an album: the owner's, or what a current grant says;
 * `undefined` for no access. Removed members and purged albums have none.
 */
export function albumRole(
  view: RecordView,
  albumId: string,
  memberKey: string,
): GrantRole | undefined {
  const album = view.get<AlbumBody>("album", albumId);
  if (!album || isPurged(view, album) || !activeMember(view, memberKey)) return undefined;
  if (album.body.owner === memberKey) return "owner";
  const grant = view.get<GrantBody>("grant", grantId(albumId, memberKey));
  return grant && !grant.body.revoked ? grant.body.role : undefined;
}

/** The one answer to a write to an album that is unknown, purged, or hidden from its author. */
function noSuchAlbum(id: string): ForbiddenError {
  return new ForbiddenError(`there is no album ${id} that you can see`);
}

/**
 * The album a grant or photo writes to. From a browser, an album its author has no role on
 * (hidden from her, purged, or unknown here) gets one answer, so a write never tells whether
 * an album exists (SECURITY.md, "Nothing answers differently…"). From a peer, only a purged
 * or unknown album is refused here (the kind then judges the author's role).
 */
function writableAlbum(
  view: RecordView,
  id: string,
  author: string,
  origin: Origin,
): TypedRecord<AlbumBody> {
  const album = view.get<AlbumBody>("album", id);
  if (!album || isPurged(view, album)) throw noSuchAlbum(id);
  if (origin.via !== "peer" && albumRole(view, id, author) === undefined) throw noSuchAlbum(id);
  return album;
}

export const albumKind: RecordKind<AlbumBody> = {
  kind: "album",
  parseBody: bodyParser(AlbumBody, "Album"),
  authorize(record, previous, view, origin) {
    if (!activeMember(view, record.author)) {
      throw new ForbiddenError("only family members make albums");
    }
    if (record.author !== record.body.owner) {
      throw new ForbiddenError("an album is signed by its owner");
    }
    if (!previous) {
      if (record.body.epoch !== 0) throw new ForbiddenError("a new album starts at key epoch 0");
      if (record.body.trashedAt !== null) {
        throw new ForbiddenError("a new album cannot be in the trash");
      }
      return;
    }
    // Someone else's album id gets one answer, purged or not.
    if (previous.body.owner !== record.body.owner) {
      throw new ForbiddenError("an album's owner never changes");
    }
    if (isPurged(view, previous)) throw new ForbiddenError("that album was deleted for good");
    // From a peer, two versions the owner made at once on two devices may cross.
    if (origin.via === "peer") return;
    const step = record.body.epoch - previous.body.epoch;
    if (step < 0 || step > 1) throw new ForbiddenError("a key epoch advances one at a time");
  },
  phase: (body) => (body.trashedAt === null ? null : "trash"),
};

/** Roles that may add photos. */
const CONTRIBUTES = new Set<GrantRole>(["owner", "contributor"]);

export const grantKind: RecordKind<GrantBody> = {
  kind: "grant",
  parseBody: bodyParser(GrantBody, "Grant"),
  authorize(record, previous, view, origin) {
    const { album: albumId, member } = record.body;
    if (record.id !== grantId(albumId, member)) {
      throw new ValidationError("a grant's id is <album>.<member>");
    }
    const album = writableAlbum(view, albumId, record.author, origin);
    if (record.author !== album.body.owner) {
      throw new ForbiddenError("only the album's owner shares it");
    }
    if (!activeMember(view, record.author)) {
      throw new ForbiddenError("only family members share albums");
    }
    if ((record.body.role === "owner") !== (member === album.body.owner)) {
      throw new ForbiddenError("the owner's own grant, and only it, has the role owner");
    }
    if (previous && previous.body.album !== albumId) {
      throw new ForbiddenError("a grant's album never changes");
    }
    if (!record.body.revoked) {
      // From a peer, judged on what the grant follows (RecordLog): a removal made elsewhere
      // without seeing the grant does not refuse it, on any node. A removed member has no
      // role whatever her grants say (albumRole).
      if (!activeMember(view, member)) {
        throw new ForbiddenError("albums are shared with current members only");
      }
      // From a peer: a grant the owner did not re-wrap yet when the album moved on;
      // one ahead of the album waits (parked) for the album's newer version.
      const stale = origin.via === "peer" && record.body.epoch < album.body.epoch;
      if (record.body.epoch !== album.body.epoch && !stale) {
        throw new ForbiddenError(
          `a grant wraps the album's current key (epoch ${album.body.epoch})`,
        );
      }
    }
  },
  withdraws: (body) => body.revoked,
  revokes(record, view) {
    const { album, member } = record.body;
    if (!record.body.revoked && CONTRIBUTES.has(record.body.role)) return undefined;
    // Only an un-share of someone who could contribute (a grant seen before) ends a right.
    const hash = recordHash(record);
    const could = view.versions<GrantBody>("grant", record.id).some((g) =>
      !g.body.revoked && CONTRIBUTES.has(g.body.role) && view.precedes(recordHash(g), hash)
    );
    if (!could) return undefined;
    return {
      author: member,
      kinds: ["photo", "tombstone", "album_index"],
      covers: (link) => (link.body as { album?: unknown }).album === album,
    };
  },
};

export const photoKind: RecordKind<PhotoBody> = {
  kind: "photo",
  parseBody: bodyParser(PhotoBody, "Photo"),
  authorize(record, previous, view, origin) {
    const album = writableAlbum(view, record.body.album, record.author, origin);
    const fromPeer = origin.via === "peer";
    // From a peer, the album may have been trashed after the photo was added.
    if (album.body.trashedAt !== null && !fromPeer) {
      throw new ForbiddenError("that album is in the trash");
    }
    if (record.body.epoch > album.body.epoch) {
      throw new ForbiddenError(`the album's key is at epoch ${album.body.epoch}, not yet later`);
    }
    const role = albumRole(view, album.id, record.author);
    if (!previous) {
      if (view.get("tombstone", `photo.${record.id}`)) {
        throw new ForbiddenError("that photo was deleted");
      }
      // A photo names only blobs its uploader could read: her own uploads (issue #10 §2).
      // Checked on every node, whoever relays it; later versions keep the same blobs.
      const { uploader, original, thumb, meta } = record.body;
      checkUploadReceipt(view, uploader, original, origin, "original");
      if (thumb) checkUploadReceipt(view, uploader, thumb, origin, "thumbnail");
      checkUploadReceipt(view, uploader, meta, origin, "metadata");
      if (record.author !== record.body.uploader) {
        throw new ForbiddenError("a photo is signed by its uploader");
      }
      if (!role || !CONTRIBUTES.has(role)) {
        throw new ForbiddenError("only the album's owner and contributors add photos");
      }
      // From a peer, a photo added before the album's key moved on keeps its epoch.
      if (record.body.epoch !== album.body.epoch && !fromPeer) {
        throw new ForbiddenError(
          `new photos use the album's current key (epoch ${album.body.epoch})`,
        );
      }
      return;
    }
    if (role !== "owner") {
      throw new ForbiddenError("only the album's owner may change a photo (to re-wrap its key)");
    }
    const p = previous.body;
    const b = record.body;
    const same = p.album === b.album && p.uploader === b.uploader &&
      p.original.id === b.original.id &&
      p.meta.id === b.meta.id && p.thumb?.id === b.thumb?.id && p.dedup === b.dedup;
    if (!same) throw new ForbiddenError("a photo's album, uploader and blobs never change");
    if (b.epoch < p.epoch && !fromPeer) {
      throw new ForbiddenError("a photo's key is re-wrapped forward, up to the album's epoch");
    }
  },
};

export const tombstoneKind: RecordKind<TombstoneBody> = {
  kind: "tombstone",
  parseBody: bodyParser(TombstoneBody, "Tombstone"),
  authorize(record, previous, view, origin) {
    if (record.id !== `photo.${record.body.target}`) {
      throw new ValidationError("a tombstone's id is photo.<photo id>");
    }
    // From a browser, a photo of an album its author cannot see is as unknown as any other.
    const noSuchPhoto = new ForbiddenError("no such photo in that album");
    const hidden = origin.via !== "peer" &&
      albumRole(view, record.body.album, record.author) === undefined;
    if (hidden) throw noSuchPhoto;
    // Two deletions of one photo made at once on two nodes: both stay in the log.
    if (previous && origin.via !== "peer") throw new ForbiddenError("a deletion is final");
    const photo = view.get<PhotoBody>("photo", record.body.target);
    if (!photo || photo.body.album !== record.body.album) throw noSuchPhoto;
    const album = writableAlbum(view, record.body.album, record.author, origin);
    const role = albumRole(view, album.id, record.author);
    const uploaderMayDelete = record.author === photo.body.uploader && role === "contributor";
    if (role !== "owner" && !uploaderMayDelete) {
      throw new ForbiddenError("only the album's owner or the photo's uploader deletes a photo");
    }
  },
};

/**
 * An album's index shard (FORMAT §12.5): a cache that lets a browser order a large album
 * without decrypting every photo record. Written by whoever may add photos (owner,
 * contributors); browsers check it against the photo records, so a wrong one costs speed,
 * never a photo.
 */
export const albumIndexKind: RecordKind<AlbumIndexBody> = {
  kind: "album_index",
  parseBody: bodyParser(AlbumIndexBody, "Album index"),
  authorize(record, previous, view, origin) {
    if (record.id !== albumIndexId(record.body.album, record.body.shard)) {
      throw new ValidationError("an album index shard's id is <album>.<shard in hex>");
    }
    if (previous && previous.body.album !== record.body.album) {
      throw new ForbiddenError("an album index shard's album never changes");
    }
    const album = writableAlbum(view, record.body.album, record.author, origin);
    const fromPeer = origin.via === "peer";
    if (album.body.trashedAt !== null && !fromPeer) {
      throw new ForbiddenError("that album is in the trash");
    }
    const role = albumRole(view, album.id, record.author);
    if (!role || !CONTRIBUTES.has(role)) {
      throw new ForbiddenError("only the album's owner and contributors write its index");
    }
    // From a peer, an index sealed before the album's key moved on keeps its epoch.
    const epochOk = fromPeer
      ? record.body.epoch <= album.body.epoch
      : record.body.epoch === album.body.epoch;
    if (!epochOk) {
      throw new ForbiddenError(
        `an album index is sealed under the album's current key (epoch ${album.body.epoch})`,
      );
    }
  }, // Rewritten whole, often: only the version in force is kept (RecordKind.cache).
  cache: true,
};

/** Photos of an album that are not deleted. */
export function livePhotos(view: RecordView, albumId: string): TypedRecord<PhotoBody>[] {
  const dead = new Set(
    view.find<TombstoneBody>("tombstone", "album", albumId).map((t) => t.body.target),
  );
  return view.find<PhotoBody>("photo", "album", albumId).filter((p) => !dead.has(p.id));
}
