/**
 * Byte helpers: input checks, concatenation, constant-time comparison, and the text encodings
 * the formats use (FORMAT §2): base64url without padding for keys and signatures in JSON,
 * lowercase hex for blob ids. Browser-compatible: no I/O, no Deno or Node APIs.
 *
 * @module
 */

import { base64urlnopad, hex } from "@scure/base";

/**
 * Throws unless `value` is a `Uint8Array` of `length` bytes (any length when omitted).
 * Every public entry point calls this first, so a caller passing a 31-byte key learns it at
 * once (`"key" expected 32 bytes, got 31`) instead of through a confusing failure later.
 */
export function assertBytes(value: unknown, name: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`"${name}" expected a Uint8Array, got ${describe(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`"${name}" expected ${length} bytes, got ${value.length}`);
  }
  return value;
}

/** Throws unless `value` is a string. */
export function assertString(value: unknown, name: string): string {
  if (typeof value !== "string") {
    throw new TypeError(`"${name}" expected a string, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}

/** Concatenates byte arrays into a new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const [i, p] of parts.entries()) total += assertBytes(p, `parts[${i}]`).length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Compares two byte arrays in time that depends only on their lengths, never on where they
 * differ: MACs and tags must not leak how many leading bytes an attacker guessed right.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  assertBytes(a, "a");
  assertBytes(b, "b");
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Lowercase hex, as blob ids use (FORMAT §2). */
export function toHex(bytes: Uint8Array): string {
  return hex.encode(assertBytes(bytes, "bytes"));
}

/** Parses hex (either case); throws SyntaxError on odd length or a non-hex digit. */
export function fromHex(text: string): Uint8Array {
  assertString(text, "hex");
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new SyntaxError(
      `Cannot decode hex: expected pairs of hex digits (length ${text.length})`,
    );
  }
  return hex.decode(text);
}

/** Base64url (RFC 4648 §5) without padding (FORMAT §2). */
export function toBase64Url(bytes: Uint8Array): string {
  return base64urlnopad.encode(assertBytes(bytes, "bytes"));
}

/**
 * Parses unpadded base64url. Rejects padding, other alphabets, and non-canonical encodings
 * (non-zero unused bits), so every byte string has exactly one accepted text form: a signature
 * or key cannot be re-encoded into a different string that still decodes to the same bytes.
 */
export function fromBase64Url(text: string): Uint8Array {
  assertString(text, "text");
  try {
    return base64urlnopad.decode(text);
  } catch (cause) {
    throw new SyntaxError(`Cannot decode base64url: ${(cause as Error).message}`, { cause });
  }
}

/**
 * {@link fromBase64Url}, but `null` instead of a SyntaxError, and `null` too when the bytes are
 * not `length` long: for fields whose every fault has one failure code (FORMAT §6.4, §8.1).
 */
export function fromBase64UrlOrNull(text: string, length?: number): Uint8Array | null {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(text);
  } catch {
    return null;
  }
  return length === undefined || bytes.length === length ? bytes : null;
}

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** UTF-8 encoding of a string. Lone surrogates are rejected: they have no UTF-8 form. */
export function utf8Encode(text: string): Uint8Array {
  assertString(text, "text");
  if (!text.isWellFormed()) throw new TypeError(`"text" contains a lone surrogate`);
  return ENCODER.encode(text);
}

/** Strict UTF-8 decoding: invalid sequences throw instead of becoming U+FFFD. */
export function utf8Decode(bytes: Uint8Array): string {
  assertBytes(bytes, "bytes");
  try {
    return DECODER.decode(bytes);
  } catch (cause) {
    throw new SyntaxError("Cannot decode UTF-8: invalid byte sequence", { cause });
  }
}

/**
 * The same bytes typed as WebCrypto's `BufferSource`. WebCrypto refuses views of a
 * SharedArrayBuffer, so those (rare) are copied; ordinary arrays pass through uncopied.
 */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer
    ? bytes as Uint8Array<ArrayBuffer>
    : new Uint8Array(bytes) as Uint8Array<ArrayBuffer>;
}
