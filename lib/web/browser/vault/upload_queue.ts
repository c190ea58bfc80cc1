/**
 * The upload pipeline (issue: "upload from the browser"). For each picked file, two at a time:
 * hash it and skip it when the album already holds the same file (keyed dedup value); read its
 * EXIF and make a thumbnail; encrypt the original, the thumbnail and the metadata document
 * under a fresh file key; send each through a resumable upload session; register the photo.
 * Per-file and overall progress, cancel one or all. Browser-compatible: decoding and the node
 * come in through {@link PipelineDeps}, so tests can run it against an in-process node.
 *
 * @module
 */

import { blobId, encryptMetadata, newFileKey } from "../../../crypto/mod.ts";
import { ApiError, messageOf } from "../api.ts";
import { randomId } from "../records.ts";
import type { AlbumKeys } from "./album_keys.ts";
import type { VaultDeps } from "./client.ts";
import { encryptToBlob, sealBytes, type SealedBlob, sha256OfBlob } from "./encrypt_file.ts";
import type { ExifInfo } from "./exif.ts";
import { dedupValue, sealFileKey, sealSort } from "./photo_crypto.ts";
import { uploadBlob } from "./resumable_upload.ts";
import type { Picture } from "./thumbnail.ts";
import type { BlobRef, PhotoBody, PhotoMeta, UploadReceipt } from "./types.ts";

export type JobState =
  | "waiting"
  | "reading"
  | "encrypting"
  | "uploading"
  | "saving"
  | "done"
  | "skipped"
  | "failed"
  | "cancelled";

export interface UploadJob {
  key: number;
  name: string;
  size: number;
  state: JobState;
  /** 0 … 1 */
  fraction: number;
  message?: string;
  photoId?: string;
}

export interface PipelineDeps {
  vault: VaultDeps;
  exif(file: File): Promise<ExifInfo>;
  picture(file: File): Promise<Picture>;
  /** Passed to the resumable upload (tests use small chunks and no waiting). */
  chunkBytes?: number;
  backoff?: (attempt: number) => Promise<void>;
}

export interface UploadTarget {
  albumId: string;
  keys: AlbumKeys;
  /** Dedup values of the album's photos; grows as uploads finish. */
  existing: Set<string>;
}

export interface QueueOptions {
  /** @default 2 */
  concurrency?: number;
  onChange?: (jobs: UploadJob[]) => void;
  onUploaded?: (photoId: string) => void;
}

const FINAL: JobState[] = ["done", "skipped", "failed", "cancelled"];
const IMAGE_EXT = /\.(jpe?g|png|webp|heic|heif|avif|gif)$/i;
const VIDEO_EXT = /\.(mp4|m4v|mov|webm|mkv|3gp)$/i;
// Progress shares of the steps of one file.
const W_READ = 0.1;
const W_ENCRYPT = 0.25;
const W_UPLOAD = 0.6;

/** "image", "video", or null for files that are neither (they are refused with a reason). */
export function kindOf(file: { name: string; type: string }): "image" | "video" | null {
  if (file.type.startsWith("image/") || (!file.type && IMAGE_EXT.test(file.name))) return "image";
  if (file.type.startsWith("video/") || (!file.type && VIDEO_EXT.test(file.name))) return "video";
  return null;
}

/** A browser MIME type, or one guessed from the name for files the browser could not type. */
export function typeOf(file: { name: string; type: string }): string {
  if (file.type) return file.type;
  const ext = file.name.split(".").pop()?.toLowerCase() ?? "";
  const known: Record<string, string> = {
    heic: "image/heic",
    heif: "image/heif",
    jpg: "image/jpeg",
    jpeg: "image/jpeg",
    mov: "video/quicktime",
    mkv: "video/x-matroska",
  };
  return known[ext] ?? "application/octet-stream";
}

interface Internal extends UploadJob {
  file: File;
  abort: AbortController;
}

export class UploadQueue {
  readonly #deps: PipelineDeps;
  readonly #target: UploadTarget;
  readonly #options: QueueOptions;
  readonly #jobs: Internal[] = [];
  /** Dedup values claimed by files of this queue, so one batch cannot hold a file twice. */
  readonly #claimed = new Set<string>();
  #running = 0;
  #next = 1;

