/**
 * Timing marks that survive a page change, for bench/sign_in.ts: steps are marked with
 * `performance.mark()`, and before the page moves on they are kept in sessionStorage (per tab,
 * per origin; times only, nothing else). Browser-only; does nothing where storage is missing.
 *
 * @module
 */

const KEY = "p2pos:timing";

/** Starts a timed flow: forgets earlier steps and notes the wall-clock start. */
export function timingStart(flow: string): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ flow, start: Date.now(), steps: {} }));
  } catch { /* no storage: no timing */ }
}

/** Notes that `step` of the flow started with {@link timingStart} was reached now. */
export function timingStep(step: string): void {
  try {
    const t = JSON.parse(sessionStorage.getItem(KEY) ?? "null");
    if (!t) return;
    t.steps[step] = Date.now() - t.start;
    sessionStorage.setItem(KEY, JSON.stringify(t));
  } catch { /* no storage: no timing */ }
}
