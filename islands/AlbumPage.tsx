import { useEffect, useRef, useState } from "preact/hooks";
import { isSignedOut, messageOf } from "../lib/web/browser/api.ts";
import {
  albumNameProblem,
  deletePhoto,
  listPhotos,
  renameAlbum,
  setCover,
  setTrashed,
  trashDaysLeft,
} from "../lib/web/browser/vault/albums.ts";
import { countPhotos, daysLeftText } from "../lib/web/browser/vault/format.ts";
import { photosBehind, rewrapPhotos } from "../lib/web/browser/vault/sharing.ts";
import type { AlbumRole } from "../lib/web/browser/vault/types.ts";
import { useVault } from "../lib/web/browser/vault/ui/hooks.ts";
import { useAlbum } from "../lib/web/browser/vault/ui/use_album.ts";
import { useViewerHash } from "../lib/web/browser/vault/ui/viewer_hash.ts";
import { AlbumDownload } from "../lib/web/browser/vault/ui/AlbumDownload.tsx";
import { AlbumWhere } from "../lib/web/browser/vault/ui/AlbumWhere.tsx";
import { PhotoGrid } from "../lib/web/browser/vault/ui/PhotoGrid.tsx";
import { PhotoViewer } from "../lib/web/browser/vault/ui/PhotoViewer.tsx";
import { SharePanel } from "../lib/web/browser/vault/ui/SharePanel.tsx";
import { UPLOAD_INPUT_ID, UploadPanel } from "../lib/web/browser/vault/ui/UploadPanel.tsx";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { SignedOutAlert } from "../lib/web/browser/ui/SignedOutAlert.tsx";
// Rendered as a plain component inside this island (only in the browser, never nested markup).
import WhereStored from "./WhereStored.tsx";

interface Props {
  albumId: string;
  role: AlbumRole;
  trashed: boolean;
}

const ROLE_TEXT: Record<AlbumRole, string> = {
  owner: "Your album",
  contributor: "You can view and add",
  viewer: "You can view",
};

/**
 * One album: its name and photos decrypted in this browser (loaded by useAlbum), the grid,
 * the viewer, adding photos, downloading them, where they are stored, and — for the owner —
 * renaming, sharing, the cover and the trash.
 */
