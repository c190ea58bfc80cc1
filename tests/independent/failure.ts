/**
 * The verdict type of the second implementation: a failure names its kind and code exactly as
 * FORMAT §9.2 lists them, so its verdicts compare one to one with lib/crypto's.
 *
 * @module
 */

/** A check of FORMAT failed: `kind` and `code` as §9.2 names them. */
export class Failure extends Error {
  constructor(readonly kind: string, readonly code: string, detail = "") {
    super(`${kind} failure (${code})${detail ? `: ${detail}` : ""}`);
    this.name = "Failure";
  }
}

/** What a check gave: success with its value, or the failure's kind and code. */
export type Verdict<T = unknown> =
  | { ok: true; value: T }
  | { ok: false; kind: string; code: string };

/** Runs `fn` and turns a {@link Failure} into a verdict; any other error propagates (a bug). */
export async function verdictOf<T>(fn: () => T | Promise<T>): Promise<Verdict<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    if (error instanceof Failure) return { ok: false, kind: error.kind, code: error.code };
    throw error;
  }
}
