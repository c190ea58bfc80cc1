/**
 * Request guards: who is asking (session cookie → member), whether they must
 * be signed in, and whether an unsafe request comes from our own pages (CSRF).
 */

import type { Context, MiddlewareHandler } from "hono";
import { ForbiddenError, UnauthorizedError } from "../../core/errors.ts";
import { activeMember, type MemberBody } from "../../core/family_kinds.ts";
import type { TypedRecord } from "../../core/record_kinds.ts";
import type { RecordLog } from "../../store/mod.ts";
import { readSessionToken } from "./cookies.ts";
import type { SessionStore } from "../../store/session_store.ts";

export interface AuthInfo {
  token: string;
  handle: string;
  memberKey: string;
  member: TypedRecord<MemberBody>;
}

export type AppEnv = {
  Variables: {
    auth?: AuthInfo;
    /** This node's session cookie name suffix (lib/web/auth/cookies.ts). */
    sessionCookie?: string;
  };
};

/**
 * The origin this node is reached at: its public URL when configured (behind
 * a reverse proxy), otherwise the origin the request was made to.
 */
export function expectedOrigin(c: Context, publicUrl: string | undefined): string {
  return publicUrl ?? new URL(c.req.url).origin;
}

/** Resolves the session cookie, if any, to a current member. Never fails the request itself. */
export function sessionMiddleware(
  deps: { sessions: SessionStore; records: RecordLog },
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = readSessionToken(c);
    if (token) {
      const session = deps.sessions.lookup(token);
      // A removed member's sessions end at once, even if the removal arrived from a peer.
      const member = session ? activeMember(deps.records, session.memberKey) : undefined;
      if (session && member) {
        c.set("auth", { token, handle: session.handle, memberKey: session.memberKey, member });
      } else if (session) {
        deps.sessions.endAllOf(session.memberKey);
      }
    }
    await next();
  };
}

export function requireAuth(c: Context<AppEnv>): AuthInfo {
  const auth = c.get("auth");
  if (!auth) throw new UnauthorizedError("Sign in first: this needs a session");
  return auth;
}

export function requireAdmin(c: Context<AppEnv>): AuthInfo {
  const auth = requireAuth(c);
  if (auth.member.body.role !== "admin") {
    throw new ForbiddenError("Only a family admin may do this");
  }
  return auth;
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * CSRF: unsafe methods must come from our own origin. Browsers send
 * `Sec-Fetch-Site` (and `Origin`) on every such request; a cross-site form or
 * fetch is refused with 403. Requests without either header are not from a
 * browser page (peers, curl) and cannot carry a victim's SameSite=Strict
 * cookie, so they pass here and are authenticated on their own terms.
 */
export function sameOriginGuard(publicUrl: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (UNSAFE.has(c.req.method)) {
      const site = c.req.header("sec-fetch-site");
      if (site !== undefined && site !== "same-origin") {
        throw new ForbiddenError(`Cross-site ${c.req.method} refused (Sec-Fetch-Site: ${site})`);
      }
      const origin = c.req.header("origin");
      if (origin !== undefined && origin !== expectedOrigin(c, publicUrl)) {
        throw new ForbiddenError(
          `Cross-origin ${c.req.method} from ${origin.slice(0, 100)} refused`,
        );
      }
    }
    await next();
  };
}
