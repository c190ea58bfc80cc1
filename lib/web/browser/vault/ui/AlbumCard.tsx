/**
 * One album in the albums grid: its cover (the chosen photo, else any photo) decrypted in the
 * browser, its name, photo count and the member's role. Browser-compatible.
 *
 * @module
 */

import { useEffect, useState } from "preact/hooks";
import type { OpenedAlbum } from "../albums.ts";
import type { VaultDeps } from "../client.ts";
import { countPhotos } from "../format.ts";
import { PhotoDecryptor } from "../photo_library.ts";
import type { PhotosPage, PhotoView } from "../types.ts";

const ROLE_TEXT = {
  owner: "Yours",
  contributor: "Shared with you · can add",
  viewer: "Shared with you · view only",
} as const;

/** The cover photo's decrypted thumbnail URL (chosen cover, else the first photo listed). */
function useCover(deps: VaultDeps, album: OpenedAlbum): string | null | undefined {
  const [url, setUrl] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    const { view, keys } = album;
    if (!keys || view.photoCount === 0) {
      setUrl(null);
      return;
    }
    let decryptor: PhotoDecryptor | undefined;
    let live = true;
    (async () => {
      let photo: PhotoView | undefined;
      if (view.cover) {
        photo = await deps.call<{ photo: PhotoView }>("GET", `/v1/photos/${view.cover}`)
          .then((r) => r.photo, () => undefined);
      }
      photo ??= (await deps.call<PhotosPage>(
        "GET",
        `/v1/albums/${encodeURIComponent(view.id)}/photos?limit=1`,
      )).photos[0];
      if (!photo) return null;
      decryptor = new PhotoDecryptor(keys, deps.fetch, { thumbs: 1, batch: false });
      return await decryptor.thumbUrl(photo);
    })().then((u) => live && setUrl(u), () => live && setUrl(null));
    return () => {
      live = false;
      decryptor?.dispose();
    };
  }, [album.view.id, album.view.cover, album.keys]);
  return url;
}

export function AlbumCard(
  { deps, album, ownerName }: { deps: VaultDeps; album: OpenedAlbum; ownerName?: string },
) {
  const cover = useCover(deps, album);
  const { view, keys } = album;
  const name = keys?.name ?? "Locked album";
  return (
    <a class="album-card" href={`/albums/${view.id}`} data-album={view.id}>
      <div class={cover === undefined ? "album-cover shimmer" : "album-cover"}>
        {cover
          ? <img src={cover} alt="" decoding="async" />
          : cover === null && (
            <span class="album-cover-empty" aria-hidden="true">
              {keys ? name.slice(0, 1).toUpperCase() : "🔒"}
            </span>
          )}
      </div>
      <div class="album-card-body">
        <h3 class="album-name">{name}</h3>
        <p class="muted small">
          {countPhotos(view.photoCount)} ·{" "}
          {view.role === "owner" ? ROLE_TEXT.owner : `${ROLE_TEXT[view.role]}`}
          {view.role !== "owner" && ownerName ? ` by ${ownerName}` : ""}
        </p>
        {album.error && <p class="small album-card-error">{album.error}</p>}
      </div>
    </a>
  );
}

/** Placeholder cards while albums decrypt (also the server-rendered skeleton). */
export function AlbumCardsSkeleton({ count = 3 }: { count?: number }) {
  return (
    <div class="album-grid" aria-busy="true" aria-label="Loading albums">
      {Array.from({ length: count }, (_, i) => (
        <div class="album-card album-card-skeleton" key={i}>
          <div class="album-cover shimmer" />
          <div class="album-card-body">
            <span class="skeleton-line" />
            <span class="skeleton-line skeleton-short" />
          </div>
        </div>
      ))}
    </div>
  );
}
