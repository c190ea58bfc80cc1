import { useEffect, useState } from "preact/hooks";
import { fromBase64Url, openName } from "../lib/crypto/mod.ts";
import { api, messageOf } from "../lib/web/browser/api.ts";
import type {
  FamilyKeyRecordBody,
  FamilyRecordBody,
  MemberRecordBody,
  Role,
} from "../lib/web/browser/api_types.ts";
import { type FamilyKeys, openInvite } from "../lib/web/browser/family_keys.ts";
import { type IdentityMeta, identityMeta } from "../lib/web/browser/keystore.ts";
import { MAX_PERSON_NAME, personNameProblem } from "../lib/web/browser/names.ts";
import { following } from "../lib/web/browser/new_member.ts";
import { makeSignedRecord } from "../lib/web/browser/records.ts";
import { fillNameSlots } from "../lib/web/browser/ui/name_slots.ts";
import { NameField } from "../lib/web/browser/ui/NameField.tsx";
import { LastStep, TryAgain, useKeyWizard, WizardHead, WordsSteps } from "./_key_wizard.tsx";

/** What the join page shows of the family: ciphertext the link's fragment opens. */
export interface SealedFamily {
  family: Pick<FamilyRecordBody, "epoch" | "keyId" | "keys" | "name">;
  /** The invite's X25519 key. */
  invite: string;
  /** The family key wrapped to it; null when no admin wrapped the key in force for it. */
  wrap: FamilyKeyRecordBody | null;
}

/** What the link's fragment opened: the family's keys and name, or why not. */
type Opened =
  | { state: "opening" }
  | { state: "open"; keys: FamilyKeys; familyName: string }
  | { state: "problem"; message: string };

interface Props {
  token: string;
  sealed: SealedFamily;
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
 * Redeems an invite link (DESIGN §4): the secret after `#` (never sent to a node) opens the
 * family key wrapped for the invite, and with it the family's name (FORMAT §14); the new
 * person's browser makes their key, shows it as 24 words, checks three of them, then signs
 * their own member record carrying the invite token and their name sealed under the family
 * key, and the family key wrapped for their own key, and joins.
 */
export default function JoinFamily({ token, sealed, role, nodeId, prev, after }: Props) {
  const wizard = useKeyWizard();
  const { insecure } = wizard;
  const [opened, setOpened] = useState<Opened>({ state: "opening" });
  const [name, setName] = useState("");
  const [showNameError, setShowNameError] = useState(false);
  const [existing, setExisting] = useState<IdentityMeta | undefined>();
  const [replaceExisting, setReplaceExisting] = useState(false);

  useEffect(() => {
    identityMeta().then(setExisting).catch(() => {});
    const secret = decodeURIComponent(location.hash.slice(1));
    // The secret leaves the address bar (and this history entry) at once.
    if (secret) history.replaceState(null, "", location.pathname);
    openLink(secret, sealed).then((o) => {
      setOpened(o);
      if (o.state === "open") fillNameSlots("family", o.familyName, "open");
    });
  }, []);

  const familyName = opened.state === "open" ? opened.familyName : "the family";
  const nameProblem = personNameProblem(name);
  const submitName = (e: Event) => {
    e.preventDefault();
    setShowNameError(true);
    if (nameProblem || (existing && !replaceExisting) || opened.state !== "open") return;
    wizard.newKey(1);
  };

  const join = async () => {
    if (opened.state !== "open") return;
    await wizard.finish({
      step: 3,
      meta: { name: name.trim(), familyName, nodeId },
      done: `You joined ${familyName}`,
      send: async ({ identity, memberKey, x25519 }) => {
        const body: MemberRecordBody = {
          x25519,
          name: await opened.keys.sealPersonName(name.trim()),
          role: role as Role,
          removed: false,
          invite: token,
        };
        const record = await makeSignedRecord("member", memberKey, body, {
          identity,
          prev,
          after,
        });
        // The family key, wrapped for her own key: she reads names on any device from now on.
        const familyKey = await makeSignedRecord(
          "family_key",
          x25519,
          await opened.keys.wrapFor(x25519),
          following(record, identity),
        );
        await api("POST", "/v1/join", { record, familyKey });
      },
    });
  };

  const roleText = role === "admin" ? "an admin" : "a member";
  const step = wizard.step;

  return (
    <div class="wizard">
      <WizardHead wizard={wizard} steps={STEPS} titles={TITLES} />

      {step === 0 && opened.state === "problem" && (
        <div class="alert alert-warn" role="alert">
          <p>{opened.message}</p>
        </div>
      )}

      {step === 0 && opened.state === "opening" && (
        <p class="loading" aria-live="polite">Opening your invitation…</p>
      )}

      {step === 0 && opened.state === "open" && (
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
          <NameField
            id="join-name"
            label="Your name"
            maxLength={MAX_PERSON_NAME}
            autocomplete="given-name"
            value={name}
            onInput={setName}
            problem={showNameError ? nameProblem : undefined}
            hint={`You join ${familyName} as ${roleText}.`}
          />
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

      <WordsSteps wizard={wizard} at={1} onConfirmed={join} />

      {step === 3 && (
        <LastStep
          error={wizard.error}
          working={`Signing your membership and joining ${familyName}…`}
        >
          <TryAgain wizard={wizard} onClick={join} />
          <a class="btn" href="/">Go to the start page</a>
        </LastStep>
      )}
    </div>
  );
}

/** Opens the invite with the link's secret: the family key, then the family's name. */
async function openLink(secret: string, sealed: SealedFamily): Promise<Opened> {
  if (!secret) {
    return {
      state: "problem",
      message: "This invite link is not complete: the part after # is missing, and it holds " +
        "the key to your family's names. Open the whole link you were sent again.",
    };
  }
  try {
    const keys = await openInvite(secret, { x25519: sealed.invite }, sealed.family, sealed.wrap);
    if (!keys) {
      return {
        state: "problem",
        message: "This invitation is waiting for an admin: the family's key changed after it " +
          "was made. Ask the admin who invited you to open the family's vault once (their " +
          "browser brings the invitation up to date), then open this link again.",
      };
    }
    const familyName = await openName(fromBase64Url(sealed.family.name), keys.current);
    return { state: "open", keys, familyName };
  } catch (err) {
    return { state: "problem", message: messageOf(err) };
  }
}
