/**
 * Small helpers for route handlers: typed access to the services, and the
 * redirect to sign-in for pages that need a member.
 */

import type { AuthInfo } from "./auth/middleware.ts";
import type { AppServices } from "./app.ts";
import type { HandlerContext, PageState } from "./types.ts";

export function services(state: PageState): AppServices {
  return state.services as AppServices;
}

export function sessionOf(state: PageState): AuthInfo | undefined {
  return state.session as AuthInfo | undefined;
}

/** 303 to the sign-in page, coming back here afterwards. */
export function toSignIn(ctx: HandlerContext<unknown>): Response {
  const next = ctx.url.pathname + ctx.url.search;
  return new Response(null, {
    status: 303,
    headers: { location: `/?next=${encodeURIComponent(next)}` },
  });
}