export default function AlbumPage({ albumId, role, trashed }: Props) {
  const vault = useVault();
  const deps = vault.deps;
  const [error, setError] = useState<string | undefined>();
  const [signedOut, setSignedOut] = useState(false);
  const [renaming, setRenaming] = useState<string | undefined>();
  const [sharing, setSharing] = useState(false);
  const [confirmTrash, setConfirmTrash] = useState(false);
  const [busy, setBusy] = useState(false);

  const fail = (err: unknown) => {
    if (isSignedOut(err)) setSignedOut(true);
    else setError(messageOf(err));
  };
  const { album, photos, partial, members, decryptor, loadAlbum, loadPhotos, added, removed } =
    useAlbum(deps, albumId, fail);
  const { open, show, close } = useViewerHash(photos);
  // One set for the page's lifetime: the upload queue keeps a reference to it.
  const existing = useRef(new Set<string>()).current;
  useEffect(() => {
    existing.clear();
    for (const p of photos ?? []) existing.add(p.view.dedup);
  }, [photos]);

  if (vault.signedOut || signedOut) return <SignedOutAlert />;

  const isOwner = role === "owner";
  const view = album?.view;
  const inTrash = view ? view.trashedAt !== null : trashed;
  const canUpload = (role === "owner" || role === "contributor") && !inTrash;
  const count = partial ? view?.photoCount : photos?.length ?? view?.photoCount;
  const shared = album?.grants.filter((g) => !g.revoked && g.role !== "owner").length ?? 0;
  const behind = photos && view ? photosBehind(photos.map((p) => p.view), view.epoch).length : 0;
  const names = new Map(members.map((m) => [m.key, m.name]));

  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };
  const saveName = (e: Event) => {
    e.preventDefault();
    const problem = albumNameProblem(renaming ?? "");
    if (problem) return setError(problem);
    act(async () => {
      await renameAlbum(deps!, view!, album!.keys, renaming!);
      setRenaming(undefined);
      await loadAlbum();
    });
  };

  return (
    <div class="album-page">
      <header class="album-head">
        <div class="album-title">
          <p class="eyebrow">
            <a href="/albums">Albums</a>
          </p>
          {renaming !== undefined
            ? (
              <form class="rename-form" onSubmit={saveName}>
                <label for="rename-album" class="sr-only">Album name</label>
                <input
                  id="rename-album"
                  value={renaming}
                  maxLength={120}
                  autoFocus
                  onInput={(e) => setRenaming((e.target as HTMLInputElement).value)}
                />
                <button type="submit" class="btn btn-primary" disabled={busy}>Save</button>
                <button type="button" class="btn" onClick={() => setRenaming(undefined)}>
                  Cancel
                </button>
              </form>
            )
            : album
            ? <h1 class="album-name-heading">{album.keys.name}</h1>
            : <h1 class="skeleton-line skeleton-title" aria-label="Decrypting the album name" />}
          <p class="muted album-meta">
            {count === undefined ? "Decrypting…" : countPhotos(count)} · {ROLE_TEXT[role]}
            {isOwner && album && (shared > 0
              ? ` · shared with ${shared} ${shared === 1 ? "person" : "people"}`
              : " · not shared")}
          </p>
        </div>
        {album && !inTrash && (
          <div class="btn-row album-actions">
            {canUpload && <label for={UPLOAD_INPUT_ID} class="btn btn-primary">Add photos</label>}
            {isOwner && (
              <button
                type="button"
                class="btn"
                aria-expanded={sharing}
                aria-controls="album-sharing"
                onClick={() => setSharing(!sharing)}
              >
                Share…
              </button>
            )}
            {isOwner && renaming === undefined && (
              <button
                type="button"
                class="btn"
                onClick={() => setRenaming(album.keys.name)}
              >
                Rename
              </button>
            )}
            {isOwner && (
              <button
                type="button"
                class="btn btn-danger"
                onClick={() => setConfirmTrash(true)}
              >
                Move to trash
              </button>
            )}
          </div>
        )}
      </header>

      <ErrorAlert message={vault.error ?? error} />

      {album && deps && photos && photos.length > 0 && !partial && (
        <AlbumDownload
          deps={deps}
          keys={album.keys}
          photos={photos}
          onStart={() => setError(undefined)}
          onError={fail}
        />
      )}

      {confirmTrash && view && (
        <div class="confirm-panel" role="group" aria-label="Move to trash">
          <p>
            <strong>Move “{album!.keys.name}” to the trash?</strong>
          </p>
          <p class="muted small">
            It leaves everyone's album list. You can restore it for 30 days; after that it is
            deleted for good on every node.
          </p>
          <div class="btn-row">
            <button
              type="button"
              class="btn btn-danger"
              disabled={busy}
              onClick={() =>
                act(async () => {
                  await setTrashed(deps!, view, true);
                  setConfirmTrash(false);
                  await loadAlbum();
                })}
            >
              Move to trash
            </button>
            <button
              type="button"
              class="btn"
              onClick={() => setConfirmTrash(false)}
            >
              Cancel
            </button>
          </div>
        </div>
      )}

      {inTrash && view && (
        <div class="alert alert-warn trash-banner" role="status">
          <strong>This album is in the trash.</strong> It will be deleted for good{" "}
          {daysLeftText(trashDaysLeft(view.purgeAt!, Date.now()))}.
          {isOwner && (
            <div class="btn-row">
              <button
                type="button"
                class="btn btn-small"
                disabled={busy}
                onClick={() =>
                  act(async () => {
                    await setTrashed(deps!, view, false);
                    await loadAlbum();
                  })}
              >
                Restore album
              </button>
            </div>
          )}
        </div>
      )}

      {sharing && album && deps && isOwner && (
        <section class="card" id="album-sharing" aria-labelledby="sharing-title">
          <h2 id="sharing-title">Sharing</h2>
          <SharePanel
            deps={deps}
            keys={album.keys}
            grants={album.grants}
            members={members}
            behind={behind}
            onChanged={async () => {
              const a = await loadAlbum();
              if (a) {
                await loadPhotos(a);
              }
            }}
            onRewrap={async (progress) => {
              const a = await loadAlbum();
              if (!a) {
                return;
              }
              await rewrapPhotos(deps, a.keys, await listPhotos(deps, albumId), progress);
              await loadPhotos(a);
            }}
          />
        </section>
      )}

      {canUpload && album && deps && !partial && (
        <UploadPanel deps={deps} keys={album.keys} existing={existing} onUploaded={added} />
      )}

      {photos && decryptor
        ? photos.length === 0
          ? (
            <div class="card empty">
              <h2>No photos yet</h2>
              <p>
                {canUpload
                  ? "Add photos and videos: they are encrypted in this browser, then uploaded."
                  : "Nobody has added photos to this album yet."}
              </p>
            </div>
          )
          : <PhotoGrid photos={photos} decryptor={decryptor} onOpen={show} />
        : <GridSkeleton count={Math.min(view?.photoCount ?? 12, 24)} />}

      {photos && photos.length > 0 && !partial && (
        <AlbumWhere
          photos={photos}
          render={(blobIds) => <WhereStored mode="album" blobIds={blobIds} />}
        />
      )}

      {open !== undefined && photos?.[open] && decryptor && (
        <PhotoViewer
          photos={photos}
          index={open}
          decryptor={decryptor}
          names={names}
          isOwner={isOwner}
          coverId={view?.cover ?? null}
          canDelete={(p) =>
            isOwner || (role === "contributor" && p.view.record.body.uploader === deps?.me.key)}
          onIndex={show}
          onClose={close}
          onCover={async (p) => {
            await setCover(deps!, view!, p.view.id);
            await loadAlbum();
          }}
          onDelete={async (p) => {
            await deletePhoto(deps!, albumId, p.view.id);
            const rest = removed(p.view.id);
            if (rest.length === 0) {
              close();
            } else show(Math.min(open, rest.length - 1), rest);
            if (view?.cover === p.view.id) {
              await loadAlbum();
            }
          }}
          whereStored={(ids) => <WhereStored blobIds={ids} />}
        />
      )}
    </div>
  );
}

/** Grey tiles the size of the album while it decrypts (also what the server renders). */
function GridSkeleton({ count }: { count: number }) {
  return (
    <div class="grid photo-grid" aria-busy="true" aria-label="Decrypting photos">
      {Array.from({ length: Math.max(count, 0) }, (_, i) => <div class="tile shimmer" key={i} />)}
    </div>
  );
}
