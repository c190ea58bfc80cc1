/**
 * For album owners: albums whose key is still held by someone who has since left the family.
 * Offers the same rotation as un-sharing (new key epoch, photos re-wrapped), album by album,
 * with progress. Browser-compatible.
 *
 * @module
 */

import { useEffect, useState } from "preact/hooks";
import { messageOf } from "../../api.ts";
import { ErrorAlert } from "../../ui/ErrorAlert.tsx";
import { albumDetail, type OpenedAlbum } from "../albums.ts";
import type { VaultDeps } from "../client.ts";
import {
  type FamilyMember,
  rotateAlbumKey,
  type RotationProgress,
  staleGrants,
} from "../sharing.ts";

interface Exposure {
  album: OpenedAlbum;
  people: string[];
}

export function AccessReview(
  { deps, albums, members, onDone }: {
    deps: VaultDeps;
    albums: OpenedAlbum[];
    members: FamilyMember[];
    onDone(): void;
  },
) {
  const [exposed, setExposed] = useState<Exposure[]>([]);
  const [busy, setBusy] = useState<string | undefined>();
  const [progress, setProgress] = useState<RotationProgress | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    const mine = albums.filter((a) => a.view.role === "owner" && a.keys && !a.view.trashedAt);
    const names = new Map(members.map((m) => [m.key, m.name]));
    let live = true;
    Promise.all(mine.map(async (album) => {
      const { grants } = await albumDetail(deps, album.view.id);
      const stale = staleGrants(grants, members);
      return { album, people: stale.map((g) => names.get(g.member) ?? "a former member") };
    })).then(
      (all) => live && setExposed(all.filter((e) => e.people.length > 0)),
      () => {/* the notice is a courtesy; the album pages show the same */},
    );
    return () => (live = false);
  }, [albums, members]);

  if (exposed.length === 0) return null;

  const rotate = async (e: Exposure) => {
    setBusy(e.album.view.id);
    setError(undefined);
    try {
      await rotateAlbumKey(deps, e.album.view.id, [], setProgress);
      setExposed((list) => list.filter((x) => x !== e));
      onDone();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(undefined);
      setProgress(undefined);
    }
  };

  return (
    <div class="alert alert-warn access-review" role="status">
      <strong>Some of your albums can still be opened by people who left the family.</strong>
      <p>
        They cannot sign in any more, but they may hold a copy of these albums' keys. Give each
        album a new key: new photos will be out of their reach, and existing photos are re-wrapped
        (what they already downloaded stays theirs).
      </p>
      <ul class="list">
        {exposed.map((e) => (
          <li class="list-row" key={e.album.view.id}>
            <div class="list-main">
              <strong>{e.album.keys!.name}</strong>
              <div class="muted small">still shared with {e.people.join(", ")}</div>
              {busy === e.album.view.id && progress && (
                <progress
                  max={Math.max(progress.total, 1)}
                  value={progress.done}
                  aria-label="Re-wrapping photo keys"
                />
              )}
            </div>
            <button
              type="button"
              class="btn btn-small"
              disabled={busy !== undefined}
              onClick={() => rotate(e)}
            >
              {busy === e.album.view.id ? "Changing key…" : "Change key"}
            </button>
          </li>
        ))}
      </ul>
      <ErrorAlert message={error} />
    </div>
  );
}
