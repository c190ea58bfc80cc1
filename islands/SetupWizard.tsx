import { useState } from "preact/hooks";
import {
  deriveIdentity,
  newSeed,
  recordHash,
  seedToMnemonic,
  toBase64Url,
} from "../lib/crypto/mod.ts";
import { api, ApiError, messageOf } from "../lib/web/browser/api.ts";
import { foundingBodies } from "../lib/web/browser/family_keys.ts";
import { saveIdentity, type UnlockedIdentity } from "../lib/web/browser/keystore.ts";
import {
  familyNameProblem,
  MAX_FAMILY_NAME,
  MAX_PERSON_NAME,
  personNameProblem,
} from "../lib/web/browser/names.ts";
import { makeSignedRecord, randomId, syncClock } from "../lib/web/browser/records.ts";
import { formatSetupCode, isCompleteSetupCode } from "../lib/web/browser/setup_code.ts";
import { BackupWords } from "../lib/web/browser/ui/BackupWords.tsx";
import { ConfirmWords } from "../lib/web/browser/ui/ConfirmWords.tsx";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { useFocusOnChange, useInsecureContext } from "../lib/web/browser/ui/hooks.ts";
import { SecureContextNotice } from "../lib/web/browser/ui/SecureContextNotice.tsx";
import { StepProgress } from "../lib/web/browser/ui/StepProgress.tsx";

interface Props {
  nodeId: string;
}

const STEPS = ["Setup code", "Names", "Recovery words", "Check words", "Create"];
const TITLES = [
  "Enter the setup code",
  "Name your family",
  "Write down your recovery words",
  "Check your words",
  "Creating your family",
];

/** Messages for the setup endpoints' error codes, in words a person can act on. */
function setupError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === "bad_setup_code") {
      return "That code is not right. Copy it again from the node's console, where it says “Setup code”.";
    }
    if (err.code === "already_set_up" || err.status === 409) {
      return "This node already belongs to a family. Ask one of its admins for an invite, or sign in.";
    }
    if (err.code === "too_many_attempts") {
      return "Too many wrong codes. Wait a few minutes, then try again.";
    }
  }
  return messageOf(err);
}

/**
 * First run (DESIGN §4): setup code → names → new key, shown as 24 words → check three of
 * them → sign the family and founder records and create the family on this node.
 */
