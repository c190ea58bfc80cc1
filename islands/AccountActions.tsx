import { useState } from "preact/hooks";
import { messageOf } from "../lib/web/browser/api.ts";
import { lock, signOut } from "../lib/web/browser/session.ts";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";

/**
 * Settings: "Lock" ends this session but keeps the key here (next time: one click to sign
 * in); "Sign out and forget this device" also deletes the key from this browser.
 */
export default function AccountActions(_props: Record<string, never>) {
  const [confirmForget, setConfirmForget] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      location.assign("/");
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };

  return (
    <div class="account-actions">
      <ErrorAlert message={error} />
      {!confirmForget && (
        <div class="btn-row">
          <button type="button" class="btn" disabled={busy} onClick={() => run(lock)}>
            Lock
          </button>
          <button
            type="button"
            class="btn btn-danger"
            disabled={busy}
            onClick={() => setConfirmForget(true)}
          >
            Sign out and forget this device…
          </button>
        </div>
      )}
      {!confirmForget && (
        <p class="hint">
          Lock signs this browser out but keeps your key here, so signing in again is one click.
        </p>
      )}
      {confirmForget && (
        <div class="confirm-panel">
          <p>
            <strong>Forget your key on this device?</strong>{" "}
            To use p2pos in this browser again you will need your 24 recovery words. Make sure you
            have them before you continue.
          </p>
          <div class="btn-row">
            <button
              type="button"
              class="btn btn-danger"
              disabled={busy}
              onClick={() => run(signOut)}
            >
              {busy ? "Signing out…" : "Sign out and forget"}
            </button>
            <button
              type="button"
              class="btn"
              disabled={busy}
              onClick={() => setConfirmForget(false)}
            >
              Cancel
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
