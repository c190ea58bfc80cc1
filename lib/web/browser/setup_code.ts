/**
 * The node's one-time setup code as people type it. Browser-compatible: pure functions.
 *
 * Codes use 32 characters without 0/O and 1/I, shown as XXXX-XXXX-XXXX; input is
 * upper-cased and anything outside the alphabet is dropped, so "abcd efgh jkmn" works.
 *
 * @module
 */

const NOT_CODE_CHARS = /[^23456789ABCDEFGHJKLMNPQRSTUVWXYZ]/g;
export const SETUP_CODE_LENGTH = 12;

export function formatSetupCode(input: string): string {
  const raw = input.toUpperCase().replace(NOT_CODE_CHARS, "").slice(0, SETUP_CODE_LENGTH);
  return raw.match(/.{1,4}/g)?.join("-") ?? "";
}

export function isCompleteSetupCode(code: string): boolean {
  return code.replace(/-/g, "").length === SETUP_CODE_LENGTH;
}
