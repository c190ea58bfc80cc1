/**
 * Signed records: the envelope every change to shared state travels in, and its Ed25519
 * signature over canonical JSON (FORMAT §6). Browser-compatible: no I/O, no Deno or Node APIs.
 *
 * This layer knows the envelope only; `lib/core` and the vault define kinds, ids, bodies and
 * who may author what.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import {
  assertBytes,
  concatBytes,
  fromBase64UrlOrNull,
  toBase64Url,
  toHex,
  utf8Encode,
} from "./bytes.ts";
import { assertJson, canonicalJson } from "./canonical_json.ts";
import { RecordError } from "./errors.ts";
import { sign, signingPublicKeyOf, verify } from "./identity.ts";

/** FORMAT §6.2: the signing domain; a signature over a record can never be a login. */
export const RECORD_SIGNING_PREFIX = "p2pos-record-v1\n";

/** FORMAT §6.1: at most this many links a record follows (`prev`). */
export const MAX_PREV = 32;

const LINK_HASH = /^[0-9a-f]{64}$/;

/**
 * FORMAT §6.1: a record before signing. `B` is the body type the upper layer defines; it is
 * checked to be plain JSON at run time, so interfaces (which TypeScript will not treat as
 * `JsonValue`) can be used directly.
 */
export interface RecordEnvelope<B = unknown> {
  /**
   * Envelope version: 2 names the records it follows (`prev`); 1, without `prev`, is still
   * read here but no longer accepted by nodes.
   */
  v: 1 | 2;
  /** What the record is, e.g. "album"; defined by upper layers. */
  kind: string;
  /** The record's id, defined by upper layers. */
  id: string;
  /** base64url Ed25519 public key of the signer. */
  author: string;
  /** Hybrid logical clock of the change, as a string defined by `lib/core`. */
  hlc: string;
  /** Kind-specific content, plain JSON. */
  body: B;
  /**
   * Version 2 only: the link hashes ({@link recordHash}) of the records this one follows,
   * ascending, without repeats, at most {@link MAX_PREV}; empty only for the first record of
   * a family.
   */
  prev?: string[];
}

/** A record with its signature: base64url of 64 bytes. */
export interface SignedRecord<B = unknown> extends RecordEnvelope<B> {
  sig: string;
}

const ENVELOPE_FIELDS: Record<number, string[]> = {
  1: ["author", "body", "hlc", "id", "kind", "v"],
  2: ["author", "body", "hlc", "id", "kind", "prev", "v"],
};
const KIND_PATTERN = /^[a-z][a-z0-9_.-]{0,63}$/;

/**
 * Checks the envelope (FORMAT §6.4 steps 1–4): an object, `v` 1 (before the members, since
 * another version has its own), exactly the envelope fields (plus `sig` when `signed`), with
 * the right types. Unknown top-level fields are refused so that later versions extend through
 * `v`, never through fields an old verifier would skip.
 */
function checkEnvelope(record: unknown, signed: boolean): asserts record is RecordEnvelope {
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    throw new RecordError("shape", "Cannot read record: it is not a JSON object");
  }
  const r = record as Record<string, unknown>;
  const fields = typeof r.v === "number" ? ENVELOPE_FIELDS[r.v] : undefined;
  if (!fields) {
    throw new RecordError("version", `Cannot read record: version ${String(r.v)} is unknown`);
  }
  const expected = signed ? [...fields, "sig"].sort() : fields;
  const keys = Object.keys(r).sort();
  if (keys.length !== expected.length || keys.some((k, i) => k !== expected[i])) {
    throw new RecordError(
      "shape",
      `Cannot read record: fields are [${keys}], expected [${expected}]`,
    );
  }
  const bad = (field: string, why: string) =>
    new RecordError("shape", `Cannot read record: "${field}" ${why}`);
  if (typeof r.kind !== "string" || !KIND_PATTERN.test(r.kind)) {
    throw bad("kind", "must match " + KIND_PATTERN);
  }
  // FORMAT §2.5, §6.1: lengths in UTF-16 code units; a lone surrogate has no UTF-8 form, so
  // it would fail only later, in the signing input, as a TypeError instead of a shape error.
  if (!isText(r.id, 256)) throw bad("id", "must be well-formed text of 1..256 UTF-16 code units");
  if (!isText(r.hlc, 64)) throw bad("hlc", "must be well-formed text of 1..64 UTF-16 code units");
  if (typeof r.author !== "string" || fromBase64UrlOrNull(r.author, 32) === null) {
    throw bad("author", "must be base64url of a 32-byte Ed25519 public key");
  }
  if (r.v === 2) checkPrev(r.prev);
  try {
    // FORMAT §6.1: depth counts from the record object, as canonicalJson() counts when it
    // serializes the whole record; the body is one level in. Counting from the body here let
    // a body at the limit pass this check and then fail signing input (an HTTP 500).
    assertJson(r.body, "body", 1);
  } catch (cause) {
    throw new RecordError("shape", `Cannot read record: ${(cause as Error).message}`, { cause });
  }
}

