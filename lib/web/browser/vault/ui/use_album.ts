/**
 * The album page's data: the album and its keys, its photos decrypted in order (first from
 * the album index, then the complete checked list), the thumbnails' decryptor, and the album
 * index kept up to date after changes (FORMAT §12.5). islands/AlbumPage.tsx renders it.
 * Browser-compatible: effects run only in the browser.
 *
 * @module
 */

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { AlbumKeys } from "../album_keys.ts";
import { fetchIndexShards, type IndexShardRecord, writeAlbumIndex } from "../album_index.ts";
import { allPhotos, checkTakenAt, firstPhotos } from "../album_photos.ts";
import { albumDetail } from "../albums.ts";
import type { VaultDeps } from "../client.ts";
import { openSort } from "../photo_crypto.ts";
import { byTakenAt, type LibraryPhoto, PhotoDecryptor } from "../photo_library.ts";
import { type FamilyMember, familyMembers } from "../sharing.ts";
import type { AlbumDetail, AlbumView, GrantView, PhotoView } from "../types.ts";
import { api } from "../../api.ts";

export interface LoadedAlbum {
  view: AlbumView;
  keys: AlbumKeys;
  grants: GrantView[];
}

/** Whoever may add photos keeps the album index up to date. */
const mayWriteIndex = (a: LoadedAlbum) =>
  (a.view.role === "owner" || a.view.role === "contributor") && a.view.trashedAt === null;

/**
 * Loads album `albumId` once `deps` are there; `fail` is told what goes wrong. `photos` is
 * undefined until listed; `partial` while only the first photos (from the index) are listed.
 */
