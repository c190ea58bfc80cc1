/**
 * Albums from the browser's side (DESIGN §4, seed §13): list and open them (unwrap the
 * member's key, read the encrypted document), create, rename, set the cover, move to the
 * trash and back, list photos, delete a photo. Every change is a new signed record version.
 * Browser-compatible: talks to the node only through {@link VaultDeps}.
 *
 * @module
 */

import { newFileKey, toBase64Url, wrapKey } from "../../../crypto/mod.ts";
import { AlbumKeys, newAlbumDoc, sealAlbumDoc } from "./album_keys.ts";
import { postRecords, type VaultDeps } from "./client.ts";
import { randomId } from "../records.ts";
import type {
  AlbumBody,
  AlbumDetail,
  AlbumView,
  GrantBody,
  PhotosPage,
  PhotoView,
  TombstoneBody,
} from "./types.ts";

/** Days a trashed album stays restorable (lib/vault/album_kinds.ts TRASH_DAYS). */
export const TRASH_DAYS = 30;
const DAY = 24 * 3600_000;

/** An album with its keys opened, or the reason they could not be. */
export interface OpenedAlbum {
  view: AlbumView;
  keys?: AlbumKeys;
  error?: string;
}

/** Checks an album name a person typed; returns the message to show, or undefined. */
export function albumNameProblem(name: string): string | undefined {
  const t = name.trim();
  if (t === "") return "Give the album a name.";
  if (t.length > 120) return "Keep the name under 120 characters.";
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(t)) return "The name cannot contain control characters.";
  return undefined;
}

/** Whole days left before a trashed album is deleted for good (0 when due). */
export function trashDaysLeft(purgeAt: number, now: number): number {
  return Math.max(0, Math.ceil((purgeAt - now) / DAY));
}

export async function openAlbum(deps: VaultDeps, view: AlbumView): Promise<OpenedAlbum> {
  try {
    return { view, keys: await AlbumKeys.open(view, deps.me.x25519SecretKey) };
  } catch (err) {
    return { view, error: (err as Error).message };
  }
}

/** Every album the member may see (trashed ones too), keys opened. */
export async function listAlbums(deps: VaultDeps): Promise<OpenedAlbum[]> {
  const { albums } = await deps.call<{ albums: AlbumView[] }>("GET", "/v1/albums");
  return await Promise.all(albums.map((a) => openAlbum(deps, a)));
}

export async function albumDetail(
  deps: Pick<VaultDeps, "call">,
  id: string,
): Promise<AlbumDetail> {
  return await deps.call<AlbumDetail>("GET", `/v1/albums/${encodeURIComponent(id)}`);
}

/** All live photos of an album, every page, in the node's (id) order. */
export async function listPhotos(
  deps: VaultDeps,
  albumId: string,
  onPage?: (photos: PhotoView[]) => void,
): Promise<PhotoView[]> {
  const all: PhotoView[] = [];
  let after = "";
  for (;;) {
    const q = new URLSearchParams({ after, limit: "1000" });
    const page = await deps.call<PhotosPage>(
      "GET",
      `/v1/albums/${encodeURIComponent(albumId)}/photos?${q}`,
    );
    all.push(...page.photos);
    onPage?.(page.photos);
    if (!page.next) return all;
    after = page.next;
  }
}

/** Creates an album owned by the member: the album record plus the owner's own grant. */
export async function createAlbum(deps: VaultDeps, name: string): Promise<OpenedAlbum> {
  const problem = albumNameProblem(name);
  if (problem) throw new RangeError(problem);
  const key = newFileKey();
  const doc = newAlbumDoc(name.trim(), deps.now());
  const id = randomId();
  const album = await deps.sign<AlbumBody>("album", id, {
    owner: deps.me.key,
    epoch: 0,
    meta: await sealAlbumDoc(doc, key),
    cover: null,
    trashedAt: null,
  });
  const grant = await deps.sign<GrantBody>("grant", `${id}.${deps.me.key}`, {
    album: id,
    member: deps.me.key,
    role: "owner",
    epoch: 0,
    wrapped: await wrapKeyB64(key, deps.me.x25519PublicKey),
    revoked: false,
  }, album);
  const res = await deps.call<{ album: AlbumView }>("POST", "/v1/albums", {
    records: [album, grant],
  });
  return { view: res.album, keys: new AlbumKeys(id, 0, key, doc) };
}

/** Signs and stores a new version of the album record with `change` applied. */
export async function updateAlbum(
  deps: VaultDeps,
  view: AlbumView,
  change: Partial<AlbumBody>,
): Promise<void> {
  const body: AlbumBody = { ...view.record.body, ...change };
  await postRecords(deps, [await deps.sign("album", view.id, body)]);
}

export async function renameAlbum(
  deps: VaultDeps,
  view: AlbumView,
  keys: AlbumKeys,
  name: string,
): Promise<void> {
  const problem = albumNameProblem(name);
  if (problem) throw new RangeError(problem);
  const meta = await sealAlbumDoc({ ...keys.doc, name: name.trim() }, keys.current);
  await updateAlbum(deps, view, { meta });
}

/** Moves to the trash (restorable for {@link TRASH_DAYS} days) or restores. */
export async function setTrashed(deps: VaultDeps, view: AlbumView, trashed: boolean) {
  await updateAlbum(deps, view, { trashedAt: trashed ? deps.now() : null });
}

export async function setCover(deps: VaultDeps, view: AlbumView, photoId: string | null) {
  await updateAlbum(deps, view, { cover: photoId });
}

/** Deletes a photo for everyone: a tombstone (by the owner, or by its contributing uploader). */
export async function deletePhoto(deps: VaultDeps, albumId: string, photoId: string) {
  const body: TombstoneBody = { kind: "photo", target: photoId, album: albumId };
  await postRecords(deps, [await deps.sign("tombstone", `photo.${photoId}`, body)]);
}

/** An album key wrapped for a member's X25519 key (FORMAT §5), base64url for a grant. */
export async function wrapKeyB64(key: Uint8Array, x25519PublicKey: Uint8Array): Promise<string> {
  return toBase64Url(await wrapKey(key, x25519PublicKey));
}
