/**
 * Which albums this browser has already downloaded in full (issue #16: "Download everything"
 * resumes by album). Kept in localStorage per member: album ids, photo counts and times only,
 * nothing decrypted. Browser-compatible: the storage is injectable.
 *
 * @module
 */

export interface AlbumDownload {
  /** How many photos the album's zip held. */
  photos: number;
  /** When it finished (ms). */
  at: number;
}

type KeyValue = Pick<Storage, "getItem" | "setItem" | "removeItem">;

const key = (memberKey: string) => `p2pos:downloaded:${memberKey}`;

export function downloadedAlbums(
  memberKey: string,
  storage: KeyValue = localStorage,
): Record<string, AlbumDownload> {
  try {
    const v = JSON.parse(storage.getItem(key(memberKey)) ?? "{}");
    return v && typeof v === "object" && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

export function markDownloaded(
  memberKey: string,
  albumId: string,
  done: AlbumDownload,
  storage: KeyValue = localStorage,
): void {
  const all = downloadedAlbums(memberKey, storage);
  all[albumId] = done;
  storage.setItem(key(memberKey), JSON.stringify(all));
}

export function forgetDownloads(memberKey: string, storage: KeyValue = localStorage): void {
  storage.removeItem(key(memberKey));
}
