/**
 * Progress of a zip download: files and bytes of the total, and a way to stop. Browser-only.
 *
 * @module
 */

import { formatBytes } from "../format.ts";
import type { ZipProgress } from "../zip_download.ts";

export function DownloadProgress(
  { progress, label, onCancel }: { progress: ZipProgress; label: string; onCancel?: () => void },
) {
  const { files, totalFiles, bytes, totalBytes } = progress;
  return (
    <div class="download-progress" role="status" aria-live="polite">
      <p>
        <strong>{label}</strong> {files.toLocaleString()} of {totalFiles.toLocaleString()}{" "}
        {totalFiles === 1 ? "photo" : "photos"} · {formatBytes(bytes)} of {formatBytes(totalBytes)}
      </p>
      <progress max={Math.max(totalBytes, 1)} value={bytes} />
      {onCancel && <button type="button" class="btn btn-small" onClick={onCancel}>Stop</button>}
    </div>
  );
}
