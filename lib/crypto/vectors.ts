/**
 * Test vector files (FORMAT §9): parsing and running them. Browser-compatible: no I/O, no Deno
 * or Node APIs, so the same runner checks the same files in Deno (`vectors_test.ts`) and in
 * Chromium (the e2e harness fetches the files and calls {@link runVector}).
 *
 * @module
 */

import { x25519 } from "@noble/curves/ed25519.js";
import { ciphertextSize, HEADER_SIZE } from "./blob_format.ts";
import { blobId } from "./blob_id.ts";
import { equalBytes, fromBase64Url, fromHex, toHex } from "./bytes.ts";
import { canonicalJson } from "./canonical_json.ts";
import { CryptoError, RecordError } from "./errors.ts";
import { familyKeyId, inviteKeyPair, openKeychain } from "./family_key.ts";
import { deriveIdentity, mnemonicToSeed, mnemonicWords, seedToMnemonic } from "./identity.ts";
import { verifyLogin } from "./login.ts";
import { decryptMetadata } from "./metadata.ts";
import { type RecordEnvelope, recordHash, verifyRecord } from "./records.ts";
import { openName } from "./sealed_name.ts";
import { bytesToStream, gather } from "./_streams.ts";
import { decryptBytes, decryptStream } from "./stream_decrypt.ts";
import { encryptBytesWithSalt } from "./stream_encrypt.ts";
import { uploadReceiptMessage, verifyUploadReceipt } from "./upload_receipt.ts";
import { unwrapKey } from "./wrap.ts";

const KINDS = [
  "blob",
  "wrap",
  "identity",
  "record",
  "login",
  "metadata",
  "receipt",
  "name",
  "keychain",
  "invite",
] as const;
/** What a vector exercises (FORMAT §9.1). */
export type VectorKind = typeof KINDS[number];

/** The `expect:` line: success, or a failure of a given kind and code (FORMAT §9.2). */
export type Expectation =
  | { outcome: "success" }
  | { outcome: "failure"; kind: string; code: string };

/** A parsed vector file. `fields` holds every `name: value` line except `kind` and `expect`. */
export interface TestVector {
  kind: VectorKind;
  expect: Expectation;
  fields: Record<string, string>;
}

/** The result of running a vector; `detail` says what happened, in words. */
export interface VectorResult {
  ok: boolean;
  detail: string;
}

/** Parses a vector file (FORMAT §9.1). Throws SyntaxError on any malformed line. */
export function parseVector(text: string): TestVector {
  if (typeof text !== "string") throw new TypeError('"text" expected a string');
  const fields: Record<string, string> = {};
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.replace(/\r$/, "");
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-z0-9-]+): (.*)$/.exec(line);
    if (m === null) {
      throw new SyntaxError(`Cannot parse vector: line ${i + 1} is not "name: value"`);
    }
    if (m[1] in fields) throw new SyntaxError(`Cannot parse vector: "${m[1]}" appears twice`);
    fields[m[1]] = m[2];
  }
  const { kind, expect, ...rest } = fields;
  if (!KINDS.includes(kind as VectorKind)) {
    throw new SyntaxError(`Cannot parse vector: kind ${JSON.stringify(kind)} is unknown`);
  }
  return { kind: kind as VectorKind, expect: parseExpect(expect), fields: rest };
}

function parseExpect(text: string | undefined): Expectation {
  if (text === "success") return { outcome: "success" };
  const m = /^([a-z]+) failure \(([a-z0-9_]+)\)$/.exec(text ?? "");
  if (m === null) {
    throw new SyntaxError(`Cannot parse vector: expect ${JSON.stringify(text)} is malformed`);
  }
  return { outcome: "failure", kind: m[1], code: m[2] };
}

