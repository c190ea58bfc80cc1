/**
 * The only source of randomness in lib/crypto. Browser-compatible: no I/O, no Deno or Node APIs.
 *
 * `crypto.getRandomValues` is the CSPRNG both Deno and browsers provide; nothing here ever uses
 * `Math.random`.
 *
 * @module
 */

/** `getRandomValues` refuses requests above 65536 bytes, so larger ones are filled in slices. */
const MAX_PER_CALL = 65536;

/** Returns `length` bytes from the platform CSPRNG. */
export function randomBytes(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(`"length" expected a non-negative integer, got ${length}`);
  }
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += MAX_PER_CALL) {
    crypto.getRandomValues(out.subarray(i, Math.min(length, i + MAX_PER_CALL)));
  }
  return out;
}
