/**
 * The one-time setup code a fresh node prints at start: whoever first reaches
 * a new node must also have read its console, or they could claim it. Only a
 * SHA-256 of the code is stored; a new code replaces the old one at every
 * start until the family exists, and a redeemed code is deleted.
 */

import { createHash, timingSafeEqual } from "node:crypto";
import type { IndexDb } from "../store/mod.ts";

/** No 0/O, 1/I: people read these codes off a terminal and type them. */
const ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const KEY = "setup_code_sha256";

function digest(code: string): Buffer {
  return createHash("sha256").update(normalizeSetupCode(code)).digest();
}

/** Upper-cases and drops spaces and dashes, so `abcd efgh-jkmn` matches `ABCD-EFGH-JKMN`. */
export function normalizeSetupCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, "");
}

/** Makes a fresh 12-character code (60 bits), stores its hash, returns it formatted. */
export function issueSetupCode(db: IndexDb): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  const raw = Array.from(bytes, (b) => ALPHABET[b & 31]).join("");
  db.setSetting(KEY, digest(raw).toString("hex"));
  return raw.match(/.{4}/g)!.join("-");
}

export function hasSetupCode(db: IndexDb): boolean {
  return db.getSetting(KEY) !== undefined;
}

/** Constant-time check of a typed code against the stored hash. */
export function checkSetupCode(db: IndexDb, code: string): boolean {
  const stored = db.getSetting(KEY);
  if (!stored || typeof code !== "string" || code.length > 64) return false;
  return timingSafeEqual(Buffer.from(stored, "hex"), digest(code));
}

/** Deletes the code once the family is created: it must never work twice. */
export function retireSetupCode(db: IndexDb): void {
  db.deleteSetting(KEY);
}