function isText(value: unknown, max: number): value is string {
  return typeof value === "string" && value.length >= 1 && value.length <= max &&
    value.isWellFormed();
}

function checkPrev(prev: unknown): void {
  const bad = (why: string) => new RecordError("shape", `Cannot read record: "prev" ${why}`);
  if (!Array.isArray(prev)) throw bad("must be an array of link hashes");
  if (prev.length > MAX_PREV) throw bad(`names more than ${MAX_PREV} records`);
  prev.forEach((h, i) => {
    if (typeof h !== "string" || !LINK_HASH.test(h)) {
      throw bad("must hold lowercase hex SHA-256 link hashes");
    }
    if (i > 0 && h <= prev[i - 1]) throw bad("must be in ascending order, without repeats");
  });
}

/**
 * FORMAT §6.2: the exact bytes signed: UTF-8 of "p2pos-record-v1\n" followed by the canonical
 * JSON of the record without its `sig` field.
 */
export function recordSigningInput(record: RecordEnvelope): Uint8Array {
  const { sig: _sig, ...unsigned } = record as RecordEnvelope & { sig?: unknown };
  checkEnvelope(unsigned, false);
  return concatBytes(utf8Encode(RECORD_SIGNING_PREFIX), utf8Encode(canonicalJson(unsigned)));
}

/**
 * FORMAT §6.4: a record's link hash, the name other records use for it in `prev`: lowercase
 * hex SHA-256 of its signing input (so the signature itself is not part of it).
 */
export function recordHash(record: RecordEnvelope): string {
  return toHex(sha256(recordSigningInput(record)));
}

/** Signs `record`; its `author` must be the public key of `signingSecretKey`. */
export function signRecord<T extends RecordEnvelope>(
  record: T,
  signingSecretKey: Uint8Array,
): T & { sig: string } {
  assertBytes(signingSecretKey, "signingSecretKey", 32);
  if ("sig" in record) throw new TypeError("signRecord() expects a record without `sig`");
  checkEnvelope(record, false);
  if (record.author !== toBase64Url(signingPublicKeyOf(signingSecretKey))) {
    throw new RecordError("author", "Cannot sign record: `author` is not this signing key");
  }
  return { ...record, sig: toBase64Url(sign(recordSigningInput(record), signingSecretKey)) };
}

/**
 * Verifies that `record` is well-formed, authored by `publicKey`, and signed by it. Throws
 * {@link RecordError} otherwise (throwing rather than returning false, so a forgotten check
 * fails closed). Returns the record typed as signed. Whether the author may make this change
 * is for upper layers to decide.
 */
export function verifyRecord(record: unknown, publicKey: Uint8Array): SignedRecord {
  assertBytes(publicKey, "publicKey", 32);
  checkEnvelope(record, true);
  const signed = record as SignedRecord;
  if (signed.author !== toBase64Url(publicKey)) {
    throw new RecordError("author", "Cannot verify record: it names a different author");
  }
  const sig = typeof signed.sig === "string" ? fromBase64UrlOrNull(signed.sig, 64) : null;
  if (sig === null) {
    throw new RecordError("shape", 'Cannot read record: "sig" must be base64url of 64 bytes');
  }
  if (!verify(sig, recordSigningInput(signed), publicKey)) {
    throw new RecordError("signature", "Cannot verify record: signature does not match");
  }
  return signed;
}
