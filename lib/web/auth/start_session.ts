/** Starts a browser session for a member and sets its cookie on the response. */

import type { Context } from "hono";
import { describeUserAgent } from "../browser/user_agent.ts";
import { setSessionCookie } from "./cookies.ts";
import { expectedOrigin } from "./middleware.ts";
import type { SessionStore } from "../../store/session_store.ts";

export function startSession(
  c: Context,
  sessions: SessionStore,
  publicUrl: string | undefined,
  memberKey: string,
): void {
  // Only a coarse label is kept ("Chrome on Linux"), never the whole User-Agent string.
  const device = describeUserAgent(c.req.header("user-agent"));
  const { token, expiresAt } = sessions.create(memberKey, device);
  setSessionCookie(c, expectedOrigin(c, publicUrl), token, expiresAt, sessions.now());
}
