import { useEffect, useState } from "preact/hooks";
import { listAlbums, type OpenedAlbum } from "../lib/web/browser/vault/albums.ts";
import { countPhotos } from "../lib/web/browser/vault/format.ts";
import { useVault } from "../lib/web/browser/vault/ui/hooks.ts";
import { timingStep } from "../lib/web/browser/timing.ts";

/** The dashboard's albums card: the latest albums by name (decrypted here), and what to do next. */
export default function RecentAlbums(_props: Record<string, never>) {
  const vault = useVault();
  const [albums, setAlbums] = useState<OpenedAlbum[] | undefined>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!vault.deps) return;
    listAlbums(vault.deps).then(
      (list) => {
        setAlbums(list.filter((a) => a.view.trashedAt === null));
        timingStep("albums shown");
      },
      () => setFailed(true),
    );
  }, [vault.deps]);

  if (failed || vault.error) {
    return <a class="btn btn-primary" href="/albums">Open albums</a>;
  }
  if (!albums) return <p class="loading">Decrypting your albums…</p>;
  if (albums.length === 0) {
    return (
      <div class="recent-albums">
        <p class="muted">
          Create an album and add photos — they are encrypted in this browser before they leave it.
        </p>
        <a class="btn btn-primary" href="/albums?new">Create your first album</a>
      </div>
    );
  }
  const target = albums.find((a) => a.view.role !== "viewer" && a.keys);
  return (
    <div class="recent-albums">
      <p class="stat-value">{albums.length}</p>
      <ul class="recent-list">
        {albums.slice(0, 4).map((a) => (
          <li key={a.view.id}>
            <a href={`/albums/${a.view.id}`}>{a.keys?.name ?? "Locked album"}</a>{" "}
            <span class="muted small">{countPhotos(a.view.photoCount)}</span>
          </li>
        ))}
      </ul>
      <div class="btn-row">
        {target && (
          <a class="btn btn-primary" href={`/albums/${target.view.id}`}>
            Add photos to {target.keys!.name}
          </a>
        )}
        <a class="btn" href="/albums">All albums</a>
      </div>
    </div>
  );
}
