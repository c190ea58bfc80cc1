import { useEffect, useState } from "preact/hooks";
import { deriveIdentity, fromBase64Url, toBase64Url } from "../lib/crypto/mod.ts";
import { api, messageOf } from "../lib/web/browser/api.ts";
import { linkLookup, openLink, parseLinkCode } from "../lib/web/browser/device_link.ts";
import { saveIdentity } from "../lib/web/browser/keystore.ts";
import { signIn } from "../lib/web/browser/session.ts";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { useInsecureContext } from "../lib/web/browser/ui/hooks.ts";
import { SecureContextNotice } from "../lib/web/browser/ui/SecureContextNotice.tsx";

interface Props {
  nodeId: string;
}

/**
 * The new device's side of linking: the code from the QR link's fragment (never sent to the
 * node) or typed; fetches the sealed key once, opens it here, signs in and keeps the key.
 */
export default function LinkThisDevice({ nodeId }: Props) {
  const insecure = useInsecureContext();
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const link = async (text: string) => {
    setBusy(true);
    setError(undefined);
    let seed: Uint8Array | undefined;
    try {
      const secret = parseLinkCode(text);
      const { sealed } = await api<{ sealed: string }>("POST", "/v1/device-links/claim", {
        lookup: linkLookup(secret),
      });
      const payload = await openLink(secret, sealed);
      seed = fromBase64Url(payload.seed);
      if (toBase64Url(deriveIdentity(seed).signingPublicKey) !== payload.memberKey) {
        throw new Error("The linked key does not match its owner. Make a new code.");
      }
      await signIn(seed);
      await saveIdentity(seed, {
        memberKey: payload.memberKey,
        name: payload.name,
        familyName: payload.familyName,
        nodeId,
      });
      location.assign("/");
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    } finally {
      seed?.fill(0);
    }
  };

  useEffect(() => {
    const fromLink = decodeURIComponent(location.hash.slice(1));
    if (!fromLink) return;
    // The code leaves the address bar (and this history entry) at once.
    history.replaceState(null, "", location.pathname);
    setCode(fromLink);
    link(fromLink);
  }, []);

  if (insecure) return <SecureContextNotice problem={insecure} />;
  return (
    <form
      class="signin link-this-device"
      onSubmit={(e) => {
        e.preventDefault();
        link(code);
      }}
    >
      <ErrorAlert message={error} />
      <label for="link-code">Link code</label>
      <input
        id="link-code"
        class="code-input"
        autocomplete="off"
        autocapitalize="characters"
        spellcheck={false}
        value={code}
        onInput={(e) => setCode((e.target as HTMLInputElement).value)}
        aria-describedby="link-code-hint"
      />
      <p class="hint" id="link-code-hint">
        On a device where you are signed in, open Settings → Link a new device; type the code it
        shows (dashes and capitals do not matter).
      </p>
      <div class="btn-row">
        <button type="submit" class="btn btn-primary" disabled={busy || code.trim() === ""}>
          {busy ? "Linking…" : "Link this device"}
        </button>
        <a class="btn" href="/">Use the 24 words instead</a>
      </div>
    </form>
  );
}
