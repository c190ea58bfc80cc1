/**
 * A token bucket: `burst` tokens, refilled at `perSec`. The relay keeps one
 * per registered node id, and per client IP for messages and for new
 * connections (docs/OPERATIONS.md, "The signaling relay").
 */

export interface Rate {
  perSec: number;
  burst: number;
}

export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(private readonly rate: Rate, private readonly now: () => number = Date.now) {
    this.#tokens = rate.burst;
    this.#at = now();
  }

  /** Takes one token; false when the bucket is empty (the caller is over its rate). */
  take(): boolean {
    const now = this.now();
    this.#tokens = Math.min(
      this.rate.burst,
      this.#tokens + ((now - this.#at) / 1000) * this.rate.perSec,
    );
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Whether the bucket is full again (so the map holding it may forget it). */
  idle(): boolean {
    return this.#tokens + ((this.now() - this.#at) / 1000) * this.rate.perSec >= this.rate.burst;
  }
}

/** Buckets by key (an IP), forgetting full ones now and then so the map stays small. */
export class BucketMap {
  readonly #buckets = new Map<string, TokenBucket>();
  #lastSweep = 0;

  constructor(private readonly rate: Rate, private readonly now: () => number = Date.now) {}

  take(key: string): boolean {
    const now = this.now();
    if (now - this.#lastSweep > 60_000) {
      this.#lastSweep = now;
      for (const [k, b] of this.#buckets) if (b.idle()) this.#buckets.delete(k);
    }
    let b = this.#buckets.get(key);
    if (!b) this.#buckets.set(key, b = new TokenBucket(this.rate, this.now));
    return b.take();
  }
}
