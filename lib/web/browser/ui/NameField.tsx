/**
 * A labelled name input with its hint, which gives way to the name's problem once the form
 * was submitted. Browser-compatible.
 *
 * @module
 */

import type { ComponentChildren } from "preact";

export interface NameFieldProps {
  /** The input's id; the hint's is `${id}-hint`. */
  id: string;
  label: string;
  value: string;
  onInput(value: string): void;
  maxLength: number;
  autocomplete: string;
  placeholder?: string;
  /** What is wrong with the name, shown instead of the hint; undefined while nothing is. */
  problem?: string;
  hint: ComponentChildren;
}

export function NameField(
  { id, label, value, onInput, maxLength, autocomplete, placeholder, problem, hint }:
    NameFieldProps,
) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        maxLength={maxLength}
        autocomplete={autocomplete}
        placeholder={placeholder}
        value={value}
        aria-invalid={problem ? "true" : undefined}
        aria-describedby={`${id}-hint`}
        onInput={(e) => onInput((e.target as HTMLInputElement).value)}
      />
      <p class="hint" id={`${id}-hint`}>
        {problem ? <span class="field-error">{problem}</span> : hint}
      </p>
    </div>
  );
}
