/**
 * Checks names people type before they are sealed into records (FORMAT §14.3: one line, at
 * most 80 characters; a person's name at most 60), so mistakes show next to the field with
 * words a person can act on. Node names (lib/core's DisplayName) follow the same limits.
 * Browser-compatible: pure. names_test.ts checks these agree with lib/crypto's nameProblem().
 *
 * @module
 */

export const MAX_PERSON_NAME = 60;
export const MAX_FAMILY_NAME = 80;
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A message when `name` cannot be a person's display name, else undefined. */
export function personNameProblem(name: string): string | undefined {
  const t = name.trim();
  if (t === "") return "Enter your name, as your family knows you.";
  if (t.length > MAX_PERSON_NAME) return `Use at most ${MAX_PERSON_NAME} characters.`;
  if (CONTROL.test(t)) return "Keep your name on one line.";
  return undefined;
}

/** A message when `name` cannot be a family's name, else undefined. */
export function familyNameProblem(name: string): string | undefined {
  const t = name.trim();
  if (t === "") return "Enter a name for your family, e.g. “The Okafors”.";
  if (t.length > MAX_FAMILY_NAME) return `Use at most ${MAX_FAMILY_NAME} characters.`;
  if (CONTROL.test(t)) return "Keep the family name on one line.";
  return undefined;
}
