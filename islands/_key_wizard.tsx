/**
 * What the two wizards that make a new person's key share (SetupWizard, JoinFamily): the
 * steps, a fresh key shown as 24 words and checked, and the last step that signs the first
 * records, sends them and keeps the key in this browser. Not an island (the `_` prefix): the
 * islands import it. Browser-only.
 *
 * @module
 */

import type { ComponentChildren, RefObject } from "preact";
import { useState } from "preact/hooks";
import { newSeed, seedToMnemonic } from "../lib/crypto/mod.ts";
import { messageOf } from "../lib/web/browser/api.ts";
import { type IdentityMeta, saveIdentity } from "../lib/web/browser/keystore.ts";
import { type NewMember, newMember } from "../lib/web/browser/new_member.ts";
import { syncClock } from "../lib/web/browser/records.ts";
import type { InsecureContext } from "../lib/web/browser/secure_context.ts";
import { BackupWords } from "../lib/web/browser/ui/BackupWords.tsx";
import { ConfirmWords } from "../lib/web/browser/ui/ConfirmWords.tsx";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { useFocusOnChange, useInsecureContext } from "../lib/web/browser/ui/hooks.ts";
import { SecureContextNotice } from "../lib/web/browser/ui/SecureContextNotice.tsx";
import { StepProgress } from "../lib/web/browser/ui/StepProgress.tsx";

/** How the last step makes the new person a member. */
export interface FinishOptions {
  /** The last step's index: where the wizard shows progress, then any error. */
  step: number;
  /** Who the new key belongs to, kept with it in this browser. */
  meta: Omit<IdentityMeta, "memberKey">;
  /** Signs the new member's records and sends them to the node (its clock already seen). */
  send(member: NewMember): Promise<void>;
  /** The words for a failure of `send`. @default messageOf */
  problem?: (err: unknown) => string;
  /** What was done when the key could not be kept: "Your family was created". */
  done: string;
}

/** The state of a wizard that makes a new key; see {@linkcode useKeyWizard}. */
export interface KeyWizard {
  insecure: InsecureContext | undefined;
  step: number;
  headingRef: RefObject<HTMLHeadingElement | null>;
  /** Goes to step `next`, forgetting the last error. */
  go(next: number): void;
  /** Makes a fresh key and goes to step `wordsStep`, which shows it. */
  newKey(wordsStep: number): void;
  /** The key's 24 words; empty before {@linkcode KeyWizard.newKey}. */
  words: string[];
  busy: boolean;
  setBusy(busy: boolean): void;
  error: string | undefined;
  setError(error: string | undefined): void;
  /** Makes the new person a member, keeps the key, then opens the start page. */
  finish(options: FinishOptions): Promise<void>;
}

export function useKeyWizard(): KeyWizard {
  const insecure = useInsecureContext();
  const [step, setStep] = useState(0);
  const [seed, setSeed] = useState<Uint8Array | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const headingRef = useFocusOnChange<HTMLHeadingElement>(step);

  const go = (next: number) => {
    setError(undefined);
    setStep(next);
  };

  const newKey = (wordsStep: number) => {
    // A fresh key each time this is passed: words already shown are never reused for a key
    // the person may not have written down.
    setSeed(newSeed());
    go(wordsStep);
  };

  const finish = async ({ step, meta, send, problem = messageOf, done }: FinishOptions) => {
    if (!seed || busy) return;
    setBusy(true);
    go(step);
    const member = newMember(seed, meta);
    try {
      // Stamps that sort after everything the node has, before anything is signed.
      await syncClock();
      await send(member);
    } catch (err) {
      setError(problem(err));
      setBusy(false);
      return;
    }
    try {
      await saveIdentity(seed, member.identity.meta);
    } catch (err) {
      setError(
        `${done}, but this browser could not keep your key (${
          messageOf(err)
        }). Sign in with your 24 words.`,
      );
      setBusy(false);
      return;
    }
    location.assign("/");
  };

  const words = seed ? seedToMnemonic(seed).split(" ") : [];
  return {
    insecure,
    step,
    headingRef,
    go,
    newKey,
    words,
    busy,
    setBusy,
    error,
    setError,
    finish,
  };
}

/** The insecure-context notice, the progress through `steps` and the step's title. */
export function WizardHead(
  { wizard, steps, titles }: { wizard: KeyWizard; steps: string[]; titles: string[] },
) {
  return (
    <>
      {wizard.insecure && <SecureContextNotice problem={wizard.insecure} />}
      <StepProgress steps={steps} current={wizard.step} />
      <h2 ref={wizard.headingRef} tabIndex={-1} class="wizard-title">{titles[wizard.step]}</h2>
    </>
  );
}

/** Steps `at` (the words to write down) and `at + 1` (three of them checked). */
export function WordsSteps(
  { wizard, at, onConfirmed }: { wizard: KeyWizard; at: number; onConfirmed(): void },
) {
  if (wizard.step === at) {
    return (
      <BackupWords
        words={wizard.words}
        onBack={() => wizard.go(at - 1)}
        onContinue={() => wizard.go(at + 1)}
      />
    );
  }
  if (wizard.step === at + 1) {
    return (
      <ConfirmWords
        words={wizard.words}
        onBack={() => wizard.go(at)}
        onConfirmed={onConfirmed}
      />
    );
  }
  return null;
}

/** The last step: `working` while it runs, then the error and `children` (its buttons). */
export function LastStep(
  { error, working, children }: {
    error: string | undefined;
    working: ComponentChildren;
    children: ComponentChildren;
  },
) {
  return (
    <div class="creating" aria-live="polite">
      {error
        ? (
          <>
            <ErrorAlert message={error} />
            <div class="btn-row">{children}</div>
          </>
        )
        : <p class="loading">{working}</p>}
    </div>
  );
}

/** The last step's "Try again", disabled while it runs. */
export function TryAgain({ wizard, onClick }: { wizard: KeyWizard; onClick(): void }) {
  return (
    <button type="button" class="btn btn-primary" onClick={onClick} disabled={wizard.busy}>
      Try again
    </button>
  );
}
