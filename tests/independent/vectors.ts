/**
 * Reads and runs the vector files of FORMAT §9 with the second implementation. Browser-safe (no
 * Deno API), so the same runner works in Deno (`vectors_test.ts`) and in Chromium
 * (`tests/e2e/independent_vectors_test.ts`). Imports nothing from lib/.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { blobIdOf, blobLength, HEADER_LENGTH, openBlob, sealBlob } from "./blob.ts";
import { hex, unb64, unhex } from "./encoding.ts";
import { type Verdict, verdictOf } from "./failure.ts";
import { keysOf, phraseWords, readPhrase, writePhrase } from "./identity.ts";
import { jcs, parseJson } from "./json.ts";
import { verifyLogin } from "./login.ts";
import { openMetadata } from "./metadata.ts";
import { inviteKeysOf, keyIdOf, openKeychainOf, openSealedName } from "./names.ts";
import { verifyReceipt } from "./receipt.ts";
import { linkHash, verifyRecord } from "./records.ts";
import { unwrap, x25519PublicOf } from "./wrap.ts";

/** A vector file: its kind, its `expect` line, and every other field. */
export interface Vector {
  kind: string;
  expect: string;
  fields: Map<string, string>;
}

/** §9.1. Throws SyntaxError on a malformed file. */
export function readVector(text: string): Vector {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-z0-9-]+): (.*)$/.exec(line);
    if (m === null) throw new SyntaxError(`not "name: value": ${line.slice(0, 40)}`);
    if (fields.has(m[1])) throw new SyntaxError(`${m[1]} appears twice`);
    fields.set(m[1], m[2]);
  }
  const kind = fields.get("kind");
  const expect = fields.get("expect");
  if (kind === undefined || expect === undefined) throw new SyntaxError("no kind or expect");
  return { kind, expect, fields };
}

/** Runs a vector: `ok` when the verdict is the `expect` line, kind and code included (§9.2). */
export async function runVector(vector: Vector): Promise<{ ok: boolean; detail: string }> {
  const run = RUNNERS[vector.kind];
  if (run === undefined) return { ok: false, detail: `unknown kind ${vector.kind}` };
  let verdict: Verdict<string>;
  try {
    verdict = await verdictOf(() => run(vector.fields));
  } catch (error) {
    return {
      ok: false,
      detail: `unexpected ${(error as Error).name}: ${(error as Error).message}`,
    };
  }
  const got = verdict.ok ? "success" : `${verdict.kind} failure (${verdict.code})`;
  return { ok: got === vector.expect, detail: verdict.ok ? `success: ${verdict.value}` : got };
}

function need(f: Map<string, string>, name: string): string {
  const v = f.get(name);
  if (v === undefined) throw new SyntaxError(`the vector has no ${name}`);
  return v;
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`mismatch: ${what}`);
}

function b64Field(f: Map<string, string>, name: string): Uint8Array {
  const bytes = unb64(need(f, name));
  if (bytes === null) throw new SyntaxError(`${name} is not base64url`);
  return bytes;
}

const RUNNERS: Record<string, (f: Map<string, string>) => string> = {
  blob(f) {
    const key = unhex(need(f, "file-key"));
    const blob = b64Field(f, "ciphertext");
    const plain = openBlob(key, blob);
    const size = Number(need(f, "plaintext-size"));
    check(plain.length === size, "plaintext-size");
    check(plain.every((b, i) => b === i % 251), "plaintext is not byte[i] = i mod 251");
    check(hex(sha256(plain)) === need(f, "plaintext-sha256"), "plaintext-sha256");
    check(blobIdOf(blob) === need(f, "blob-id"), "blob-id");
    check(blob.length === blobLength(size), "the length formula of §4.1");
    const again = sealBlob(key, blob.slice(11, 43), plain);
    check(hex(again) === hex(blob), "re-encryption with the header's salt");
    return `${size} bytes, ${blob.length - HEADER_LENGTH} payload bytes`;
  },
  wrap(f) {
    const secret = unhex(need(f, "recipient-secret"));
    const key = unwrap(unhex(need(f, "wrapped")), secret);
    check(hex(key) === need(f, "key"), "key");
    check(hex(x25519PublicOf(secret)) === need(f, "recipient-public"), "recipient-public");
    return "key unwrapped";
  },
  identity(f) {
    const typed = need(f, "mnemonic");
    const seed = readPhrase(typed);
    check(hex(seed) === need(f, "seed"), "seed");
    check(writePhrase(seed) === phraseWords(typed).join(" "), "the phrase written back");
    const keys = keysOf(seed);
    check(hex(keys.signingSecret) === need(f, "signing-secret-key"), "signing-secret-key");
    check(hex(keys.signingPublic) === need(f, "signing-public-key"), "signing-public-key");
    check(hex(keys.x25519Secret) === need(f, "x25519-secret-key"), "x25519-secret-key");
    check(hex(keys.x25519Public) === need(f, "x25519-public-key"), "x25519-public-key");
    return "keys derived";
  },
  record(f) {
    const record = verifyRecord(need(f, "record"), unhex(need(f, "public-key")));
    const unsigned = new Map(record);
    unsigned.delete("sig");
    check(jcs(unsigned) === need(f, "canonical"), "canonical");
    if ("link-hash" in f) check(linkHash(record) === f["link-hash"], "link-hash");
    return "signature verified";
  },
  login(f) {
    const message = verifyLogin(
      { origin: need(f, "origin"), nodeId: need(f, "node-id"), challenge: need(f, "challenge") },
      need(f, "signature"),
      unhex(need(f, "public-key")),
    );
    check(hex(message) === need(f, "message-hex"), "message-hex");
    return "signature verified";
  },
  receipt(f) {
    const message = verifyReceipt(
      {
        nodeId: need(f, "node-id"),
        member: need(f, "member"),
        blob: need(f, "blob"),
        size: Number(need(f, "size")),
      },
      need(f, "signature"),
      unhex(need(f, "public-key")),
    );
    check(hex(message) === need(f, "message-hex"), "message-hex");
    return "signature verified";
  },
  metadata(f) {
    const doc = openMetadata(b64Field(f, "ciphertext"), unhex(need(f, "file-key")));
    check(jcs(doc) === jcs(parseJson(need(f, "document"))), "document");
    return "document read";
  },
  name(f) {
    const name = openSealedName(b64Field(f, "sealed"), unhex(need(f, "family-key")));
    check(name === parseJson(need(f, "name")), "name");
    return "name read";
  },
  keychain(f) {
    const key = unhex(need(f, "family-key"));
    const keys = openKeychainOf(b64Field(f, "keychain"), key, Number(need(f, "epoch")));
    check(keys.map(hex).join("") === need(f, "keys"), "keys");
    check(keyIdOf(key) === need(f, "key-id"), "key-id");
    return `${keys.length} keys`;
  },
  invite(f) {
    const keys = inviteKeysOf(need(f, "secret"));
    check(hex(keys.secret) === need(f, "x25519-secret-key"), "x25519-secret-key");
    check(hex(keys.public) === need(f, "x25519-public-key"), "x25519-public-key");
    return "key pair derived";
  },
};
