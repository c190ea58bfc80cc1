import { useEffect, useState } from "preact/hooks";
import { messageOf } from "../lib/web/browser/api.ts";
import {
  listAlbums,
  type OpenedAlbum,
  setTrashed,
  trashDaysLeft,
} from "../lib/web/browser/vault/albums.ts";
import { countPhotos, daysLeftText } from "../lib/web/browser/vault/format.ts";
import { type FamilyMember, familyMembers } from "../lib/web/browser/vault/sharing.ts";
import { AccessReview } from "../lib/web/browser/vault/ui/AccessReview.tsx";
import { AlbumCard, AlbumCardsSkeleton } from "../lib/web/browser/vault/ui/AlbumCard.tsx";
import { CreateAlbumForm } from "../lib/web/browser/vault/ui/CreateAlbumForm.tsx";
import { useFailure, useVault } from "../lib/web/browser/vault/ui/hooks.ts";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { SignedOutAlert } from "../lib/web/browser/ui/SignedOutAlert.tsx";

interface Props {
  /** Open the "New album" form at once (from `/albums?new`). */
  startCreating?: boolean;
}

/**
 * The albums page: every album the member may open, decrypted in this browser (names and
 * covers), a form to make one, and the trash with its countdown and Restore.
 */
export default function AlbumList({ startCreating = false }: Props) {
  const vault = useVault();
  const { error, setError, signedOut, fail } = useFailure();
  const [albums, setAlbums] = useState<OpenedAlbum[] | undefined>();
  const [members, setMembers] = useState<FamilyMember[]>([]);
  const [creating, setCreating] = useState(startCreating);
  const [restoring, setRestoring] = useState<string | undefined>();

  const load = async () => {
    if (!vault.deps) return;
    try {
      const [list, people] = await Promise.all([
        listAlbums(vault.deps),
        familyMembers(vault.deps),
      ]);
      setAlbums(list);
      setMembers(people);
      setError(undefined);
    } catch (err) {
      fail(err);
    }
  };
  useEffect(() => {
    load();
  }, [vault.deps]);

  if (vault.signedOut || signedOut) return <SignedOutAlert />;
  const deps = vault.deps;
  const names = new Map(members.map((m) => [m.key, m.name]));
  const live = albums?.filter((a) => a.view.trashedAt === null) ?? [];
  const trashed = albums?.filter((a) => a.view.trashedAt !== null) ?? [];

  const restore = async (album: OpenedAlbum) => {
    if (!deps) return;
    setRestoring(album.view.id);
    try {
      await setTrashed(deps, album.view, false);
      await load();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setRestoring(undefined);
    }
  };

  return (
    <div class="album-list">
      <div class="toolbar">
        <p class="muted toolbar-text">
          {albums === undefined
            ? "Decrypting your albums…"
            : `${live.length} ${live.length === 1 ? "album" : "albums"}`}
        </p>
        <button
          type="button"
          class="btn btn-primary"
          disabled={!deps || creating}
          onClick={() => setCreating(true)}
        >
          New album
        </button>
      </div>
      <ErrorAlert message={vault.error ?? error} />
      {creating && deps && (
        <CreateAlbumForm
          deps={deps}
          onCancel={() => setCreating(false)}
          onCreated={(a) => location.assign(`/albums/${a.view.id}`)}
        />
      )}
      {deps && albums && (
        <AccessReview deps={deps} albums={albums} members={members} onDone={load} />
      )}
      {albums === undefined || !deps ? <AlbumCardsSkeleton /> : live.length === 0
        ? (
          !creating && (
            <div class="card empty">
              <h2>No albums yet</h2>
              <p>
                Make an album, then add photos to it. They are encrypted in this browser before they
                leave it, and you choose who in the family can open each album.
              </p>
              <button type="button" class="btn btn-primary" onClick={() => setCreating(true)}>
                Create your first album
              </button>
            </div>
          )
        )
        : (
          <div class="album-grid">
            {live.map((a) => (
              <AlbumCard
                key={a.view.id}
                deps={deps}
                album={a}
                ownerName={names.get(a.view.owner)}
              />
            ))}
          </div>
        )}
      {trashed.length > 0 && (
        <section class="card trash" aria-labelledby="trash-title">
          <h2 id="trash-title">Trash</h2>
          <p class="muted">
            Albums in the trash are deleted for good 30 days after they were put there, on every
            node. Until then their owner can restore them.
          </p>
          <ul class="list">
            {trashed.map((a) => {
              const days = trashDaysLeft(a.view.purgeAt!, Date.now());
              return (
                <li class="list-row" key={a.view.id} data-album={a.view.id}>
                  <div class="list-main">
                    <strong>{a.keys?.name ?? "Locked album"}</strong>{" "}
                    <span class="muted small">· {countPhotos(a.view.photoCount)}</span>
                    <div class="muted small">Deleted for good {daysLeftText(days)}</div>
                  </div>
                  {a.view.role === "owner"
                    ? (
                      <button
                        type="button"
                        class="btn btn-small"
                        disabled={restoring !== undefined}
                        aria-label={`Restore ${a.keys?.name ?? "album"}`}
                        onClick={() => restore(a)}
                      >
                        {restoring === a.view.id ? "Restoring…" : "Restore"}
                      </button>
                    )
                    : (
                      <span class="muted small">
                        Only {names.get(a.view.owner) ?? "its owner"} can restore it
                      </span>
                    )}
                </li>
              );
            })}
          </ul>
        </section>
      )}
    </div>
  );
}
