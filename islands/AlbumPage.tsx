import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { isSignedOut, messageOf } from "../lib/web/browser/api.ts";
import { AlbumKeys } from "../lib/web/browser/vault/album_keys.ts";
import {
  albumDetail,
  albumNameProblem,
  deletePhoto,
  listPhotos,
  renameAlbum,
  setCover,
  setTrashed,
  trashDaysLeft,
} from "../lib/web/browser/vault/albums.ts";
import { countPhotos, daysLeftText } from "../lib/web/browser/vault/format.ts";
import { openSort } from "../lib/web/browser/vault/photo_crypto.ts";
import { writeAlbumIndex } from "../lib/web/browser/vault/album_index.ts";
import { allPhotos, checkTakenAt, firstPhotos } from "../lib/web/browser/vault/album_photos.ts";
import {
  byTakenAt,
  type LibraryPhoto,
  PhotoDecryptor,
} from "../lib/web/browser/vault/photo_library.ts";
import {
  type FamilyMember,
  familyMembers,
  photosBehind,
  rewrapPhotos,
} from "../lib/web/browser/vault/sharing.ts";
import type { AlbumRole, AlbumView, GrantView, PhotoView } from "../lib/web/browser/vault/types.ts";
import { useVault } from "../lib/web/browser/vault/ui/hooks.ts";
import { useViewerHash } from "../lib/web/browser/vault/ui/viewer_hash.ts";
import { PhotoGrid } from "../lib/web/browser/vault/ui/PhotoGrid.tsx";
import { PhotoViewer } from "../lib/web/browser/vault/ui/PhotoViewer.tsx";
import { SharePanel } from "../lib/web/browser/vault/ui/SharePanel.tsx";
import { UPLOAD_INPUT_ID, UploadPanel } from "../lib/web/browser/vault/ui/UploadPanel.tsx";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { downloadAlbum } from "../lib/web/browser/vault/album_download.ts";
import type { ZipProgress } from "../lib/web/browser/vault/zip_download.ts";
import { DownloadProgress } from "../lib/web/browser/vault/ui/DownloadProgress.tsx";
import { SignedOutAlert } from "../lib/web/browser/ui/SignedOutAlert.tsx";
// Rendered as a plain component inside this island (only in the browser, never nested markup).
import WhereStored from "./WhereStored.tsx";

interface Props {
  albumId: string;
  role: AlbumRole;
  trashed: boolean;
}

interface Loaded {
  view: AlbumView;
  keys: AlbumKeys;
  grants: GrantView[];
}

const ROLE_TEXT: Record<AlbumRole, string> = {
  owner: "Your album",
  contributor: "You can view and add",
  viewer: "You can view",
};

/**
 * One album: its name and photos decrypted in this browser, the grid, the viewer, adding
 * photos, and — for the owner — renaming, sharing, the cover and the trash.
 */
