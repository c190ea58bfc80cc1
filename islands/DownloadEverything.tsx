import { useEffect, useState } from "preact/hooks";
import { messageOf } from "../lib/web/browser/api.ts";
import { downloadAlbum } from "../lib/web/browser/vault/album_download.ts";
import { readAlbumIndex } from "../lib/web/browser/vault/album_index.ts";
import { allPhotos } from "../lib/web/browser/vault/album_photos.ts";
import { listAlbums, type OpenedAlbum } from "../lib/web/browser/vault/albums.ts";
import {
  type AlbumDownload,
  downloadedAlbums,
  forgetDownloads,
} from "../lib/web/browser/vault/download_state.ts";
import { countPhotos, formatDay } from "../lib/web/browser/vault/format.ts";
import { DownloadProgress } from "../lib/web/browser/vault/ui/DownloadProgress.tsx";
import { useVault } from "../lib/web/browser/vault/ui/hooks.ts";
import type { ZipProgress } from "../lib/web/browser/vault/zip_download.ts";

type Status =
  | { kind: "waiting" }
  | { kind: "listing" }
  | { kind: "downloading"; progress: ZipProgress }
  | { kind: "failed"; message: string };

/**
 * "Download everything": every album this member can open, one zip per album (its name), one
 * after the other. Finished albums are remembered in this browser, so after an interruption
 * "Continue" downloads only the rest.
 */
export default function DownloadEverything(_props: Record<string, never>) {
  const vault = useVault();
  const deps = vault.deps;
  const [albums, setAlbums] = useState<OpenedAlbum[] | undefined>();
  const [done, setDone] = useState<Record<string, AlbumDownload>>({});
  const [status, setStatus] = useState<Record<string, Status>>({});
  const [running, setRunning] = useState(false);
  const [stop, setStop] = useState<AbortController | undefined>();

  useEffect(() => {
    if (!deps) return;
    setDone(downloadedAlbums(deps.me.key));
    listAlbums(deps).then((list) => setAlbums(list.filter((a) => a.keys)), () => setAlbums([]));
  }, [deps]);

  if (!deps || !albums || albums.length === 0) return null;
  const left = albums.filter((a) => !done[a.view.id]);

  const run = async () => {
    const controller = new AbortController();
    setStop(controller);
    setRunning(true);
    const set = (id: string, s: Status) => setStatus((all) => ({ ...all, [id]: s }));
    for (const a of left) {
      if (controller.signal.aborted) break;
      try {
        set(a.view.id, { kind: "listing" });
        const index = await readAlbumIndex(deps, a.keys!).catch(() => undefined);
        const { photos } = await allPhotos(deps, a.keys!, index);
        if (photos.length === 0) continue;
        await downloadAlbum(deps, a.keys!, photos, {
          signal: controller.signal,
          onProgress: (progress) => set(a.view.id, { kind: "downloading", progress }),
        });
        setDone(downloadedAlbums(deps.me.key));
      } catch (err) {
        if (controller.signal.aborted) break;
        set(a.view.id, { kind: "failed", message: messageOf(err) });
      }
    }
    setStatus((all) =>
      Object.fromEntries(Object.entries(all).filter(([, s]) => s.kind === "failed"))
    );
    setRunning(false);
    setStop(undefined);
  };

  return (
    <section class="card download-everything" aria-labelledby="download-everything-title">
      <h2 id="download-everything-title">Get every photo out</h2>
      <p class="muted">
        Every album you can open, as one zip per album: the original files, decrypted in this
        browser, with their names and dates. Albums already downloaded in this browser are skipped,
        so an interrupted download continues where it stopped.
      </p>
      <table class="downloads">
        <tbody>
          {albums.map((a) => {
            const s = status[a.view.id];
            const d = done[a.view.id];
            return (
              <tr key={a.view.id} data-download-album={a.view.id}>
                <td>{a.keys!.name}</td>
                <td class="muted">{countPhotos(a.view.photoCount)}</td>
                <td>
                  {s?.kind === "downloading"
                    ? <DownloadProgress progress={s.progress} label="Downloading" />
                    : s?.kind === "listing"
                    ? <span class="loading">Preparing…</span>
                    : s?.kind === "failed"
                    ? <span class="field-error">Failed: {s.message}</span>
                    : d
                    ? <span class="badge badge-ok">Downloaded {formatDay(d.at)}</span>
                    : <span class="muted">Not yet</span>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div class="btn-row">
        {running
          ? (
            <button type="button" class="btn" onClick={() => stop?.abort()}>
              Stop after this album
            </button>
          )
          : left.length > 0
          ? (
            <button type="button" class="btn btn-primary" onClick={run}>
              {left.length === albums.length
                ? "Download everything"
                : `Continue: ${left.length} ${left.length === 1 ? "album" : "albums"} left`}
            </button>
          )
          : <p class="muted">Every album is downloaded in this browser.</p>}
        {!running && Object.keys(done).length > 0 && (
          <button
            type="button"
            class="btn"
            onClick={() => {
              forgetDownloads(deps.me.key);
              setDone({});
            }}
          >
            Start over
          </button>
        )}
      </div>
    </section>
  );
}
