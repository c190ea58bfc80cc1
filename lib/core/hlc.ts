/**
 * Hybrid logical clocks (Kulkarni et al.): wall-clock milliseconds plus a
 * counter, so that causally later changes always compare greater even when
 * clocks disagree a little. Encoded as a fixed-width string that sorts like
 * the clock: `0001763776800000.000000` (15-digit ms, 6-digit counter).
 *
 * Last writer wins by HLC; ties are broken by author key (DESIGN §7).
 * Browser-compatible: no I/O.
 */

export interface Hlc {
  wall: number;
  counter: number;
}

const PATTERN = /^(\d{15})\.(\d{6})$/;
/** Records stamped further ahead than this are refused: a broken clock must not win every write. */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

export function formatHlc(h: Hlc): string {
  if (!Number.isSafeInteger(h.wall) || h.wall < 0 || h.wall >= 1e15) {
    throw new RangeError(`HLC wall time ${h.wall} is out of range`);
  }
  if (!Number.isSafeInteger(h.counter) || h.counter < 0 || h.counter > 999_999) {
    throw new RangeError(`HLC counter ${h.counter} is out of range`);
  }
  return `${String(h.wall).padStart(15, "0")}.${String(h.counter).padStart(6, "0")}`;
}

export function parseHlc(s: string): Hlc {
  const m = PATTERN.exec(s);
  if (!m) throw new SyntaxError(`"${s.slice(0, 40)}" is not a hybrid logical clock value`);
  return { wall: Number(m[1]), counter: Number(m[2]) };
}

export function isHlc(s: unknown): s is string {
  return typeof s === "string" && PATTERN.test(s);
}

/** A clock that issues strictly increasing stamps and absorbs stamps it receives. */
export class HybridClock {
  #last: Hlc = { wall: 0, counter: 0 };
  constructor(private readonly now: () => number = Date.now) {}

  /** A new stamp, greater than every stamp issued or observed before. */
  next(): string {
    const wall = Math.max(this.now(), this.#last.wall);
    this.#last = wall === this.#last.wall
      ? { wall, counter: this.#last.counter + 1 }
      : { wall, counter: 0 };
    return formatHlc(this.#last);
  }

  /** Takes in a stamp seen from elsewhere so the next local stamp sorts after it. */
  observe(stamp: string): void {
    const h = parseHlc(stamp);
    if (
      h.wall > this.#last.wall || (h.wall === this.#last.wall && h.counter > this.#last.counter)
    ) {
      this.#last = h;
    }
  }
}

/**
 * Orders two versions of one record for last-writer-wins: by HLC, then by
 * author key, so every node picks the same winner whatever the arrival order.
 */
export function compareVersions(
  a: { hlc: string; author: string },
  b: { hlc: string; author: string },
): number {
  if (a.hlc !== b.hlc) return a.hlc < b.hlc ? -1 : 1;
  if (a.author !== b.author) return a.author < b.author ? -1 : 1;
  return 0;
}
