/**
 * The photo viewer: the full original decrypted in this browser (its thumbnail meanwhile),
 * ← / → / Esc, a details panel from the encrypted metadata, download of the original under
 * its own file name, videos played after decryption. Browser-only.
 *
 * @module
 */

import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { messageOf } from "../../api.ts";
import { ErrorAlert } from "../../ui/ErrorAlert.tsx";
import { formatBytes, formatPlace, formatTakenAt, mapUrl, safeFilename } from "../format.ts";
import type { LibraryPhoto, OriginalFile, PhotoDecryptor } from "../photo_library.ts";
import type { PhotoMeta } from "../types.ts";

const ORIENTATION: Record<number, string> = {
  1: "Normal",
  2: "Mirrored",
  3: "Rotated 180°",
  4: "Mirrored, rotated 180°",
  5: "Mirrored, rotated 90°",
  6: "Rotated 90° clockwise",
  7: "Mirrored, rotated 270°",
  8: "Rotated 90° anticlockwise",
};

export interface PhotoViewerProps {
  photos: LibraryPhoto[];
  index: number;
  decryptor: PhotoDecryptor;
  /** Member key → name. */
  names: Map<string, string>;
  isOwner: boolean;
  coverId: string | null;
  canDelete(photo: LibraryPhoto): boolean;
  onIndex(index: number): void;
  onClose(): void;
  onDelete(photo: LibraryPhoto): Promise<void>;
  onCover(photo: LibraryPhoto): Promise<void>;
  /** A link to the photo in its album (the timeline shows photos of many albums). */
  albumLink?: (photo: LibraryPhoto) => string;
  /** Replication status for these blob ids (islands/WhereStored), when the page provides it. */
  whereStored?: (blobIds: string[]) => ComponentChildren;
}

