/**
 * Checks names people type before they are signed into records, with the limits of
 * lib/core's schemas (DisplayName, FamilyBody.name), so mistakes show next to the field
 * instead of as a node error. Browser-compatible: pure.
 *
 * The rules are restated here rather than imported because the schemas bring zod (~450 KB
 * minified) into every island bundle; names_test.ts checks both agree.
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