  constructor(deps: PipelineDeps, target: UploadTarget, options: QueueOptions = {}) {
    this.#deps = deps;
    this.#target = target;
    this.#options = options;
  }

  /** Queues files; those that are not photos or videos are refused at once, with the reason. */
  add(files: Iterable<File>): void {
    for (const file of files) {
      const job: Internal = {
        key: this.#next++,
        name: file.name,
        size: file.size,
        state: "waiting",
        fraction: 0,
        file,
        abort: new AbortController(),
      };
      if (!kindOf(file)) {
        job.state = "failed";
        job.message = "Not a photo or a video, so it was not added.";
      }
      this.#jobs.push(job);
    }
    this.#changed();
    this.#pump();
  }

  /** Queues a failed or cancelled file again. */
  retry(key: number): void {
    const job = this.#jobs.find((j) => j.key === key);
    if (!job || (job.state !== "failed" && job.state !== "cancelled") || !kindOf(job.file)) return;
    Object.assign(job, { state: "waiting", fraction: 0, message: undefined });
    job.abort = new AbortController();
    this.#changed();
    this.#pump();
  }

  cancel(key: number): void {
    const job = this.#jobs.find((j) => j.key === key);
    if (!job || FINAL.includes(job.state)) return;
    job.abort.abort(new DOMException("Cancelled", "AbortError"));
    if (job.state === "waiting") this.#set(job, { state: "cancelled", message: "Cancelled." });
  }