/** Runs one vector: `ok` when the outcome, and for failures the kind and code, match. */
export async function runVector(vector: TestVector): Promise<VectorResult> {
  let outcome: string;
  try {
    outcome = await RUNNERS[vector.kind](vector.fields);
  } catch (error) {
    const got = error instanceof CryptoError
      ? `${error.kind} failure (${error.code})`
      : `unexpected ${(error as Error)?.name}: ${(error as Error)?.message}`;
    const want = vector.expect.outcome === "failure"
      ? `${vector.expect.kind} failure (${vector.expect.code})`
      : "success";
    return { ok: got === want, detail: `${got}: ${(error as Error).message}` };
  }
  if (vector.expect.outcome === "success") return { ok: true, detail: `success: ${outcome}` };
  return { ok: false, detail: `expected ${vector.expect.kind} failure, got success: ${outcome}` };
}

/** Each runner throws CryptoError for the vector's failure, or Error when a check mismatches. */
const RUNNERS: Record<VectorKind, (f: Record<string, string>) => Promise<string>> = {
  blob: runBlob,
  wrap: async (f) => {
    const secret = fromHex(need(f, "recipient-secret"));
    const key = await unwrapKey(fromHex(need(f, "wrapped")), secret);
    check(toHex(key) === need(f, "key"), "unwrapped key differs from `key`");
    check(
      toHex(x25519.getPublicKey(secret)) === need(f, "recipient-public"),
      "recipient-public differs",
    );
    return "key unwrapped";
  },
  identity: (f) => {
    const typed = need(f, "mnemonic");
    const seed = mnemonicToSeed(typed);
    check(toHex(seed) === need(f, "seed"), "seed differs");
    // FORMAT §9.2: writing the seed gives the typed words joined by single spaces.
    check(seedToMnemonic(seed) === mnemonicWords(typed).join(" "), "phrase does not round-trip");
    const id = deriveIdentity(seed);
    check(toHex(id.signingSecretKey) === need(f, "signing-secret-key"), "Ed25519 secret differs");
    check(toHex(id.signingPublicKey) === need(f, "signing-public-key"), "Ed25519 key differs");
    check(toHex(id.x25519SecretKey) === need(f, "x25519-secret-key"), "X25519 secret differs");
    check(toHex(id.x25519PublicKey) === need(f, "x25519-public-key"), "X25519 key differs");
    return Promise.resolve("keys derived");
  },
  record: (f) => {
    const record = parseRecordText(need(f, "record"));
    verifyRecord(record, fromHex(need(f, "public-key")));
    const { sig: _sig, ...unsigned } = record as Record<string, unknown>;
    check(canonicalJson(unsigned) === need(f, "canonical"), "canonical JSON differs");
    if ("link-hash" in f) {
      check(recordHash(record as RecordEnvelope) === f["link-hash"], "link hash differs");
    }
    return Promise.resolve("signature verified");
  },
  login: (f) => {
    const message = verifyLogin(
      { origin: need(f, "origin"), nodeId: need(f, "node-id"), challenge: need(f, "challenge") },
      need(f, "signature"),
      fromHex(need(f, "public-key")),
    );
    check(toHex(message) === need(f, "message-hex"), "message bytes differ");
    return Promise.resolve("signature verified");
  },
  receipt: (f) => {
    const statement = {
      nodeId: need(f, "node-id"),
      member: need(f, "member"),
      blob: need(f, "blob"),
      size: Number(need(f, "size")),
    };
    verifyUploadReceipt(statement, need(f, "signature"), fromHex(need(f, "public-key")));
    check(
      toHex(uploadReceiptMessage(statement)) === need(f, "message-hex"),
      "message bytes differ",
    );
    return Promise.resolve("signature verified");
  },
  metadata: async (f) => {
    const doc = await decryptMetadata(
      fromBase64Url(need(f, "ciphertext")),
      fromHex(need(f, "file-key")),
    );
    check(
      canonicalJson(doc) === canonicalJson(JSON.parse(need(f, "document"))),
      "document differs",
    );
    return "document decrypted";
  },
  name: async (f) => {
    const name = await openName(fromBase64Url(need(f, "sealed")), fromHex(need(f, "family-key")));
    check(name === JSON.parse(need(f, "name")), "name differs");
    return "name opened";
  },
  keychain: async (f) => {
    const key = fromHex(need(f, "family-key"));
    const epoch = Number(need(f, "epoch"));
    const keys = await openKeychain(fromBase64Url(need(f, "keychain")), key, epoch);
    check(keys.map(toHex).join("") === need(f, "keys"), "keys differ");
    check(familyKeyId(key) === need(f, "key-id"), "key id differs");
    return `${keys.length} earlier keys`;
  },
  invite: (f) => {
    const pair = inviteKeyPair(need(f, "secret"));
    check(toHex(pair.secretKey) === need(f, "x25519-secret-key"), "X25519 secret differs");
    check(toHex(pair.publicKey) === need(f, "x25519-public-key"), "X25519 key differs");
    return Promise.resolve("key pair derived");
  },
};

