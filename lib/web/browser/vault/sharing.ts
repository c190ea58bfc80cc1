/**
 * Sharing an album (DESIGN §4): a grant wraps the album key of the current epoch for one
 * member, with a role; un-sharing starts a new epoch — a new album key, wrapped again for
 * everyone who keeps access, the old key kept inside the album document — and then re-wraps
 * every photo's file key under the new key (the blobs never change). Browser-compatible.
 *
 * @module
 */

import { fromBase64Url, newFileKey, type SignedRecord } from "../../../crypto/mod.ts";
import { AlbumKeys, docForNextEpoch, sealAlbumDoc } from "./album_keys.ts";
import { albumDetail, listPhotos, wrapKeyB64 } from "./albums.ts";
import { postRecords, type VaultDeps } from "./client.ts";
import { readFamilyNames } from "../family_admin.ts";
import { UNREADABLE_NAME } from "../family_keys.ts";
import { openFileKey, openSort, sealFileKey, sealSort } from "./photo_crypto.ts";
import type { AlbumBody, AlbumRole, GrantBody, GrantView, PhotoBody, PhotoView } from "./types.ts";

/** A family member, with the name this browser opened (FORMAT §14). */
export interface FamilyMember {
  key: string;
  /** The member's name, or a placeholder when this browser cannot open it. */
  name: string;
  role: string;
  removed: boolean;
  x25519: string;
}

/** Records per POST: the node's batch limit. */
export const BATCH = 200;

/** The family's members, their names opened with this member's family key. */
export async function familyMembers(deps: VaultDeps): Promise<FamilyMember[]> {
  const names = await readFamilyNames(deps);
  return names.answer.members.map((m) => ({
    key: m.key,
    name: names.members.get(m.key) ?? UNREADABLE_NAME,
    role: m.role,
    removed: m.removed,
    x25519: m.x25519,
  }));
}

/** Shares the album with `member` as `role`, or changes their role (a fresh grant either way). */
export async function shareAlbum(
  deps: VaultDeps,
  keys: AlbumKeys,
  member: Pick<FamilyMember, "key" | "x25519" | "name">,
  role: Exclude<AlbumRole, "owner">,
): Promise<void> {
  const body: GrantBody = {
    album: keys.albumId,
    member: member.key,
    role,
    epoch: keys.epoch,
    wrapped: await wrapKeyB64(keys.current, fromBase64Url(member.x25519)),
    revoked: false,
  };
  await postRecords(deps, [await deps.sign("grant", `${keys.albumId}.${member.key}`, body)]);
}

/** Grants still in force for members who are no longer in the family (they need a rotation). */
export function staleGrants(grants: GrantView[], members: FamilyMember[]): GrantView[] {
  const active = new Set(members.filter((m) => !m.removed).map((m) => m.key));
  return grants.filter((g) => !g.revoked && g.role !== "owner" && !active.has(g.member));
}

export interface RotationProgress {
  phase: "keys" | "photos" | "done";
  done: number;
  total: number;
}

/**
 * Un-shares: revokes the grants of `revoke` (and of anyone no longer in the family), starts
 * epoch + 1 with a new key wrapped for everyone else, all in one batch (album record first,
 * so the node checks the grants against the new epoch); then re-wraps the photos.
 */
export async function rotateAlbumKey(
  deps: VaultDeps,
  albumId: string,
  revoke: string[],
  onProgress: (p: RotationProgress) => void = () => {},
): Promise<AlbumKeys> {
  onProgress({ phase: "keys", done: 0, total: 1 });
  const detail = await albumDetail(deps, albumId);
  const view = detail.album;
  if (view.role !== "owner") throw new Error("Only the album's owner can un-share it.");
  const old = await AlbumKeys.open(view, deps.me.x25519SecretKey);
  const members = new Map((await familyMembers(deps)).map((m) => [m.key, m]));
  const epoch = view.epoch + 1;
  const key = newFileKey();
  const doc = docForNextEpoch(old.doc, old.epoch, old.current);
  const albumBody: AlbumBody = {
    ...view.record.body,
    epoch,
    meta: await sealAlbumDoc(doc, key),
  };
  const records: SignedRecord[] = [await deps.sign("album", albumId, albumBody)];
  const revoked = new Set(revoke);
  for (const g of detail.grants) {
    if (!g.record || g.revoked) continue;
    const member = members.get(g.member);
    const keep = g.member === deps.me.key ||
      (!revoked.has(g.member) && member !== undefined && !member.removed);
    const body: GrantBody = keep
      ? {
        ...g.record.body,
        epoch,
        wrapped: await wrapKeyB64(
          key,
          g.member === deps.me.key ? deps.me.x25519PublicKey : fromBase64Url(member!.x25519),
        ),
      }
      : { ...g.record.body, revoked: true };
    records.push(await deps.sign("grant", g.record.id, body, records.at(-1)));
  }
  if (records.length > BATCH) {
    throw new RangeError(`An album shared with more than ${BATCH - 1} members cannot rotate here`);
  }
  await postRecords(deps, records);
  const keys = new AlbumKeys(albumId, epoch, key, doc);
  await rewrapPhotos(deps, keys, await listPhotos(deps, albumId), onProgress);
  return keys;
}

/** Photos whose file key is still wrapped under an older epoch than the album's. */
export function photosBehind(photos: PhotoView[], epoch: number): PhotoView[] {
  return photos.filter((p) => p.epoch < epoch);
}

/**
 * Re-wraps each photo's file key (and its sort value) under the album's current key, in
 * batches; the owner signs. Safe to repeat after an interruption: photos already at the
 * current epoch are skipped, and older ones stay readable meanwhile through the document.
 */
export async function rewrapPhotos(
  deps: VaultDeps,
  keys: AlbumKeys,
  photos: PhotoView[],
  onProgress: (p: RotationProgress) => void = () => {},
): Promise<number> {
  const behind = photosBehind(photos, keys.epoch);
  onProgress({ phase: "photos", done: 0, total: behind.length });
  for (let i = 0; i < behind.length; i += BATCH) {
    const batch: SignedRecord[] = [];
    for (const p of behind.slice(i, i + BATCH)) {
      const old = keys.keyFor(p.epoch);
      const body: PhotoBody = {
        ...p.record.body,
        epoch: keys.epoch,
        key: await sealFileKey(keys.current, await openFileKey(old, p.key)),
        sort: await sealSort(keys.current, await openSort(old, p.sort)),
      };
      batch.push(await deps.sign("photo", p.id, body, batch.at(-1)));
    }
    await postRecords(deps, batch);
    onProgress({ phase: "photos", done: Math.min(i + BATCH, behind.length), total: behind.length });
  }
  onProgress({ phase: "done", done: behind.length, total: behind.length });
  return behind.length;
}
