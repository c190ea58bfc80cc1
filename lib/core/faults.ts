/**
 * Fault points for crash tests: named places in the write paths where a test can make the
 * node die at exactly that step (`P2POS_FAULTS=upload.finish.stored`, read by main.ts), so
 * a crash window is tested on purpose rather than hit by luck. Unarmed, a fault point is a
 * set lookup. The names in use are listed in docs/OPERATIONS.md ("Crash testing").
 *
 * Browser-compatible: no I/O (the action is given by main.ts).
 */

let armed = new Set<string>();
let action: (name: string) => void = () => {};

/** Arms `names`: reaching one of them runs `crash` (main.ts: SIGKILL to itself). */
export function armFaults(names: Iterable<string>, crash: (name: string) => void): void {
  armed = new Set(names);
  action = crash;
}

/** Marks a step of a write path; does nothing unless a test armed `name`. */
export function faultPoint(name: string): void {
  if (armed.size > 0 && armed.has(name)) action(name);
}

/**
 * Whether a test armed `name`: for faults that change behaviour rather than crash, such as
 * `byob.no-workaround` (lib/store/_consume_stream.ts), which brings back a Deno bug so a
 * test can show the stall limits alone keep replication going.
 */
export function faultArmed(name: string): boolean {
  return armed.size > 0 && armed.has(name);
}