export default function AlbumPage({ albumId, role, trashed }: Props) {
  const vault = useVault();
  const deps = vault.deps;
  const [album, setAlbum] = useState<Loaded | undefined>();
  const [photos, setPhotos] = useState<LibraryPhoto[] | undefined>();
  const [members, setMembers] = useState<FamilyMember[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [signedOut, setSignedOut] = useState(false);
  const [renaming, setRenaming] = useState<string | undefined>();
  const [sharing, setSharing] = useState(false);
  const [confirmTrash, setConfirmTrash] = useState(false);
  const [busy, setBusy] = useState(false);
  const [whereOpen, setWhereOpen] = useState(false);
  /** True while only the first photos (from the album index) are listed. */
  const [partial, setPartial] = useState(false);
  const [download, setDownload] = useState<
    { progress: ZipProgress; stop: AbortController; done?: boolean } | undefined
  >();
  /** The complete, checked list, for writing the album index after a change. */
  const complete = useRef<LibraryPhoto[] | undefined>(undefined);
  const decryptorRef = useRef<PhotoDecryptor | undefined>(undefined);
  const indexTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const fail = (err: unknown) => {
    if (isSignedOut(err)) setSignedOut(true);
    else setError(messageOf(err));
  };

  const loadAlbum = async (): Promise<Loaded | undefined> => {
    if (!deps) return;
    try {
      const detail = await albumDetail(deps, albumId);
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
  /** Whoever may add photos keeps the album index (FORMAT §12.5) up to date. */
  const mayWriteIndex = (a: Loaded) =>
    (a.view.role === "owner" || a.view.role === "contributor") && a.view.trashedAt === null;
  const writeIndex = (
    a: Loaded,
    list: LibraryPhoto[],
    current?: Parameters<
      typeof writeAlbumIndex
    >[3],
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

  const loadPhotos = async (a: Loaded) => {
    if (!deps) return;
    const keys = a.keys;
    try {
      // The album index orders the album at once; only the first photos' records are fetched.
      const fast = await firstPhotos(deps, keys).catch(() => undefined);
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
  useEffect(() => {
    if (!deps) return;
    familyMembers(deps).then(setMembers, () => {});
    loadAlbum().then((a) => a && loadPhotos(a));
  }, [deps]);
  useEffect(() => () => clearTimeout(indexTimer.current), []);

  // Same epoch, same keys (a rename only changes the name): keep the decrypted thumbnails.
  const decryptor = useMemo(
    () => (album && deps ? new PhotoDecryptor(album.keys, deps.fetch) : undefined),
    [album?.keys.epoch, deps],
  );
  decryptorRef.current = decryptor;
  useEffect(() => () => decryptor?.dispose(), [decryptor]);
  const { open, show, close } = useViewerHash(photos);
  // One set for the page's lifetime: the upload queue keeps a reference to it.
  const existing = useRef(new Set<string>()).current;
  useEffect(() => {
    existing.clear();
    for (const p of photos ?? []) existing.add(p.view.dedup);
  }, [photos]);

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

  const startDownload = async () => {
    if (!deps || !album || !photos || download) return;
    const stop = new AbortController();
    const start = { files: 0, totalFiles: photos.length, bytes: 0, totalBytes: 0 };
    setDownload({ progress: start, stop });
    setError(undefined);
    try {
      await downloadAlbum(deps, album.keys, photos, {
        signal: stop.signal,
        onProgress: (progress) => setDownload({ progress, stop }),
      });
      setDownload((d) => d && { ...d, done: true });
    } catch (err) {
      setDownload(undefined);
      if (!stop.signal.aborted) fail(err);
    }
  };

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

      {album && photos && photos.length > 0 && !partial && (
        <div class="album-download">
          {download
            ? (
              <>
                <DownloadProgress
                  progress={download.progress}
                  label={download.done ? "Downloaded:" : "Downloading the originals:"}
                  onCancel={download.done ? undefined : () => {
                    download.stop.abort();
                    setDownload(undefined);
                  }}
                />
                {download.done && (
                  <p class="muted small">
                    The zip holds every photo as it was uploaded, with its file name and date.
                  </p>
                )}
              </>
            )
            : (
              <button type="button" class="btn" onClick={startDownload}>
                Download album (.zip)
              </button>
            )}
        </div>
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
        <details
          class="card album-where"
          onToggle={(e) => setWhereOpen((e.target as HTMLDetailsElement).open)}
        >
          <summary>Where this album is stored</summary>
          {whereOpen && (
            <WhereStored
              mode="album"
              blobIds={photos.flatMap((p) =>
                p.view.thumb ? [p.view.original.id, p.view.thumb.id] : [p.view.original.id]
              )}
            />
          )}
        </details>
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
            const rest = photos.filter((x) => x.view.id !== p.view.id);
            setPhotos(rest);
            if (complete.current) {
              complete.current = complete.current.filter((x) =>
                x.view.id !== p.view.id
              );
              writeIndexSoon();
            }
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
