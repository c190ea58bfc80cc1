/**
 * Getting every photo out (issue #16): an album's originals, decrypted in this browser, with
 * their file names and taken-at times, streamed into a zip (client-zip: stored, ZIP64 when
 * needed) and from there to the browser's download, one file at a time, never the whole zip in
 * memory. Browser-only for saving; the zip itself is built from streams and works anywhere.
 *
 * Saving: through the app's service worker (`/__p2pos/download/<id>`, lib/web/service_worker.js)
 * when it controls the page, which streams to the browser's download manager; else through the
 * File System Access API where the browser has it; else (a last resort, said so in the UI) a
 * Blob, which the browser may keep in memory.
 *
 * @module
 */

import { makeZip } from "client-zip";
import { plaintextSize } from "../../../crypto/mod.ts";
import { safeFilename } from "./format.ts";
import type { LibraryPhoto, PhotoDecryptor } from "./photo_library.ts";

export interface ZipProgress {
  /** Files whose bytes have all gone into the zip. */
  files: number;
  totalFiles: number;
  /** Plaintext bytes that went into the zip. */
  bytes: number;
  totalBytes: number;
}

/** "IMG_1.jpg", then "IMG_1 (2).jpg" for a second file of that name: zips need unique names. */
export function uniqueName(name: string, used: Set<string>): string {
  let candidate = name;
  const dot = name.lastIndexOf(".");
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
  for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${stem} (${n})${ext}`;
  used.add(candidate.toLowerCase());
  return candidate;
}

/** The file name of an album's zip: its name, made safe for every file system. */
export function zipName(albumName: string): string {
  return `${safeFilename(albumName.replace(/[<>:"|?*]/g, "_"), "album")}.zip`;
}

export interface AlbumZip {
  stream: ReadableStream<Uint8Array>;
  /** Resolves once the last byte was read from `stream` (the zip is complete). */
  done: Promise<void>;
}

/**
 * A zip of `photos`' originals, in their order. Each original is fetched and decrypted only
 * when the zip reaches it; its size comes from the ciphertext's (FORMAT §4), so the progress
 * has a total from the start. (The zip's own length is not announced: it depends on the file
 * names, which are encrypted until each file's turn.)
 */
export function albumZip(
  decryptor: PhotoDecryptor,
  photos: LibraryPhoto[],
  options: { onProgress?: (p: ZipProgress) => void; signal?: AbortSignal } = {},
): AlbumZip {
  const sizes = photos.map((p) => plaintextSize(p.view.original.size) ?? 0);
  const progress: ZipProgress = {
    files: 0,
    totalFiles: photos.length,
    bytes: 0,
    totalBytes: sizes.reduce((a, b) => a + b, 0),
  };
  const used = new Set<string>();
  async function* entries() {
    for (const [i, photo] of photos.entries()) {
      const { meta, size, stream } = await decryptor.originalStream(photo.view, options.signal);
      const name = uniqueName(safeFilename(meta.filename, `photo-${photo.view.id}`), used);
      const counted = stream.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            progress.bytes += chunk.length;
            options.onProgress?.({ ...progress });
            controller.enqueue(chunk);
          },
          flush() {
            progress.files = i + 1;
            options.onProgress?.({ ...progress });
          },
        }),
      );
      yield { name, lastModified: new Date(meta.takenAt || Date.now()), size, input: counted };
    }
  }
  let finished!: () => void;
  let failed!: (err: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const zip = makeZip(entries()).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      flush: () => finished(),
    }),
  );
  const reader = zip.getReader();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done: end } = await reader.read();
        if (end) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        failed(err);
        controller.error(err);
      }
    },
    cancel(reason) {
      failed(reason ?? new DOMException("Cancelled", "AbortError"));
      return reader.cancel(reason);
    },
  });
  return { stream, done };
}

/**
 * Hands `stream` to the browser as a download named `name`. Resolves once the browser has
 * taken it (the bytes keep flowing as the download proceeds).
 */
export async function saveStream(
  name: string,
  stream: ReadableStream<Uint8Array>,
): Promise<"service-worker" | "file-picker" | "blob"> {
  const sw = navigator.serviceWorker?.controller;
  let handed = false;
  const id = crypto.randomUUID();
  const channel = new MessageChannel();
  const ready = new Promise<void>((resolve) => (channel.port1.onmessage = () => resolve()));
  if (sw) {
    try {
      sw.postMessage({ type: "download", id, name, stream }, [
        channel.port2,
        stream as unknown as Transferable,
      ]);
      handed = true;
    } catch {
      // This browser cannot hand a stream to the worker: one of the ways below.
    }
  }
  if (handed) {
    await ready;
    const frame = document.createElement("iframe");
    frame.hidden = true;
    frame.src = `/__p2pos/download/${id}`;
    document.body.append(frame);
    setTimeout(() => frame.remove(), 60_000);
    return "service-worker";
  }
  const picker =
    (globalThis as { showSaveFilePicker?: (o: unknown) => Promise<FileSystemFileHandle> })
      .showSaveFilePicker;
  if (picker) {
    const handle = await picker({ suggestedName: name });
    await stream.pipeTo(await handle.createWritable());
    return "file-picker";
  }
  const blob = await new Response(stream).blob();
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
  return "blob";
}
