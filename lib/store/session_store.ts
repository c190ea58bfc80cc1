/**
 * Browser sessions and login challenges, in the index database.
 *
 * A session cookie holds 32 random bytes; the node stores only their SHA-256,
 * bound to the member's key, with an idle and an absolute expiry (DESIGN §6).
 * A stolen database therefore yields no usable cookie. Challenges are random,
 * single-use (deleted when used, successful or not) and live 60 seconds.
 */

import { createHash } from "node:crypto";
import { toBase64Url } from "../crypto/mod.ts";
import type { IndexDb } from "./index_db.ts";

export interface SessionOptions {
  /** @default 60_000 */
  challengeTtlMs?: number;
  /** A session unused this long ends. @default 24 h */
  idleMs?: number;
  /** A session ends this long after sign-in whatever happens. @default 7 days */
  absoluteMs?: number;
  now?: () => number;
}

export interface Session {
  /** Short public handle (not the secret) to list and end sessions by. */
  handle: string;
  memberKey: string;
  createdAt: number;
  lastSeen: number;
  /** A coarse label ("Chrome on Linux"): never the browser's whole User-Agent string. */
  device: string;
}

interface Row {
  token_hash: string;
  member_key: string;
  created_at: number;
  last_seen: number;
  idle_expires: number;
  absolute_expires: number;
  user_agent: string;
}

const hash = (token: string) => createHash("sha256").update(token).digest("hex");
const toSession = (r: Row): Session => ({
  handle: r.token_hash.slice(0, 16),
  memberKey: r.member_key,
  createdAt: r.created_at,
  lastSeen: r.last_seen,
  device: r.user_agent,
});

export class SessionStore {
  readonly challengeTtlMs: number;
  readonly idleMs: number;
  readonly absoluteMs: number;
  readonly now: () => number;

  constructor(private readonly index: IndexDb, options: SessionOptions = {}) {
    this.challengeTtlMs = options.challengeTtlMs ?? 60_000;
    this.idleMs = options.idleMs ?? 24 * 3600_000;
    this.absoluteMs = options.absoluteMs ?? 7 * 24 * 3600_000;
    this.now = options.now ?? Date.now;
  }

  /** A fresh random challenge, valid once for {@link challengeTtlMs}. */
  createChallenge(): { challenge: string; expiresAt: number } {
    const now = this.now();
    this.index.db.prepare("DELETE FROM auth_challenges WHERE expires_at <= ?").run(now);
    const challenge = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
    const expiresAt = now + this.challengeTtlMs;
    this.index.db.prepare("INSERT INTO auth_challenges (challenge, expires_at) VALUES (?, ?)")
      .run(challenge, expiresAt);
    return { challenge, expiresAt };
  }

  /** Deletes the challenge and says whether it existed and was still valid. */
  consumeChallenge(challenge: string): boolean {
    const row = this.index.db.prepare(
      "DELETE FROM auth_challenges WHERE challenge = ? RETURNING expires_at",
    ).get(challenge) as { expires_at: number } | undefined;
    return row !== undefined && row.expires_at > this.now();
  }

  /**
   * Starts a session; returns the cookie value (shown to nobody else, stored nowhere). `device`
   * is what the member's device list shows: a coarse label, never a whole User-Agent string,
   * which would tell an attacker with the disk more than the member needs to see.
   */
  create(memberKey: string, device: string): { token: string; expiresAt: number } {
    const now = this.now();
    const token = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
    const absolute = now + this.absoluteMs;
    this.index.db.prepare(
      `INSERT INTO sessions (token_hash, member_key, created_at, last_seen, idle_expires,
         absolute_expires, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(hash(token), memberKey, now, now, now + this.idleMs, absolute, device.slice(0, 60));
    return { token, expiresAt: absolute };
  }

  /** The live session for a cookie value, extending its idle expiry; expired ones are deleted. */
  lookup(token: string): Session | undefined {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const now = this.now();
    const th = hash(token);
    const row = this.index.db.prepare("SELECT * FROM sessions WHERE token_hash = ?").get(th) as
      | Row
      | undefined;
    if (!row) return undefined;
    if (row.idle_expires <= now || row.absolute_expires <= now) {
      this.index.db.prepare("DELETE FROM sessions WHERE token_hash = ?").run(th);
      return undefined;
    }
    // Touch at most once a minute: a page load makes many requests.
    if (now - row.last_seen > 60_000) {
      this.index.db.prepare(
        "UPDATE sessions SET last_seen = ?, idle_expires = ? WHERE token_hash = ?",
      )
        .run(now, Math.min(now + this.idleMs, row.absolute_expires), th);
      row.last_seen = now;
    }
    return toSession(row);
  }

  end(token: string): void {
    this.index.db.prepare("DELETE FROM sessions WHERE token_hash = ?").run(hash(token));
  }

  /** Ends one of a member's sessions by its public handle. */
  endByHandle(memberKey: string, handle: string): boolean {
    if (!/^[0-9a-f]{16}$/.test(handle)) return false;
    const r = this.index.db.prepare(
      "DELETE FROM sessions WHERE member_key = ? AND substr(token_hash, 1, 16) = ?",
    ).run(memberKey, handle);
    return Number(r.changes) > 0;
  }

  /** Ends every session of a member: on removal, at once. */
  endAllOf(memberKey: string): number {
    const r = this.index.db.prepare("DELETE FROM sessions WHERE member_key = ?").run(memberKey);
    return Number(r.changes);
  }

  listOf(memberKey: string): Session[] {
    const now = this.now();
    const rows = this.index.db.prepare(
      `SELECT * FROM sessions WHERE member_key = ? AND idle_expires > ? AND absolute_expires > ?
       ORDER BY last_seen DESC`,
    ).all(memberKey, now, now) as unknown as Row[];
    return rows.map(toSession);
  }
}
