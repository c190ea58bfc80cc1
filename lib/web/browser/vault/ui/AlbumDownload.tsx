/**
 * "Download album (.zip)": every original of the album, decrypted in this browser into one
 * zip, with its progress and a way to stop. Browser-compatible.
 *
 * @module
 */

import { useState } from "preact/hooks";
import type { AlbumKeys } from "../album_keys.ts";
import { downloadAlbum } from "../album_download.ts";
import type { VaultDeps } from "../client.ts";
import type { LibraryPhoto } from "../photo_library.ts";
import type { ZipProgress } from "../zip_download.ts";
import { DownloadProgress } from "./DownloadProgress.tsx";

export function AlbumDownload({ deps, keys, photos, onStart, onError }: {
  deps: VaultDeps;
  keys: AlbumKeys;
  photos: LibraryPhoto[];
  /** A download starts (the page clears its last error). */
  onStart: () => void;
  onError: (err: unknown) => void;
}) {
  const [download, setDownload] = useState<
    { progress: ZipProgress; stop: AbortController; done?: boolean } | undefined
  >();

  const start = async () => {
    if (download) return;
    const stop = new AbortController();
    const progress = { files: 0, totalFiles: photos.length, bytes: 0, totalBytes: 0 };
    setDownload({ progress, stop });
    onStart();
    try {
      await downloadAlbum(deps, keys, photos, {
        signal: stop.signal,
        onProgress: (progress) => setDownload({ progress, stop }),
      });
      setDownload((d) => d && { ...d, done: true });
    } catch (err) {
      setDownload(undefined);
      if (!stop.signal.aborted) onError(err);
    }
  };

  return (
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
          <button type="button" class="btn" onClick={start}>
            Download album (.zip)
          </button>
        )}
    </div>
  );
}
