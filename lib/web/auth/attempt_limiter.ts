/**
 * Slows down guessing of secrets typed by people (setup codes): after
 * `maxFailures` wrong tries within `windowMs`, further tries are refused until
 * the window passes. In memory: a restart also issues a new setup code.
 */

import { P2posError } from "../../core/errors.ts";

export class TooManyAttemptsError extends P2posError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      "too_many_attempts",
      `Too many wrong attempts; try again in ${retryAfterSeconds} seconds`,
    );
  }
}

export class AttemptLimiter {
  #failures: number[] = [];
  constructor(
    private readonly maxFailures = 10,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  check(): void {
    const t = this.now();
    this.#failures = this.#failures.filter((f) => t - f < this.windowMs);
    if (this.#failures.length >= this.maxFailures) {
      throw new TooManyAttemptsError(Math.ceil((this.#failures[0] + this.windowMs - t) / 1000));
    }
  }

  fail(): void {
    this.#failures.push(this.now());
  }
}
