/**
 * Signed records (FORMAT §6), written from the text: the checks of §6.4 in their order, the JCS
 * signing input of §6.2, strict Ed25519 of §6.3, the link hash of §6.5. Part of the second
 * implementation: imports nothing from lib/.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { b64, hasLoneSurrogate, hex, unb64, utf8 } from "./encoding.ts";
import { signWith, verifyStrict } from "./ed25519.ts";
import { Failure } from "./failure.ts";
import { isObject, jcs, type JObject, type JValue, parseJson, plainProblem } from "./json.ts";

/** §6.1: the members of each version, sorted. */
const MEMBERS: Record<number, string[]> = {
  1: ["author", "body", "hlc", "id", "kind", "sig", "v"],
  2: ["author", "body", "hlc", "id", "kind", "prev", "sig", "v"],
};
const LINK_HASH = /^[0-9a-f]{64}$/;
const KIND = /^[a-z][a-z0-9_.-]{0,63}$/;
const PREFIX = "p2pos-record-v1\n";

const shape = (detail: string) => new Failure("record", "shape", detail);

/** §6.2: the bytes signed, for a record whose envelope has passed §6.4 steps 1–4. */
export function signingInput(record: JObject): Uint8Array {
  const unsigned = new Map(record);
  unsigned.delete("sig");
  return utf8(PREFIX + jcs(unsigned));
}

/** §6.4 steps 1–4 on a parsed value; `signed` says whether `sig` is one of the members. */
function checkEnvelope(value: JValue, signed: boolean): JObject {
  if (!isObject(value)) throw shape("not an object");
  const v = value.get("v");
  const members = typeof v === "number" ? MEMBERS[v] : undefined;
  if (!members) throw new Failure("record", "version");
  const expected = signed ? members : members.filter((m) => m !== "sig");
  const names = [...value.keys()].sort();
  if (names.length !== expected.length || names.some((n, i) => n !== expected[i])) {
    throw shape("members");
  }
  const text = (name: string, min: number, max: number) => {
    const v = value.get(name);
    if (typeof v !== "string" || v.length < min || v.length > max || hasLoneSurrogate(v)) {
      throw shape(name);
    }
  };
  const kind = value.get("kind");
  if (typeof kind !== "string" || !KIND.test(kind)) throw shape("kind");
  text("id", 1, 256);
  text("hlc", 1, 64);
  const author = value.get("author");
  if (typeof author !== "string" || unb64(author)?.length !== 32) throw shape("author");
  if (v === 2) {
    const prev = value.get("prev");
    if (!Array.isArray(prev) || prev.length > 32) throw shape("prev");
    for (let i = 0; i < prev.length; i++) {
      const h = prev[i];
      if (typeof h !== "string" || !LINK_HASH.test(h)) throw shape("prev");
      if (i > 0 && !((prev[i - 1] as string) < h)) throw shape("prev");
    }
  }
  const problem = plainProblem(value.get("body")!, 1);
  if (problem) throw shape(`body: ${problem}`);
  return value;
}

/** §6.4: verifies JSON text (or a parsed value) as a record signed by `publicKey`. */
export function verifyRecord(input: string | JValue, publicKey: Uint8Array): JObject {
  let value: JValue;
  if (typeof input === "string") {
    try {
      value = parseJson(input);
    } catch {
      throw shape("not JSON");
    }
  } else value = input;
  const record = checkEnvelope(value, true);
  if (record.get("author") !== b64(publicKey)) throw new Failure("record", "author");
  const sigText = record.get("sig");
  const sig = typeof sigText === "string" ? unb64(sigText) : null;
  if (sig === null || sig.length !== 64) throw shape("sig");
  if (!verifyStrict(sig, signingInput(record), publicKey)) throw new Failure("record", "signature");
  return record;
}

/** Signs an unsigned record (a Map of the six members) with a 32-byte Ed25519 secret key. */
export function signRecord(unsigned: JObject, secretKey: Uint8Array): JObject {
  checkEnvelope(unsigned, false);
  const signed = new Map(unsigned);
  signed.set("sig", b64(signWith(secretKey, signingInput(unsigned))));
  return signed;
}

/** §6.5: a record's link hash, lowercase hex SHA-256 of its signing input. */
export function linkHash(record: JObject): string {
  return hex(sha256(signingInput(record)));
}
