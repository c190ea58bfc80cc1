/**
 * The replicator's periodic tasks: each runs, then waits its period before running again,
 * so a slow run never overlaps the next. A failure is logged and the task keeps its period.
 */

import { getLogger } from "../core/log.ts";

const log = getLogger("replication");

export class PeriodicTasks {
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  /** `stopped()` true: no task runs or is scheduled again. */
  constructor(private readonly stopped: () => boolean) {}

  /** Runs `fn` now (after `first` ms) and then every `ms`, never overlapping itself. */
  every(ms: number, fn: () => Promise<unknown>, first = ms): void {
    const run = async () => {
      if (this.stopped()) return;
      try {
        await fn();
      } catch (err) {
        log.warn("Replication task failed", { error: (err as Error).message });
      }
      if (!this.stopped()) schedule(ms);
    };
    const schedule = (delay: number) => {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        run();
      }, delay);
      this.#timers.add(t);
    };
    schedule(first);
  }

  /** Cancels every waiting run (one running now finishes). */
  clear(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