/** FORMAT §6.4 step 1: record text that is not JSON is a shape failure. */
function parseRecordText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new RecordError("shape", "Cannot read record: it is not JSON text", { cause });
  }
}

/**
 * Blob vectors decrypt twice, whole and as a stream in 1000-byte pieces (exercising the
 * re-chunker), and must agree. Success vectors also re-encrypt with the header's salt and must
 * reproduce the ciphertext byte for byte, which checks the encoder as well.
 */
async function runBlob(f: Record<string, string>): Promise<string> {
  const fileKey = fromHex(need(f, "file-key"));
  const ciphertext = fromBase64Url(need(f, "ciphertext"));
  let whole: Uint8Array | Error;
  try {
    whole = await decryptBytes(fileKey, ciphertext);
  } catch (error) {
    whole = error as Error;
  }
  let streamed: Uint8Array | Error;
  try {
    streamed = await gather(decryptStream(fileKey, bytesToStream(ciphertext, 1000)));
  } catch (error) {
    streamed = error as Error;
  }
  if (whole instanceof Error || streamed instanceof Error) {
    const a = describeOutcome(whole);
    check(
      a === describeOutcome(streamed),
      `whole gave ${a}, stream gave ${describeOutcome(streamed)}`,
    );
    throw whole;
  }
  check(equalBytes(whole, streamed), "whole and streamed plaintexts differ");
  const size = Number(need(f, "plaintext-size"));
  check(equalBytes(whole, vectorPlaintext(size)), "plaintext is not byte[i] = i mod 251");
  check(toHex(await sha256(whole)) === need(f, "plaintext-sha256"), "plaintext-sha256 differs");
  check(ciphertext.length === ciphertextSize(size), "ciphertext length is not as FORMAT §4.1");
  check((await blobId(ciphertext)) === need(f, "blob-id"), "blob-id differs");
  const salt = ciphertext.slice(11, 43);
  const again = await encryptBytesWithSalt(fileKey, salt, whole);
  check(equalBytes(again, ciphertext), "re-encryption does not reproduce the ciphertext");
  return `${size} bytes decrypted, ${ciphertext.length - HEADER_SIZE} payload bytes`;
}

function describeOutcome(x: Uint8Array | Error): string {
  if (!(x instanceof Error)) return "success";
  return x instanceof CryptoError ? `${x.kind} failure (${x.code})` : `${x.name}`;
}

/** FORMAT §9.1: the plaintext of blob vectors is byte[i] = i mod 251. */
export function vectorPlaintext(size: number): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad plaintext-size ${size}`);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = i % 251;
  return out;
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes)));
}

function need(f: Record<string, string>, name: string): string {
  const value = f[name];
  if (value === undefined) throw new SyntaxError(`Vector lacks the "${name}" field`);
  return value;
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`Vector mismatch: ${what}`);
}
