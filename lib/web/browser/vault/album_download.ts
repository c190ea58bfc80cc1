/**
 * Downloads one album as a zip of its decrypted originals (lib/web/browser/vault/zip_download.ts)
 * and notes it as downloaded. Browser-only (saving goes through the browser).
 *
 * @module
 */

import type { AlbumKeys } from "./album_keys.ts";
import type { VaultDeps } from "./client.ts";
import { markDownloaded } from "./download_state.ts";
import { type LibraryPhoto, PhotoDecryptor } from "./photo_library.ts";
import { albumZip, saveStream, zipName, type ZipProgress } from "./zip_download.ts";

export async function downloadAlbum(
  deps: VaultDeps,
  keys: AlbumKeys,
  photos: LibraryPhoto[],
  options: { onProgress?: (p: ZipProgress) => void; signal?: AbortSignal } = {},
): Promise<void> {
  const decryptor = new PhotoDecryptor(keys, deps.fetch, { thumbs: 1, originals: 1 });
  try {
    const zip = albumZip(decryptor, photos, options);
    await saveStream(zipName(keys.name), zip.stream);
    await zip.done;
    markDownloaded(deps.me.key, keys.albumId, { photos: photos.length, at: deps.now() });
  } finally {
    decryptor.dispose();
  }
}
