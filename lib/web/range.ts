/**
 * `Range: bytes=…` for blob downloads (RFC 9110 §14). One range only: a
 * multi-range request is answered with the whole blob, which the RFC allows.
 */

import { RangeNotSatisfiableError } from "../core/errors.ts";

/** Inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Returns the range to send, or `undefined` for the whole blob (no header,
 * several ranges, or a unit we do not serve). Throws RangeNotSatisfiableError
 * when the range lies outside the blob.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a, b] = m;
  if (a === "" && b === "") return undefined;
  if (a === "") {
    // Suffix range: the last N bytes.
    const n = Number(b);
    if (n === 0 || size === 0) {
      throw new RangeNotSatisfiableError(`Range ${header} selects no bytes`, size);
    }
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || (b !== "" && Number(b) < start)) {
    throw new RangeNotSatisfiableError(
      `Range ${header} is outside the blob of ${size} bytes`,
      size,
    );
  }
  return { start, end };
}
