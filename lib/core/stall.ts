/**
 * Stall limits for transfers: a body or an answer that makes no progress for a
 * given time is given up with a {@link StalledError}, so a peer or a client that
 * goes silent without closing its connection never holds a transfer slot, a
 * lock or a request forever (issue #13: a push that never ended stopped a
 * family's replication).
 *
 * Browser-compatible: timers and streams only.
 */

import { StalledError } from "./errors.ts";

/**
 * Aborts {@link signal} with a {@link StalledError} when {@link kick} is not called for
 * `ms`; it also aborts with the outer signal.
 */
export class StallTimer {
  readonly #ac = new AbortController();
  readonly signal: AbortSignal;
  readonly #ms: number;
  readonly #what: string;
  #timer?: ReturnType<typeof setTimeout>;

  constructor(ms: number, what: string, outer?: AbortSignal) {
    this.#ms = ms;
    this.#what = what;
    this.signal = outer ? AbortSignal.any([outer, this.#ac.signal]) : this.#ac.signal;
    this.kick();
  }

  /** Progress: the limit starts again. */
  kick(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => this.#ac.abort(new StalledError(`${this.#what} made no progress for ${this.#ms} ms`)),
      this.#ms,
    );
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

/**
 * `source`, failing with a {@link StalledError} (and cancelling `source`) when a read
 * waits longer than `ms` for its next chunk. Chunks pass through as they are; an error of
 * `source` itself goes through `mapError`.
 */
export function stallGuarded(
  source: ReadableStream<Uint8Array>,
  ms: number,
  what: string,
  mapError: (err: unknown) => unknown = (err) => err,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new StalledError(`${what}: no bytes arrived for ${ms} ms`)),
          ms,
        );
      });
      try {
        const { done, value } = await Promise.race([
          reader.read().catch((err) => Promise.reject(mapError(err))),
          stalled,
        ]);
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        reader.cancel(err).catch(() => {});
        controller.error(err);
      } finally {
        clearTimeout(timer);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}
