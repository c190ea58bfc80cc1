import { useEffect, useState } from "preact/hooks";
import { deriveIdentity, MnemonicError, mnemonicToSeed, toBase64Url } from "../lib/crypto/mod.ts";
import { ApiError, messageOf } from "../lib/web/browser/api.ts";
import {
  forgetIdentity,
  type IdentityMeta,
  identityMeta,
  loadIdentity,
  saveIdentity,
} from "../lib/web/browser/keystore.ts";
import { ownNames } from "../lib/web/browser/family_names.ts";
import { safeNext, signIn } from "../lib/web/browser/session.ts";
import { movedFrom } from "../lib/web/browser/family_nodes.ts";
import { timingStart, timingStep } from "../lib/web/browser/timing.ts";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { useInsecureContext } from "../lib/web/browser/ui/hooks.ts";
import { SecureContextNotice } from "../lib/web/browser/ui/SecureContextNotice.tsx";

interface Props {
  nodeId: string;
  next?: string;
}

type Mode = "loading" | "known" | "words";

/**
 * Sign-in: with the key this browser already holds ("Sign in as Ada"), or by adding this
 * device with the 24 recovery words, which are then kept (sealed) in this browser. Names are
 * encrypted (FORMAT §14): before sign-in the page knows only what this browser's own label of
 * its key says; after, it opens the member's and the family's names to keep in that label.
 */
export default function SignIn({ nodeId, next }: Props) {
  const insecure = useInsecureContext();
  const [mode, setMode] = useState<Mode>("loading");
  const [meta, setMeta] = useState<IdentityMeta | undefined>();
  const [words, setWords] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  /** The node said the held key is not a member (removed, or another family's key). */
  const [refused, setRefused] = useState(false);

  /** The family node this page was moved from, when that one stopped answering. */
  const [movedFromNode, setMovedFromNode] = useState<string | undefined>();

  useEffect(() => {
    const from = movedFrom(new URL(location.href));
    setMovedFromNode(from);
    identityMeta()
      .then((m) => {
        setMeta(m);
        setMode(m ? "known" : "words");
        // Moved here because another node stopped answering: the key this browser holds for
        // this node signs in at once, so moving between the family's nodes is seamless.
        if (m && from) signInKnown();
      })
      .catch(() => setMode("words")); // no storage here: typing the words still works
  }, []);

  const familyName = meta?.familyName ?? "your family";
  const notMember = `This key is not a member of ${meta?.familyName ?? "this family"} on this ` +
    `node. Check the words, or ask an admin whether you were removed.`;
  const explain = (err: unknown) =>
    err instanceof ApiError && err.status === 401 ? notMember : messageOf(err);
  const done = () => location.assign(safeNext(next));

  const signInKnown = async () => {
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      const identity = await loadIdentity();
      if (!identity) {
        setMode("words");
        return;
      }
      await signIn(identity.seed);
      done();
    } catch (err) {
      setRefused(err instanceof ApiError && err.status === 401);
      setError(explain(err));
      setBusy(false);
    }
  };

  const signInWithWords = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setError(undefined);
    timingStart("sign-in"); // bench/sign_in.ts reads these steps
    let seed: Uint8Array;
    try {
      seed = mnemonicToSeed(words);
      timingStep("words read");
    } catch (err) {
      setError(
        err instanceof MnemonicError
          ? `${err.message}. Check each word against your paper.`
          : messageOf(err),
      );
      return;
    }
    setBusy(true);
    try {
      await signIn(seed);
      timingStep("session opened");
      const memberKey = toBase64Url(deriveIdentity(seed).signingPublicKey);
      const names = await ownNames(seed);
      timingStep("names opened");
      await saveIdentity(seed, {
        memberKey,
        // Until an admin shares the family key with her, the label says so; pages update it.
        name: names.name ?? "You",
        familyName: names.family ?? "Your family",
        nodeId,
      }).catch(() => {
        // Signed in; this browser just cannot keep the key (private mode). Next time, words again.
      });
      timingStep("key kept");
      setWords("");
      done();
    } catch (err) {
      setError(explain(err));
      setBusy(false);
    } finally {
      seed.fill(0);
    }
  };

  const useOtherKey = () => {
    setError(undefined);
    setMode("words");
  };

  const forgetKnown = async () => {
    setError(undefined);
    await forgetIdentity().catch(() => {});
    setMeta(undefined);
    setRefused(false);
    setMode("words");
  };

  if (insecure) return <SecureContextNotice problem={insecure} />;

  if (mode === "loading") {
    return <p class="loading" aria-live="polite">Looking for your key in this browser…</p>;
  }

  const movedNote = movedFromNode && (
    <p class="alert alert-warn moved-note" role="status">
      {movedFromNode} is not answering, so this page moved to another node of {familyName}.
    </p>
  );

  if (mode === "known" && meta) {
    return (
      <div class="signin">
        {movedNote}
        <ErrorAlert message={error} />
        <p>
          This browser holds the key of <strong>{meta.name}</strong>.
        </p>
        <div class="btn-row">
          <button type="button" class="btn btn-primary" onClick={signInKnown} disabled={busy}>
            {busy ? "Signing in…" : `Sign in as ${meta.name}`}
          </button>
          <button type="button" class="btn" onClick={useOtherKey} disabled={busy}>
            Use other recovery words
          </button>
          {refused && (
            <button type="button" class="btn btn-danger" onClick={forgetKnown}>
              Forget this key on this device
            </button>
          )}
        </div>
      </div>
    );
  }

  return (
    <form class="signin add-device" onSubmit={signInWithWords} noValidate>
      {movedNote}
      <h2>Add this device</h2>
      <p>
        Type the 24 recovery words you wrote down when you joined{" "}
        {familyName}. They stay in this browser, sealed; they are never sent to the node.
      </p>
      {meta && (
        <p class="hint">
          Signing in with other words replaces {meta.name}'s key in this browser.{" "}
          <button type="button" class="btn-link" onClick={() => setMode("known")}>
            Sign in as {meta.name} instead
          </button>
        </p>
      )}
      <ErrorAlert message={error} />
      <label for="recovery-words">Recovery words</label>
      <textarea
        id="recovery-words"
        class="words-input"
        rows={4}
        autocomplete="off"
        autocapitalize="none"
        spellcheck={false}
        aria-describedby="recovery-words-hint"
        value={words}
        onInput={(e) => setWords((e.target as HTMLTextAreaElement).value)}
      />
      <p class="hint" id="recovery-words-hint">
        Separate the words with spaces or new lines; capitals do not matter.
      </p>
      <div class="btn-row">
        <button
          type="submit"
          class="btn btn-primary"
          disabled={busy || words.trim() === ""}
        >
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </div>
      <p class="hint">
        Signed in on another device? <a href="/link">Link from a signed-in device</a>{" "}
        instead of typing the words.
      </p>
      {meta === undefined && (
        <p class="hint">
          New here? Ask a family admin for an invite link.
        </p>
      )}
    </form>
  );
}
