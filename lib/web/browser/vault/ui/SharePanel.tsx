/**
 * The owner's sharing controls for one album: who in the family can view it or add to it.
 * Sharing wraps the album key for that member; removing someone starts a new key epoch and
 * re-wraps every photo's key, with progress. Browser-compatible.
 *
 * @module
 */

import { useState } from "preact/hooks";
import { messageOf } from "../../api.ts";
import { ErrorAlert } from "../../ui/ErrorAlert.tsx";
import type { AlbumKeys } from "../album_keys.ts";
import type { VaultDeps } from "../client.ts";
import {
  type FamilyMember,
  rotateAlbumKey,
  type RotationProgress,
  shareAlbum,
  staleGrants,
} from "../sharing.ts";
import type { GrantView } from "../types.ts";

type Access = "none" | "viewer" | "contributor";

const ACCESS_TEXT: Record<Access, string> = {
  none: "No access",
  viewer: "Can view",
  contributor: "Can view and add",
};

export interface SharePanelProps {
  deps: VaultDeps;
  keys: AlbumKeys;
  grants: GrantView[];
  members: FamilyMember[];
  /** Photos still wrapped under an older key (an interrupted re-wrap). */
  behind: number;
  onChanged(): Promise<void>;
  onRewrap(onProgress: (p: RotationProgress) => void): Promise<void>;
}

export function SharePanel(props: SharePanelProps) {
  const { deps, keys, grants, members } = props;
  const [busy, setBusy] = useState<string | undefined>();
  const [confirm, setConfirm] = useState<FamilyMember | undefined>();
  const [progress, setProgress] = useState<RotationProgress | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState<string | undefined>();

  const current = new Map(grants.filter((g) => !g.revoked).map((g) => [g.member, g]));
  const others = members.filter((m) => !m.removed && m.key !== deps.me.key)
    .sort((a, b) => a.name.localeCompare(b.name));
  const stale = staleGrants(grants, members);
  const nameOf = (key: string) => members.find((m) => m.key === key)?.name ?? "A former member";

  const run = async (who: string, fn: () => Promise<void>, message: string) => {
    setBusy(who);
    setError(undefined);
    setDone(undefined);
    try {
      await fn();
      await props.onChanged();
      setDone(message);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(undefined);
      setProgress(undefined);
    }
  };

  const change = (m: FamilyMember, access: Access) => {
    const had = current.get(m.key);
    if (access === "none") {
      if (had) setConfirm(m);
      return;
    }
    run(
      m.key,
      () => shareAlbum(deps, keys, m, access),
      had ? `${m.name} now ${ACCESS_TEXT[access].toLowerCase()}.` : `Shared with ${m.name}.`,
    );
  };

  const revoke = (keysToRevoke: string[], label: string, who: string) =>
    run(
      who,
      async () => {
        setConfirm(undefined);
        await rotateAlbumKey(deps, keys.albumId, keysToRevoke, setProgress);
      },
      `${label} The album now has a new key.`,
    );

  return (
    <div class="share-panel">
      <p class="muted">
        Each person gets the album's key wrapped for their own key. Removing someone gives the album
        a new key; photos they already downloaded stay theirs.
      </p>
      {others.length === 0
        ? (
          <p class="empty-inline muted">
            Nobody else is in the family yet. <a href="/members">Invite someone</a>{" "}
            first, then share this album with them.
          </p>
        )
        : (
          <ul class="list share-list">
            {others.map((m) => {
              const g = current.get(m.key);
              const access: Access = g
                ? (g.role === "contributor" ? "contributor" : "viewer")
                : "none";
              const outdated = g && g.epoch !== keys.epoch;
              return (
                <li class="list-row" key={m.key} data-member={m.key}>
                  <div class="list-main">
                    <strong>{m.name}</strong>
                    {outdated && (
                      <div class="small">
                        <span class="badge badge-warn">needs the new key</span>{" "}
                        <button
                          type="button"
                          class="btn-link"
                          disabled={busy !== undefined}
                          onClick={() => change(m, access)}
                        >
                          Share it again
                        </button>
                      </div>
                    )}
                  </div>
                  <select
                    class="share-select"
                    aria-label={`Access for ${m.name}`}
                    value={access}
                    disabled={busy !== undefined}
                    onChange={(e) => change(m, (e.target as HTMLSelectElement).value as Access)}
                  >
                    {(Object.keys(ACCESS_TEXT) as Access[]).map((a) => (
                      <option key={a} value={a}>{ACCESS_TEXT[a]}</option>
                    ))}
                  </select>
                  {busy === m.key && <span class="loading small">Saving</span>}
                </li>
              );
            })}
          </ul>
        )}
      {stale.length > 0 && (
        <div class="alert alert-warn">
          <strong>
            {stale.map((g) => nameOf(g.member)).join(", ")} {stale.length === 1 ? "has" : "have"}
            {" "}
            left the family
          </strong>{" "}
          but may still hold this album's key.
          <div class="btn-row">
            <button
              type="button"
              class="btn btn-small"
              disabled={busy !== undefined}
              onClick={() => revoke([], "Their access is gone.", "stale")}
            >
              Give the album a new key
            </button>
          </div>
        </div>
      )}
      {props.behind > 0 && stale.length === 0 && !progress && (
        <div class="alert alert-warn">
          {props.behind} {props.behind === 1 ? "photo still uses" : "photos still use"}{" "}
          the album's previous key (re-wrapping was interrupted).
          <div class="btn-row">
            <button
              type="button"
              class="btn btn-small"
              disabled={busy !== undefined}
              onClick={() =>
                run("rewrap", () => props.onRewrap(setProgress), "All photos use the new key.")}
            >
              Finish re-wrapping
            </button>
          </div>
        </div>
      )}
      {confirm && (
        <div class="confirm-panel" role="group" aria-label={`Remove ${confirm.name}'s access`}>
          <p>
            <strong>Remove {confirm.name}'s access?</strong>
          </p>
          <ul class="advice">
            <li>The album gets a new key, shared again with everyone else.</li>
            <li>Every photo's key is re-wrapped; no photo is uploaded again.</li>
            <li>Photos {confirm.name} already downloaded stay theirs.</li>
          </ul>
          <div class="btn-row">
            <button
              type="button"
              class="btn btn-danger"
              onClick={() =>
                revoke([confirm.key], `${confirm.name} can no longer open it.`, confirm.key)}
            >
              Remove access
            </button>
            <button
              type="button"
              class="btn"
              onClick={() =>
                setConfirm(undefined)}
            >
              Cancel
            </button>
          </div>
        </div>
      )}
      {progress && (
        <div class="rotation-progress" role="status" aria-live="polite">
          <span class="loading">
            {progress.phase === "keys"
              ? "Making a new album key…"
              : `Re-wrapping photo keys: ${progress.done} of ${progress.total}`}
          </span>
          <progress max={Math.max(progress.total, 1)} value={progress.done} />
        </div>
      )}
      <ErrorAlert message={error} />
      {done && <div class="alert alert-ok" role="status">{done}</div>}
    </div>
  );
}