export default function SetupWizard({ nodeId }: Props) {
  const insecure = useInsecureContext();
  const [step, setStep] = useState(0);
  const [code, setCode] = useState("");
  const [familyName, setFamilyName] = useState("");
  const [yourName, setYourName] = useState("");
  const [nodeName, setNodeName] = useState("");
  const [showNameErrors, setShowNameErrors] = useState(false);
  const [seed, setSeed] = useState<Uint8Array | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const headingRef = useFocusOnChange<HTMLHeadingElement>(step);

  const go = (next: number) => {
    setError(undefined);
    setStep(next);
  };

  const checkCode = async (e: Event) => {
    e.preventDefault();
    if (!isCompleteSetupCode(code) || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      await api("POST", "/v1/setup/check", { code });
      go(1);
    } catch (err) {
      setError(setupError(err));
    } finally {
      setBusy(false);
    }
  };

  const familyProblem = familyNameProblem(familyName);
  const personProblem = personNameProblem(yourName);
  const submitNames = (e: Event) => {
    e.preventDefault();
    setShowNameErrors(true);
    if (familyProblem || personProblem) return;
    // A fresh key each time the names step is passed: words already shown are never reused
    // for a key the person may not have written down.
    setSeed(newSeed());
    go(2);
  };

  const create = async () => {
    if (!seed || busy) return;
    setBusy(true);
    setError(undefined);
    go(4);
    const keys = deriveIdentity(seed);
    const memberKey = toBase64Url(keys.signingPublicKey);
    const identity: UnlockedIdentity = {
      meta: { memberKey, name: yourName.trim(), familyName: familyName.trim(), nodeId },
      seed,
      keys,
    };
    try {
      await syncClock();
      // The names are sealed under a new family key, wrapped for the founder (FORMAT §14).
      const x25519 = toBase64Url(keys.x25519PublicKey);
      const bodies = await foundingBodies(
        { key: memberKey, x25519 },
        { family: familyName.trim(), founder: yourName.trim() },
      );
      // The family log starts here: the family record follows nothing, each next one the
      // one before.
      const family = await makeSignedRecord("family", randomId(), bodies.family, {
        identity,
        prev: [],
      });
      const member = await makeSignedRecord("member", memberKey, bodies.member, {
        identity,
        prev: [recordHash(family)],
        after: family.hlc,
      });
      const familyKey = await makeSignedRecord("family_key", x25519, bodies.familyKey, {
        identity,
        prev: [recordHash(member)],
        after: member.hlc,
      });
      // This node's own node record (docs/PROTOCOL.md §4), so it can pair other nodes later.
      const ch = await api<{ nodeId: string; nodePublicKey?: string; nodeUrl?: string }>(
        "POST",
        "/v1/auth/challenge",
        {},
      );
      const node = ch.nodePublicKey
        ? await makeSignedRecord("node", ch.nodeId, {
          publicKey: ch.nodePublicKey,
          name: nodeName.replace(/\s+/g, " ").trim().slice(0, MAX_PERSON_NAME) || "First node",
          removed: false,
          ...(ch.nodeUrl ? { url: ch.nodeUrl } : {}),
        }, { identity, prev: [recordHash(familyKey)], after: familyKey.hlc })
        : undefined;
      const records = node ? [family, member, familyKey, node] : [family, member, familyKey];
      await api("POST", "/v1/setup", { code, records });
    } catch (err) {
      setError(setupError(err));
      setBusy(false);
      return;
    }
    try {
      await saveIdentity(seed, {
        memberKey,
        name: yourName.trim(),
        familyName: familyName.trim(),
        nodeId,
      });
    } catch (err) {
      setError(
        `Your family was created, but this browser could not keep your key (${
          messageOf(err)
        }). Sign in with your 24 words.`,
      );
      setBusy(false);
      return;
    }
    location.assign("/");
  };

  const words = seed ? seedToMnemonic(seed).split(" ") : [];

  return (
    <div class="wizard">
      {insecure && <SecureContextNotice problem={insecure} />}
      <StepProgress steps={STEPS} current={step} />
      <h2 ref={headingRef} tabIndex={-1} class="wizard-title">{TITLES[step]}</h2>

      {step === 0 && (
        <form class="setup-form" method="post" onSubmit={checkCode}>
          <ErrorAlert message={error} />
          <label for="setup-code">Setup code</label>
          <input
            id="setup-code"
            name="code"
            class="code-input"
            autocomplete="off"
            autocapitalize="characters"
            spellcheck={false}
            placeholder="XXXX-XXXX-XXXX"
            aria-describedby="setup-code-hint"
            value={code}
            onInput={(e) => setCode(formatSetupCode((e.target as HTMLInputElement).value))}
          />
          <p class="hint" id="setup-code-hint">
            {insecure
              ? "Open this page at one of the addresses above to continue."
              : isCompleteSetupCode(code)
              ? "Looks right. Continue to create your family."
              : "12 characters, shown in the node's console next to “Setup code”."}
          </p>
          <button
            type="submit"
            class="btn btn-primary"
            disabled={!isCompleteSetupCode(code) || busy || Boolean(insecure)}
          >
            {busy ? "Checking…" : "Continue"}
          </button>
        </form>
      )}

      {step === 1 && (
        <form class="names-form" onSubmit={submitNames} noValidate>
          <div class="field">
            <label for="family-name">Family name</label>
            <input
              id="family-name"
              maxLength={MAX_FAMILY_NAME}
              autocomplete="off"
              placeholder="The Okafors"
              value={familyName}
              aria-invalid={showNameErrors && familyProblem ? "true" : undefined}
              aria-describedby="family-name-hint"
              onInput={(e) => setFamilyName((e.target as HTMLInputElement).value)}
            />
            <p class="hint" id="family-name-hint">
              {showNameErrors && familyProblem
                ? <span class="field-error">{familyProblem}</span>
                : "Everyone in the family sees this name; it is encrypted, so nodes do not."}
            </p>
          </div>
          <div class="field">
            <label for="your-name">Your name</label>
            <input
              id="your-name"
              maxLength={MAX_PERSON_NAME}
              autocomplete="given-name"
              placeholder="Ada"
              value={yourName}
              aria-invalid={showNameErrors && personProblem ? "true" : undefined}
              aria-describedby="your-name-hint"
              onInput={(e) => setYourName((e.target as HTMLInputElement).value)}
            />
            <p class="hint" id="your-name-hint">
              {showNameErrors && personProblem
                ? <span class="field-error">{personProblem}</span>
                : "You will be the family's first admin: you invite the others."}
            </p>
          </div>
          <div class="field">
            <label for="node-name">Name of this node (optional)</label>
            <input
              id="node-name"
              maxLength={MAX_PERSON_NAME}
              autocomplete="off"
              placeholder="Home PC"
              value={nodeName}
              aria-describedby="node-name-hint"
              onInput={(e) => setNodeName((e.target as HTMLInputElement).value)}
            />
            <p class="hint" id="node-name-hint">
              Where this computer is, so the family can tell its nodes apart: “Home PC”, “Grandma's
              NAS”.
            </p>
          </div>
          <div class="btn-row">
            <button type="button" class="btn" onClick={() => go(0)}>Back</button>
            <button type="submit" class="btn btn-primary">Continue</button>
          </div>
        </form>
      )}

      {step === 2 && <BackupWords words={words} onBack={() => go(1)} onContinue={() => go(3)} />}

      {step === 3 && <ConfirmWords words={words} onBack={() => go(2)} onConfirmed={create} />}

      {step === 4 && (
        <div class="creating" aria-live="polite">
          {error
            ? (
              <>
                <ErrorAlert message={error} />
                <div class="btn-row">
                  <button type="button" class="btn" onClick={() => go(0)}>Start again</button>
                  <button type="button" class="btn btn-primary" onClick={create} disabled={busy}>
                    Try again
                  </button>
                </div>
              </>
            )
            : (
              <p class="loading">
                Signing your family's first records and creating it on this node…
              </p>
            )}
        </div>
      )}
    </div>
  );
}
