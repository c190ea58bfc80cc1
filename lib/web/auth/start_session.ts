/** Starts a browser session for a member and sets its cookie on the response. */

import type { Context } from "hono";
import { setSessionCookie } from "./cookies.ts";
import { expectedOrigin } from "./middleware.ts";
import type { SessionStore } from "./session_store.ts";

export function startSession(
  c: Context,
  sessions: SessionStore,
  publicUrl: string | undefined,
  memberKey: string,
): void {
  const { token, expiresAt } = sessions.create(memberKey, c.req.header("user-agent") ?? "");
  setSessionCookie(c, expectedOrigin(c, publicUrl), token, expiresAt, sessions.now());
}