export function PhotoViewer(props: PhotoViewerProps) {
  const { photos, index, decryptor } = props;
  const photo = photos[index];
  const [meta, setMeta] = useState<PhotoMeta | undefined>();
  const [thumb, setThumb] = useState<string | null | undefined>();
  const [original, setOriginal] = useState<OriginalFile | undefined>();
  const [received, setReceived] = useState(0);
  const [error, setError] = useState<string | undefined>();
  const [cannotShow, setCannotShow] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [busy, setBusy] = useState<"delete" | "cover" | undefined>();
  const dialog = useRef<HTMLDivElement>(null);

  // Focus moves into the viewer and back to where it was; the page behind does not scroll.
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    dialog.current?.focus();
    document.body.classList.add("viewer-open");
    return () => {
      document.body.classList.remove("viewer-open");
      before?.focus?.();
    };
  }, []);

  // Keys are read through a ref: two presses can come faster than effects re-run, and each
  // must move from where the previous one left the viewer.
  const latest = useRef(props);
  latest.current = props;
  useEffect(() => {
    const key = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target?.closest("input, textarea, select, video")) return;
      const { index: i, photos: list, onIndex, onClose } = latest.current;
      if (e.key === "ArrowLeft" && i > 0) onIndex(i - 1);
      else if (e.key === "ArrowRight" && i < list.length - 1) onIndex(i + 1);
      else if (e.key === "Escape") onClose();
      else return;
      e.preventDefault();
    };
    addEventListener("keydown", key);
    return () => removeEventListener("keydown", key);
  }, []);

  useEffect(() => {
    const ac = new AbortController();
    let live = true;
    setMeta(undefined);
    setOriginal(undefined);
    setReceived(0);
    setError(undefined);
    setCannotShow(false);
    setConfirmDelete(false);
    setThumb(decryptor.cachedThumb(photo.view.id));
    decryptor.thumbUrl(photo.view).then((u) => live && setThumb(u), () => {});
    decryptor.meta(photo.view).then((m) => live && setMeta(m), () => {});
    decryptor.original(photo.view, {
      signal: ac.signal,
      onProgress: (n) => live && setReceived(n),
    }).then(
      (o) => live && setOriginal(o),
      (err) => live && !ac.signal.aborted && setError(messageOf(err)),
    );
    // The neighbours' previews, so stepping through feels instant.
    for (const n of [photos[index + 1], photos[index - 1]]) {
      if (n) decryptor.thumbUrl(n.view).catch(() => {});
    }
    return () => {
      live = false;
      ac.abort();
    };
  }, [photo.view.id]);

  const type = original?.meta.type ?? meta?.type ?? "";
  const isVideo = type.startsWith("video/");
  const filename = safeFilename(meta?.filename ?? "", `photo-${photo.view.id}`);
  const uploader = props.names.get(photo.view.record.body.uploader) ?? "a family member";

  const act = async (kind: "delete" | "cover", fn: () => Promise<void>) => {
    setBusy(kind);
    setError(undefined);
    try {
      await fn();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <div
      class="viewer"
      role="dialog"
      aria-modal="true"
      aria-label={`Photo ${index + 1} of ${photos.length}`}
      tabIndex={-1}
      ref={dialog}
    >
      <div class="viewer-stage">
        <div class="viewer-top">
          <span class="viewer-count">{index + 1} / {photos.length}</span>
          <span class="viewer-title" title={meta?.filename}>{meta?.filename ?? ""}</span>
          <button
            type="button"
            class="viewer-btn"
            aria-label="Close the viewer (Esc)"
            onClick={props.onClose}
          >
            ✕
          </button>
        </div>
        <button
          type="button"
          class="viewer-nav viewer-prev"
          aria-label="Previous photo (←)"
          disabled={index === 0}
          onClick={() => props.onIndex(index - 1)}
        >
          ‹
        </button>
        <div class="viewer-media" aria-busy={original ? "false" : "true"}>
          {original && !cannotShow
            ? isVideo
              ? (
                <video
                  class="viewer-video"
                  src={original.url}
                  controls
                  autoplay
                  playsInline
                  onError={() => setCannotShow(true)}
                />
              )
              : (
                <img
                  class="viewer-image"
                  src={original.url}
                  alt={meta?.filename ?? "Photo"}
                  data-original="true"
                  onError={() => setCannotShow(true)}
                />
              )
            : thumb && <img class="viewer-image viewer-preview" src={thumb} alt="" />}
          {!original && !error && (
            <div class="viewer-loading" role="status">
              <span class="loading">Decrypting…</span>
              <progress max={photo.view.original.size} value={received} />
            </div>
          )}
          {cannotShow && (
            <div class="viewer-note" role="status">
              This browser cannot show{" "}
              {type || "this file"}. Download the original to open it in another app.
            </div>
          )}
        </div>
        <button
          type="button"
          class="viewer-nav viewer-next"
          aria-label="Next photo (→)"
          disabled={index === photos.length - 1}
          onClick={() => props.onIndex(index + 1)}
        >
          ›
        </button>
      </div>
      <aside class="viewer-info" aria-label="Details">
        <h2>Details</h2>
        <ErrorAlert message={error} />
        {meta
          ? (
            <dl class="facts viewer-facts">
              <dt>File</dt>
              <dd data-field="filename">{meta.filename}</dd>
              <dt>Taken</dt>
              <dd data-field="taken">{formatTakenAt(meta.takenAt)}</dd>
              {meta.camera && (
                <>
                  <dt>Camera</dt>
                  <dd data-field="camera">{meta.camera}</dd>
                </>
              )}
              {meta.width && meta.height && (
                <>
                  <dt>Size</dt>
                  <dd data-field="dimensions">
                    {meta.width} × {meta.height} · {formatBytes(meta.size)}
                  </dd>
                </>
              )}
              {meta.gps && (
                <>
                  <dt>Place</dt>
                  <dd data-field="place">
                    {formatPlace(meta.gps)}{" "}
                    <a href={mapUrl(meta.gps)} target="_blank" rel="noopener noreferrer">
                      map
                    </a>
                  </dd>
                </>
              )}
              {meta.orientation && meta.orientation !== 1 && (
                <>
                  <dt>Orientation</dt>
                  <dd>{ORIENTATION[meta.orientation] ?? meta.orientation}</dd>
                </>
              )}
              <dt>Type</dt>
              <dd>{meta.type}</dd>
              <dt>Added by</dt>
              <dd>{uploader}</dd>
            </dl>
          )
          : !error && <p class="loading">Decrypting details…</p>}
        <div class="btn-row viewer-actions">
          {original
            ? (
              <a class="btn btn-primary" href={original.url} download={filename}>
                Download original
              </a>
            )
            : (
              <button type="button" class="btn btn-primary" disabled>
                Download original
              </button>
            )}
          {props.albumLink && <a class="btn" href={props.albumLink(photo)}>Open in its album</a>}
          {props.isOwner && props.coverId !== photo.view.id && (
            <button
              type="button"
              class="btn"
              disabled={busy !== undefined}
              onClick={() => act("cover", () => props.onCover(photo))}
            >
              {busy === "cover" ? "Saving…" : "Use as album cover"}
            </button>
          )}
          {props.isOwner && props.coverId === photo.view.id && (
            <span class="badge badge-ok">Album cover</span>
          )}
          {props.canDelete(photo) && !confirmDelete && (
            <button
              type="button"
              class="btn btn-danger"
              onClick={() => setConfirmDelete(true)}
            >
              Delete…
            </button>
          )}
        </div>
        {confirmDelete && (
          <div class="confirm-panel">
            <p>
              <strong>Delete this photo for everyone?</strong>
            </p>
            <p class="muted small">
              It disappears from this album on every node. Copies people already downloaded stay
              theirs.
            </p>
            <div class="btn-row">
              <button
                type="button"
                class="btn btn-danger"
                disabled={busy !== undefined}
                onClick={() => act("delete", () => props.onDelete(photo))}
              >
                {busy === "delete" ? "Deleting…" : "Delete photo"}
              </button>
              <button type="button" class="btn" onClick={() => setConfirmDelete(false)}>
                Keep it
              </button>
            </div>
          </div>
        )}
        {props.whereStored && (
          <section class="viewer-where">
            <h3>Where it is stored</h3>
            {props.whereStored(
              [photo.view.original.id, photo.view.thumb?.id].filter((x): x is string => !!x),
            )}
          </section>
        )}
        <p class="hint viewer-keys">← → to move, Esc to close</p>
      </aside>
    </div>
  );
}
