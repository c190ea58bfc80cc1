import { useEffect, useState } from "preact/hooks";
import { toBase64Url } from "../lib/crypto/mod.ts";
import { api, ApiError, messageOf } from "../lib/web/browser/api.ts";
import {
  formatLinkCode,
  linkLookup,
  newLinkSecret,
  sealLink,
} from "../lib/web/browser/device_link.ts";
import { loadIdentity } from "../lib/web/browser/keystore.ts";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { QrCode } from "../lib/web/browser/ui/QrCode.tsx";

type View =
  | { kind: "idle" }
  | { kind: "waiting"; code: string; url: string; lookup: string; expiresAt: number }
  | { kind: "linked" }
  | { kind: "expired" };

/**
 * Settings: link a new device without typing 24 words. Shows a one-time code and its QR code;
 * the other device opens the QR's link (or types the code on its sign-in page, "Link from a
 * signed-in device") within 10 minutes, and is signed in with this key.
 */
export default function LinkDevice(_props: Record<string, never>) {
  const [view, setView] = useState<View>({ kind: "idle" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const start = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const identity = await loadIdentity();
      if (!identity) throw new Error("This browser does not hold your key. Sign in again first.");
      const secret = newLinkSecret();
      const sealed = await sealLink(secret, {
        v: 1,
        seed: toBase64Url(identity.seed),
        memberKey: identity.meta.memberKey,
        name: identity.meta.name,
        familyName: identity.meta.familyName,
      });
      const lookup = linkLookup(secret);
      const { expiresAt } = await api<{ expiresAt: number }>("POST", "/v1/device-links", {
        lookup,
        sealed,
      });
      const code = formatLinkCode(secret);
      setView({ kind: "waiting", code, url: `${location.origin}/link#${code}`, lookup, expiresAt });
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  // The node forgets the link once the other device fetched it (or it expired).
  useEffect(() => {
    if (view.kind !== "waiting") return;
    const timer = setInterval(async () => {
      try {
        await api("GET", `/v1/device-links/${view.lookup}`);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
          setView({ kind: Date.now() < view.expiresAt ? "linked" : "expired" });
        }
      }
    }, 2000);
    return () => clearInterval(timer);
  }, [view]);

  return (
    <div class="link-device">
      <ErrorAlert message={error} />
      {view.kind === "waiting"
        ? (
          <div class="link-code-panel">
            <p>
              On the new device, scan this code, or open this node's sign-in page and choose{" "}
              <strong>Link from a signed-in device</strong>, then type:
            </p>
            <p class="link-code" data-code={view.code}>
              <code>{view.code}</code>
            </p>
            <QrCode text={view.url} label="QR code that links a new device" />
            <p class="hint">
              Waiting for the other device… The code works once, for 10 minutes. Anyone who sees it
              in that time can sign in as you: show it only to your own device.
            </p>
            <button type="button" class="btn" onClick={() => setView({ kind: "idle" })}>
              Cancel
            </button>
          </div>
        )
        : (
          <>
            {view.kind === "linked" && (
              <p class="alert alert-ok" role="status">The other device is signed in.</p>
            )}
            {view.kind === "expired" && (
              <p class="alert alert-warn" role="status">The code expired. Make a new one.</p>
            )}
            <p class="muted">
              Sign in on a phone or another computer without typing your 24 words: this device shows
              a one-time code for it.
            </p>
            <button type="button" class="btn btn-primary" onClick={start} disabled={busy}>
              {busy ? "Making a code…" : "Link a new device"}
            </button>
          </>
        )}
    </div>
  );
}
