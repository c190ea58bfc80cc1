/**
 * Adding photos: choose or drop files; each is hashed (duplicates skipped, with a word),
 * read for EXIF, thumbnailed, encrypted and uploaded in resumable chunks, two at a time.
 * Per-file and overall progress, cancel one or all, retry what failed. Browser-only.
 *
 * @module
 */

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { AlbumKeys } from "../album_keys.ts";
import type { VaultDeps } from "../client.ts";
import { readExif } from "../exif.ts";
import { formatBytes } from "../format.ts";
import { makePicture } from "../thumbnail.ts";
import { type JobState, type UploadJob, UploadQueue } from "../upload_queue.ts";

export const UPLOAD_INPUT_ID = "upload-input";
const ACCEPT = "image/*,video/*,.heic,.heif";

const STATE_TEXT: Record<JobState, string> = {
  waiting: "Waiting",
  reading: "Reading",
  encrypting: "Encrypting",
  uploading: "Uploading",
  saving: "Saving",
  done: "Added",
  skipped: "Skipped",
  failed: "Failed",
  cancelled: "Cancelled",
};
const FINAL: JobState[] = ["done", "skipped", "failed", "cancelled"];

export interface UploadPanelProps {
  deps: VaultDeps;
  keys: AlbumKeys;
  /** Dedup values of the photos already in the album. */
  existing: Set<string>;
  onUploaded(photoId: string): void;
}

export function UploadPanel({ deps, keys, existing, onUploaded }: UploadPanelProps) {
  const [jobs, setJobs] = useState<UploadJob[]>([]);
  const [dragging, setDragging] = useState(false);
  const uploaded = useRef(onUploaded);
  uploaded.current = onUploaded;
  const queue = useMemo(
    () =>
      new UploadQueue(
        { vault: deps, exif: readExif, picture: makePicture },
        { albumId: keys.albumId, keys, existing },
        { onChange: setJobs, onUploaded: (id) => uploaded.current(id) },
      ),
    // A rename hands in a new AlbumKeys with the same key: keep the queue (and its uploads).
    [keys.albumId, keys.epoch],
  );

  // Drop anywhere on the page; the overlay says where the files will go.
  useEffect(() => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes("Files") ?? false;
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth++;
      setDragging(true);
    };
    const leave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      if (--depth <= 0) setDragging(false);
    };
    const over = (e: DragEvent) => {
      if (hasFiles(e)) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setDragging(false);
      queue.add(Array.from(e.dataTransfer!.files));
    };
    addEventListener("dragenter", enter);
    addEventListener("dragleave", leave);
    addEventListener("dragover", over);
    addEventListener("drop", drop);
    return () => {
      removeEventListener("dragenter", enter);
      removeEventListener("dragleave", leave);
      removeEventListener("dragover", over);
      removeEventListener("drop", drop);
    };
  }, [queue]);

  // Leaving mid-upload loses the unfinished files: ask first.
  const active = jobs.some((j) => !FINAL.includes(j.state));
  useEffect(() => {
    if (!active) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    addEventListener("beforeunload", warn);
    return () => removeEventListener("beforeunload", warn);
  }, [active]);

  const pick = (e: Event) => {
    const input = e.target as HTMLInputElement;
    if (input.files?.length) queue.add(Array.from(input.files));
    input.value = ""; // choosing the same file again must fire change again
  };

  const s = queue.summary();
  const finished = jobs.length > 0 && !active;
  return (
    <section class="uploader" aria-label="Add photos">
      <input
        id={UPLOAD_INPUT_ID}
        type="file"
        multiple
        accept={ACCEPT}
        class="sr-only"
        onChange={pick}
      />
      {dragging && (
        <div class="drop-overlay" aria-hidden="true">
          <p>Drop to add to {keys.name}</p>
        </div>
      )}
      {jobs.length === 0
        ? (
          <label for={UPLOAD_INPUT_ID} class="dropzone">
            <strong>Drop photos and videos here</strong>
            <span class="muted">or click to choose files — JPEG, PNG, WebP, HEIC, videos</span>
          </label>
        )
        : (
          <div class="card upload-card">
            <div class="upload-head">
              <div class="upload-summary" role="status" aria-live="polite">
                <strong>{summaryText(s)}</strong>
                <progress
                  class="upload-overall"
                  max={1}
                  value={s.fraction}
                  aria-label="Overall progress"
                />
              </div>
              <div class="btn-row">
                <label for={UPLOAD_INPUT_ID} class="btn btn-small">Add more</label>
                {active
                  ? (
                    <button
                      type="button"
                      class="btn btn-small btn-danger"
                      onClick={() => queue.cancelAll()}
                    >
                      Cancel all
                    </button>
                  )
                  : (
                    <button
                      type="button"
                      class="btn btn-small"
                      onClick={() => queue.clearFinished()}
                    >
                      Clear list
                    </button>
                  )}
              </div>
            </div>
            <ul class="upload-list">
              {jobs.map((j) => (
                <li key={j.key} class={`upload-row upload-${j.state}`} data-upload={j.name}>
                  <div class="upload-name">
                    <span class="upload-file" title={j.name}>{j.name}</span>
                    <span class="muted small">{formatBytes(j.size)}</span>
                  </div>
                  <div class="upload-status">
                    <span class={`badge ${badgeClass(j.state)}`}>{STATE_TEXT[j.state]}</span>
                    {!FINAL.includes(j.state) && (
                      <progress max={1} value={j.fraction} aria-label={`Progress of ${j.name}`} />
                    )}
                    {j.message && <span class="small upload-message">{j.message}</span>}
                  </div>
                  <div class="upload-actions">
                    {!FINAL.includes(j.state) && (
                      <button
                        type="button"
                        class="btn btn-small"
                        aria-label={`Cancel ${j.name}`}
                        onClick={() => queue.cancel(j.key)}
                      >
                        Cancel
                      </button>
                    )}
                    {(j.state === "failed" || j.state === "cancelled") &&
                      !/Not a photo/.test(j.message ?? "") && (
                      <button
                        type="button"
                        class="btn btn-small"
                        aria-label={`Retry ${j.name}`}
                        onClick={() => queue.retry(j.key)}
                      >
                        Retry
                      </button>
                    )}
                  </div>
                </li>
              ))}
            </ul>
            {finished && s.skipped > 0 && (
              <p class="hint">
                Skipped files are already in this album (the same file, byte for byte), so they were
                not added twice.
              </p>
            )}
          </div>
        )}
    </section>
  );
}

function badgeClass(state: JobState): string {
  if (state === "done") return "badge-ok";
  if (state === "failed") return "badge-danger";
  if (state === "skipped" || state === "cancelled") return "badge-warn";
  return "";
}

function summaryText(s: ReturnType<UploadQueue["summary"]>): string {
  if (s.active > 0) {
    const done = s.files - s.active;
    return `Adding ${s.files} ${s.files === 1 ? "file" : "files"} — ${done} finished, ${
      Math.round(s.fraction * 100)
    }%`;
  }
  const parts = [`${s.done} added`];
  if (s.skipped) parts.push(`${s.skipped} skipped (already in this album)`);
  if (s.failed) parts.push(`${s.failed} failed`);
  if (s.cancelled) parts.push(`${s.cancelled} cancelled`);
  return parts.join(" · ");
}