export function useAlbum(
  deps: VaultDeps | undefined,
  albumId: string,
  fail: (err: unknown) => void,
) {
  const [album, setAlbum] = useState<LoadedAlbum | undefined>();
  const [photos, setPhotos] = useState<LibraryPhoto[] | undefined>();
  const [members, setMembers] = useState<FamilyMember[]>([]);
  const [partial, setPartial] = useState(false);
  /** The complete, checked list, for writing the album index after a change. */
  const complete = useRef<LibraryPhoto[] | undefined>(undefined);
  const decryptorRef = useRef<PhotoDecryptor | undefined>(undefined);
  const indexTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  /** `asked`: the album's detail when it was asked for already (at mount). */
  const loadAlbum = async (asked?: Promise<AlbumDetail>): Promise<LoadedAlbum | undefined> => {
    if (!deps) return;
    try {
      const detail = await (asked ?? albumDetail(deps, albumId));
      const keys = await AlbumKeys.open(detail.album, deps.me.x25519SecretKey);
      const loaded = { view: detail.album, keys, grants: detail.grants };
      performance.mark("p2pos:album-keys"); // bench/album_page.ts reads these marks
      setAlbum(loaded);
      document.title = `${keys.name} · p2pos`;
      return loaded;
    } catch (err) {
      fail(err);
    }
  };
  const writeIndex = (
    a: LoadedAlbum,
    list: LibraryPhoto[],
    current?: Parameters<typeof writeAlbumIndex>[3],
  ) =>
    deps && mayWriteIndex(a)
      ? writeAlbumIndex(
        deps,
        a.keys,
        list.map((p) => ({ id: p.view.id, takenAt: p.takenAt })),
        current,
      )
        .catch(() => {}) // only a cache: the next visit tries again
      : undefined;
  /** After uploads and deletions: one index write once things are quiet. */
  const writeIndexSoon = () => {
    clearTimeout(indexTimer.current);
    indexTimer.current = setTimeout(() => {
      if (album && complete.current) writeIndex(album, complete.current);
    }, 1500);
  };

  /** `shards`: the album index's records when they were asked for already. */
  const loadPhotos = async (a: LoadedAlbum, shards?: Promise<IndexShardRecord[]>) => {
    if (!deps) return;
    const keys = a.keys;
    try {
      // The album index orders the album at once; only the first photos' records are fetched.
      const fast = await firstPhotos(deps, keys, 120, shards).catch(() => undefined);
      if (fast && fast.photos.length > 0) {
        setPhotos(fast.photos);
        setPartial(fast.total > fast.photos.length);
        performance.mark("p2pos:photos-first"); // bench/album_page.ts reads these marks
        // The first screen of thumbnails goes first; the rest of the album is listed after it.
        const d = decryptorRef.current;
        if (d) await Promise.allSettled(fast.photos.slice(0, 60).map((p) => d.thumbUrl(p.view)));
      }
      const all = await allPhotos(deps, keys, fast?.index);
      performance.mark("p2pos:photos-listed");
      complete.current = all.photos;
      setPhotos(all.photos);
      setPartial(false);
      performance.mark("p2pos:photos-ordered");
      let list = all.photos;
      let stale = all.stale;
      if (fast) {
        // Dates read from the index are checked against the signed records, off the path.
        const checked = await checkTakenAt(keys, list);
        if (checked.differed) {
          stale = true;
          list = checked.photos;
          complete.current = list;
          setPhotos(list);
        }
      }
      if (stale) await writeIndex(a, list, fast?.index);
    } catch (err) {
      fail(err);
    }
  };
  // The album and its index are asked for at mount, while the member's key is unsealed
  // (IndexedDB, key derivation): neither request needs the key, only the session, and the
  // first screen waits for both. The first load takes them; later loads ask again.
  const early = useRef<
    { detail: Promise<AlbumDetail>; shards: Promise<IndexShardRecord[]> } | undefined
  >(undefined);
  useEffect(() => {
    const session = { call: api };
    const asked = {
      detail: albumDetail(session, albumId),
      shards: fetchIndexShards(session, albumId),
    };
    // Failures surface when the first load takes them (an album without an index is listed).
    asked.detail.catch(() => {});
    asked.shards.catch(() => {});
    early.current = asked;
  }, []);
  useEffect(() => {
    if (!deps) return;
    familyMembers(deps).then(setMembers, () => {});
    const asked = early.current;
    early.current = undefined;
    const shards = asked?.shards ?? fetchIndexShards(deps, albumId);
    shards.catch(() => {});
    loadAlbum(asked?.detail).then((a) => a && loadPhotos(a, shards));
  }, [deps]);
  useEffect(() => () => clearTimeout(indexTimer.current), []);

  // Same epoch, same keys (a rename only changes the name): keep the decrypted thumbnails.
  const decryptor = useMemo(
    () => (album && deps ? new PhotoDecryptor(album.keys, deps.fetch) : undefined),
    [album?.keys.epoch, deps],
  );
  decryptorRef.current = decryptor;
  useEffect(() => () => decryptor?.dispose(), [decryptor]);

  /** A photo uploaded here: listed in order, and the index rewritten soon. */
  const added = async (photoId: string) => {
    if (!deps || !album) return;
    try {
      const { photo } = await deps.call<{ photo: PhotoView }>("GET", `/v1/photos/${photoId}`);
      const takenAt = await openSort(album.keys.keyFor(photo.epoch), photo.sort).catch(() => 0);
      setPhotos((list) => {
        if (!list || list.some((p) => p.view.id === photo.id)) return list;
        const next = [...list, { view: photo, takenAt }].sort(byTakenAt);
        if (complete.current) complete.current = next;
        return next;
      });
      writeIndexSoon();
    } catch (err) {
      fail(err);
    }
  };

  /** A photo deleted here: unlisted, and the index rewritten soon. Returns the rest. */
  const removed = (photoId: string): LibraryPhoto[] => {
    const rest = (photos ?? []).filter((x) => x.view.id !== photoId);
    setPhotos(rest);
    if (complete.current) {
      complete.current = complete.current.filter((x) => x.view.id !== photoId);
      writeIndexSoon();
    }
    return rest;
  };

  return {
    album,
    photos,
    partial,
    members,
    decryptor,
    loadAlbum,
    loadPhotos,
    added,
    removed,
  };
}
