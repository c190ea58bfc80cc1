/**
 * "New album": a name, encrypted in this browser with a fresh album key. Browser-compatible.
 *
 * @module
 */

import { useEffect, useRef, useState } from "preact/hooks";
import { messageOf } from "../../api.ts";
import { ErrorAlert } from "../../ui/ErrorAlert.tsx";
import { albumNameProblem, createAlbum, type OpenedAlbum } from "../albums.ts";
import type { VaultDeps } from "../client.ts";

export function CreateAlbumForm(
  { deps, onCreated, onCancel }: {
    deps: VaultDeps;
    onCreated(album: OpenedAlbum): void;
    onCancel(): void;
  },
) {
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const problem = albumNameProblem(name);
    if (problem) {
      setError(problem);
      input.current?.focus();
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      onCreated(await createAlbum(deps, name));
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };

  return (
    <form class="card create-album" onSubmit={submit} noValidate>
      <h2>New album</h2>
      <div class="field">
        <label for="album-name">Name</label>
        <input
          id="album-name"
          ref={input}
          value={name}
          maxLength={120}
          autocomplete="off"
          placeholder="Summer 2026"
          aria-invalid={error ? "true" : undefined}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
        />
        <p class="hint">
          Only people you share the album with can read its name: it is encrypted here, before it
          leaves this browser.
        </p>
      </div>
      <ErrorAlert message={error} />
      <div class="btn-row">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {busy ? "Creating…" : "Create album"}
        </button>
        <button type="button" class="btn" disabled={busy} onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
