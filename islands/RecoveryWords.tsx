import { useState } from "preact/hooks";
import { seedToMnemonic } from "../lib/crypto/mod.ts";
import { messageOf } from "../lib/web/browser/api.ts";
import { loadIdentity } from "../lib/web/browser/keystore.ts";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { useInsecureContext } from "../lib/web/browser/ui/hooks.ts";
import { MnemonicWords } from "../lib/web/browser/ui/MnemonicWords.tsx";
import { SecureContextNotice } from "../lib/web/browser/ui/SecureContextNotice.tsx";

type View = "hidden" | "confirm" | "shown" | "missing";

/**
 * Settings: shows the 24 recovery words of the key this browser holds, after a deliberate
 * second click, and hides them again. The words exist only in this page's memory while shown.
 */
export default function RecoveryWords(_props: Record<string, never>) {
  const insecure = useInsecureContext();
  const [view, setView] = useState<View>("hidden");
  const [words, setWords] = useState<string[]>([]);
  const [error, setError] = useState<string | undefined>();

  const reveal = async () => {
    setError(undefined);
    try {
      const identity = await loadIdentity();
      if (!identity) {
        setView("missing");
        return;
      }
      setWords(seedToMnemonic(identity.seed).split(" "));
      setView("shown");
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const hide = () => {
    setWords([]);
    setView("hidden");
  };

  if (insecure) return <SecureContextNotice problem={insecure} />;

  return (
    <div class="recovery-words">
      <ErrorAlert message={error} />
      {view === "hidden" && (
        <div class="btn-row">
          <button type="button" class="btn" onClick={() => setView("confirm")}>
            Show my recovery words…
          </button>
        </div>
      )}
      {view === "confirm" && (
        <div class="confirm-panel">
          <p>
            <strong>Anyone who sees these words can act as you.</strong>{" "}
            Make sure nobody is watching your screen and that you are not sharing it or recording.
          </p>
          <div class="btn-row">
            <button type="button" class="btn btn-primary" onClick={reveal}>
              Show the 24 words
            </button>
            <button type="button" class="btn" onClick={() => setView("hidden")}>Cancel</button>
          </div>
        </div>
      )}
      {view === "shown" && (
        <div class="revealed">
          <MnemonicWords words={words} />
          <div class="btn-row">
            <button type="button" class="btn btn-primary" onClick={hide}>Hide the words</button>
          </div>
        </div>
      )}
      {view === "missing" && (
        <div class="alert alert-warn" role="alert">
          This browser does not hold your key (its storage may have been cleared), so it cannot show
          your words. Use the paper you wrote them on; to keep the key here again,{" "}
          <a href="/">sign in with your words</a> after locking.
        </div>
      )}
    </div>
  );
}
