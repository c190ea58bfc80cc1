import { useState } from "preact/hooks";
import { api, ApiError, messageOf } from "../lib/web/browser/api.ts";
import { foundingBodies } from "../lib/web/browser/family_keys.ts";
import {
  familyNameProblem,
  MAX_FAMILY_NAME,
  MAX_PERSON_NAME,
  personNameProblem,
} from "../lib/web/browser/names.ts";
import { following } from "../lib/web/browser/new_member.ts";
import { makeSignedRecord, randomId } from "../lib/web/browser/records.ts";
import { formatSetupCode, isCompleteSetupCode } from "../lib/web/browser/setup_code.ts";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { NameField } from "../lib/web/browser/ui/NameField.tsx";
import { LastStep, TryAgain, useKeyWizard, WizardHead, WordsSteps } from "./_key_wizard.tsx";

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
  const wizard = useKeyWizard();
  const { insecure, busy, error, go, setBusy, setError } = wizard;
  const [code, setCode] = useState("");
  const [familyName, setFamilyName] = useState("");
  const [yourName, setYourName] = useState("");
  const [nodeName, setNodeName] = useState("");
  const [showNameErrors, setShowNameErrors] = useState(false);

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
    wizard.newKey(2);
  };

  const create = () =>
    wizard.finish({
      step: 4,
      meta: { name: yourName.trim(), familyName: familyName.trim(), nodeId },
      problem: setupError,
      done: "Your family was created",
      send: async ({ identity, memberKey, x25519 }) => {
        // The names are sealed under a new family key, wrapped for the founder (FORMAT §14).
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
        const member = await makeSignedRecord(
          "member",
          memberKey,
          bodies.member,
          following(family, identity),
        );
        const familyKey = await makeSignedRecord(
          "family_key",
          x25519,
          bodies.familyKey,
          following(member, identity),
        );
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
          }, following(familyKey, identity))
          : undefined;
        const records = node ? [family, member, familyKey, node] : [family, member, familyKey];
        await api("POST", "/v1/setup", { code, records });
      },
    });

  return (
    <div class="wizard">
      <WizardHead wizard={wizard} steps={STEPS} titles={TITLES} />

      {wizard.step === 0 && (
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

      {wizard.step === 1 && (
        <form class="names-form" onSubmit={submitNames} noValidate>
          <NameField
            id="family-name"
            label="Family name"
            maxLength={MAX_FAMILY_NAME}
            autocomplete="off"
            placeholder="The Okafors"
            value={familyName}
            onInput={setFamilyName}
            problem={showNameErrors ? familyProblem : undefined}
            hint="Everyone in the family sees this name; it is encrypted, so nodes do not."
          />
          <NameField
            id="your-name"
            label="Your name"
            maxLength={MAX_PERSON_NAME}
            autocomplete="given-name"
            placeholder="Ada"
            value={yourName}
            onInput={setYourName}
            problem={showNameErrors ? personProblem : undefined}
            hint="You will be the family's first admin: you invite the others."
          />
          <NameField
            id="node-name"
            label="Name of this node (optional)"
            maxLength={MAX_PERSON_NAME}
            autocomplete="off"
            placeholder="Home PC"
            value={nodeName}
            onInput={setNodeName}
            hint="Where this computer is, so the family can tell its nodes apart: “Home PC”, “Grandma's NAS”."
          />
          <div class="btn-row">
            <button type="button" class="btn" onClick={() => go(0)}>Back</button>
            <button type="submit" class="btn btn-primary">Continue</button>
          </div>
        </form>
      )}

      <WordsSteps wizard={wizard} at={2} onConfirmed={create} />

      {wizard.step === 4 && (
        <LastStep
          error={error}
          working="Signing your family's first records and creating it on this node…"
        >
          <button type="button" class="btn" onClick={() => go(0)}>Start again</button>
          <TryAgain wizard={wizard} onClick={create} />
        </LastStep>
      )}
    </div>
  );
}