  cancelAll(): void {
    for (const j of this.#jobs) this.cancel(j.key);
  }

  /** Removes finished rows from the list. */
  clearFinished(): void {
    for (let i = this.#jobs.length - 1; i >= 0; i--) {
      if (FINAL.includes(this.#jobs[i].state)) this.#jobs.splice(i, 1);
    }
    this.#changed();
  }

  jobs(): UploadJob[] {
    return this.#jobs.map(({ file: _f, abort: _a, ...job }) => ({ ...job }));
  }

  /** Counts, and overall progress weighted by file size (finished files count as complete). */
  summary() {
    let total = 0;
    let sent = 0;
    const count = (s: JobState) => this.#jobs.filter((j) => j.state === s).length;
    for (const j of this.#jobs) {
      const weight = Math.max(j.size, 1);
      total += weight;
      sent += weight * (FINAL.includes(j.state) ? 1 : j.fraction);
    }
    return {
      files: this.#jobs.length,
      done: count("done"),
      skipped: count("skipped"),
      failed: count("failed"),
      cancelled: count("cancelled"),
      active: this.#jobs.filter((j) => !FINAL.includes(j.state)).length,
      fraction: total ? sent / total : 0,
    };
  }

  #changed() {
    this.#options.onChange?.(this.jobs());
  }

  #set(job: Internal, change: Partial<UploadJob>) {
    Object.assign(job, change);
    this.#changed();
  }

  #pump() {
    const limit = this.#options.concurrency ?? 2;
    while (this.#running < limit) {
      const job = this.#jobs.find((j) => j.state === "waiting");
      if (!job) return;
      this.#running++;
      this.#set(job, { state: "reading" });
      this.#run(job).finally(() => {
        this.#running--;
        this.#pump();
      });
    }
  }

  async #run(job: Internal): Promise<void> {
    let claimed: string | undefined;
    try {
      const photoId = await this.#upload(job, (d) => (claimed = d));
      if (photoId === undefined) return;
      this.#target.existing.add(claimed!);
      this.#set(job, { state: "done", fraction: 1, photoId, message: undefined });
      this.#options.onUploaded?.(photoId);
    } catch (err) {
      if (claimed) this.#claimed.delete(claimed);
      if (job.abort.signal.aborted) {
        this.#set(job, { state: "cancelled", message: "Cancelled." });
      } else {
        this.#set(job, { state: "failed", message: explain(err) });
      }
    }
  }

  /** The whole life of one file; undefined when it was skipped as a duplicate. */
  async #upload(job: Internal, claim: (dedup: string) => void): Promise<string | undefined> {
    const { file } = job;
    const signal = job.abort.signal;
    const { keys, albumId, existing } = this.#target;
    const vault = this.#deps.vault;
    const progress = (fraction: number) => {
      job.fraction = Math.min(1, fraction);
      this.#changed();
    };

    // 1. Same file already in the album? The dedup value is keyed, so the node learns nothing.
    let read = 0;
    const digest = await sha256OfBlob(file, {
      signal,
      onBytes: (n) => progress(W_READ * ((read += n) / Math.max(file.size, 1))),
    });
    const dedup = dedupValue(keys.dedupKey, digest);
    if (existing.has(dedup) || this.#claimed.has(dedup)) {
      this.#set(job, {
        state: "skipped",
        fraction: 1,
        message: "Already in this album, so it was skipped.",
      });
      return undefined;
    }
    this.#claimed.add(dedup);
    claim(dedup);

    // 2. What the camera wrote, and a thumbnail, before anything is encrypted.
    const kind = kindOf(file);
    const [exif, picture] = await Promise.all([
      kind === "image" ? this.#deps.exif(file) : Promise.resolve(null),
      this.#deps.picture(file),
    ]);
    const meta: PhotoMeta = {
      v: 1,
      filename: file.name,
      type: typeOf(file),
      size: file.size,
      takenAt: exif?.takenAt ?? (file.lastModified || vault.now()),
      gps: exif?.gps ?? null,
      orientation: exif?.orientation ?? null,
      camera: exif?.camera ?? null,
      width: picture.width ?? exif?.width ?? null,
      height: picture.height ?? exif?.height ?? null,
    };

    // 3. Encrypt original, thumbnail and metadata under one fresh file key (FORMAT §3.4).
    this.#set(job, { state: "encrypting" });
    const fileKey = newFileKey();
    let encrypted = 0;
    const original = await encryptToBlob(fileKey, file.stream(), {
      signal,
      onPlainBytes: (n) =>
        progress(W_READ + W_ENCRYPT * ((encrypted += n) / Math.max(file.size, 1))),
    });
    const thumb = picture.thumb ? await sealBytes(fileKey, picture.thumb) : null;
    const metaBytes = await encryptMetadata(meta, fileKey);
    const metaBlob: SealedBlob = {
      blob: new Blob([metaBytes as Uint8Array<ArrayBuffer>]),
      id: await blobId(metaBytes),
      size: metaBytes.length,
    };

    // 4. Upload the three blobs through resumable sessions.
    this.#set(job, { state: "uploading" });
    const blobs = [original, thumb, metaBlob].filter((b): b is SealedBlob => b !== null);
    const total = blobs.reduce((n, b) => n + b.size, 0);
    let before = 0;
    // Each node's receipt goes into the photo record: proof that these are her own bytes.
    const receipts = new Map<string, UploadReceipt>();
    for (const b of blobs) {
      receipts.set(
        b.id,
        await uploadBlob(b.blob, b.id, {
          fetch: vault.fetch,
          signal,
          chunkBytes: this.#deps.chunkBytes,
          backoff: this.#deps.backoff,
          onProgress: (acked) =>
            progress(W_READ + W_ENCRYPT + W_UPLOAD * ((before + acked) / total)),
        }),
      );
      before += b.size;
    }

    // 5. Register the photo: its record names the blobs and carries the wrapped file key.
    this.#set(job, { state: "saving" });
    if (signal.aborted) throw signal.reason;
    const photoId = randomId();
    const body: PhotoBody = {
      album: albumId,
      uploader: vault.me.key,
      epoch: keys.epoch,
      key: await sealFileKey(keys.current, fileKey),
      original: refTo(original, receipts),
      thumb: thumb ? refTo(thumb, receipts) : null,
      meta: refTo(metaBlob, receipts),
      sort: await sealSort(keys.current, meta.takenAt),
      dedup,
    };
    const record = await vault.sign("photo", photoId, body);
    await vault.call("POST", "/v1/photos", { records: [record] });
    return photoId;
  }
}

function refTo(blob: SealedBlob, receipts: Map<string, UploadReceipt>): BlobRef {
  return { id: blob.id, size: blob.size, receipt: receipts.get(blob.id) };
}

function explain(err: unknown): string {
  if (err instanceof ApiError && err.status === 403 && /current key/.test(err.message)) {
    return "The album's key changed while this was uploading (someone was un-shared). " +
      "Reload the page and add it again.";
  }
  if (err instanceof ApiError && err.code === "too_large") {
    return "This file is larger than this node accepts.";
  }
  return messageOf(err);
}
