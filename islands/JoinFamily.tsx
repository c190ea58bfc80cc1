import { useEffect, useState } from "preact/hooks";
import { deriveIdentity, newSeed, seedToMnemonic, toBase64Url } from "../lib/crypto/mod.ts";
import { api, messageOf } from "../lib/web/browser/api.ts";
import type { JoinedResponse, MemberRecordBody, Role } from "../lib/web/browser/api_types.ts";
import {
  type IdentityMeta,
  identityMeta,
  saveIdentity,
  type UnlockedIdentity,
} from "../lib/web/browser/keystore.ts";
import { MAX_PERSON_NAME, personNameProblem } from "../lib/web/browser/names.ts";
import { makeSignedRecord, syncClock } from "../lib/web/browser/records.ts";
import { BackupWords } from "../lib/web/browser/ui/BackupWords.tsx";
import { ConfirmWords } from "../lib/web/browser/ui/ConfirmWords.tsx";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { useFocusOnChange, useInsecureContext } from "../lib/web/browser/ui/hooks.ts";
import { SecureContextNotice } from "../lib/web/browser/ui/SecureContextNotice.tsx";
import { StepProgress } from "../lib/web/browser/ui/StepProgress.tsx";

interface Props {
  token: string;
  familyName: string;
  role: string;
  nodeId: string;
  /** What the join follows in the family log (the node's heads when the page was made). */
  prev: string[];
  /** The greatest stamp among them. */
  after?: string;
}

const STEPS = ["Your name", "Recovery words", "Check words", "Join"];
const TITLES = [
  "What should the family call you?",
  "Write down your recovery words",
  "Check your words",
  "Joining",
];

/**
 * Redeems an invite link (DESIGN §4): the new person's browser makes their key, shows it as
 * 24 words, checks three of them, then signs their own member record carrying the invite
 * token and joins.
 */
export default function JoinFamily({ token, familyName, role, nodeId, prev, after }: Props) {
  const insecure = useInsecureContext();
  const [step, setStep] = useState(0);
  const [name, setName] = useState("");
  const [showNameError, setShowNameError] = useState(false);
  const [existing, setExisting] = useState<IdentityMeta | undefined>();
  const [replaceExisting, setReplaceExisting] = useState(false);
  const [seed, setSeed] = useState<Uint8Array | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const headingRef = useFocusOnChange<HTMLHeadingElement>(step);

  useEffect(() => {
    identityMeta().then(setExisting).catch(() => {});
  }, []);

  const go = (next: number) => {
    setError(undefined);
    setStep(next);
  };

  const nameProblem = personNameProblem(name);
  const submitName = (e: Event) => {
    e.preventDefault();
    setShowNameError(true);
    if (nameProblem || (existing && !replaceExisting)) return;
    setSeed(newSeed());
    go(1);
  };

  const join = async () => {
    if (!seed || busy) return;
    setBusy(true);
    go(3);
    const keys = deriveIdentity(seed);
    const memberKey = toBase64Url(keys.signingPublicKey);
    const identity: UnlockedIdentity = {
      meta: { memberKey, name: name.trim(), familyName, nodeId },
      seed,
      keys,
    };
    let joined: JoinedResponse;
    try {
      await syncClock();
      const body: MemberRecordBody = {
        x25519: toBase64Url(keys.x25519PublicKey),
        name: name.trim(),
        role: role as Role,
        removed: false,
        invite: token,
      };
      const record = await makeSignedRecord("member", memberKey, body, { identity, prev, after });
      joined = await api<JoinedResponse>("POST", "/v1/join", { record });
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
      return;
    }
    try {
      await saveIdentity(seed, {
        memberKey,
        name: joined.member?.name ?? name.trim(),
        familyName: joined.family?.name ?? familyName,
        nodeId,
      });
    } catch (err) {
      setError(
        `You joined ${familyName}, but this browser could not keep your key (${
          messageOf(err)
        }). Sign in with your 24 words.`,
      );
      setBusy(false);
      return;
    }
    location.assign("/");
  };

  const words = seed ? seedToMnemonic(seed).split(" ") : [];
  const roleText = role === "admin" ? "an admin" : "a member";

  return (
    <div class="wizard">
      {insecure && <SecureContextNotice problem={insecure} />}
      <StepProgress steps={STEPS} current={step} />
      <h2 ref={headingRef} tabIndex={-1} class="wizard-title">{TITLES[step]}</h2>

      {step === 0 && (
        <form class="join-form" onSubmit={submitName} noValidate>
          {existing && (
            <div class="alert alert-warn">
              <p>
                This browser already holds the key of <strong>{existing.name}</strong>{" "}
                ({existing.familyName}). Joining makes a new key for a new person and replaces that
                one in this browser. If you are {existing.name}, you do not need this invite:{" "}
                <a href="/">sign in</a>.
              </p>
              <label class="check">
                <input
                  type="checkbox"
                  checked={replaceExisting}
                  onChange={(e) => setReplaceExisting((e.target as HTMLInputElement).checked)}
                />
                I am someone else: replace {existing.name}'s key in this browser
              </label>
            </div>
          )}
          <div class="field">
            <label for="join-name">Your name</label>
            <input
              id="join-name"
              maxLength={MAX_PERSON_NAME}
              autocomplete="given-name"
              value={name}
              aria-invalid={showNameError && nameProblem ? "true" : undefined}
              aria-describedby="join-name-hint"
              onInput={(e) => setName((e.target as HTMLInputElement).value)}
            />
            <p class="hint" id="join-name-hint">
              {showNameError && nameProblem
                ? <span class="field-error">{nameProblem}</span>
                : `You join ${familyName} as ${roleText}.`}
            </p>
          </div>
          <div class="btn-row">
            <button
              type="submit"
              class="btn btn-primary"
              disabled={Boolean(insecure) || Boolean(existing && !replaceExisting)}
            >
              Continue
            </button>
          </div>
        </form>
      )}

      {step === 1 && <BackupWords words={words} onBack={() => go(0)} onContinue={() => go(2)} />}

      {step === 2 && <ConfirmWords words={words} onBack={() => go(1)} onConfirmed={join} />}

      {step === 3 && (
        <div class="creating" aria-live="polite">
          {error
            ? (
              <>
                <ErrorAlert message={error} />
                <div class="btn-row">
                  <button type="button" class="btn btn-primary" onClick={join} disabled={busy}>
                    Try again
                  </button>
                  <a class="btn" href="/">Go to the start page</a>
                </div>
              </>
            )
            : <p class="loading">Signing your membership and joining {familyName}…</p>}
        </div>
      )}
    </div>
  );
}
