/**
 * The session cookie: `HttpOnly; SameSite=Strict; Path=/`, plus `Secure` and
 * the `__Host-` prefix whenever the page is served over HTTPS or from
 * localhost/127.0.0.1 (browsers treat those as secure contexts), so the
 * cookie can neither be read by script nor set by a sibling subdomain.
 */

import type { Context } from "hono";
import { getCookie } from "hono/cookie";

const SECURE_NAME = "__Host-p2pos_session";
const PLAIN_NAME = "p2pos_session";

/**
 * The cookie's name on this node: the base name plus the start of the node's id (set by the
 * app as the `sessionCookie` context variable). Cookies do not tell ports apart, so two family
 * nodes on one host (the demo, a NAS running two) would otherwise overwrite each other's session.
 */
function cookieName(c: Context, secure: boolean): string {
  const suffix = c.get("sessionCookie") as string | undefined;
  const base = secure ? SECURE_NAME : PLAIN_NAME;
  return suffix ? `${base}_${suffix}` : base;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Whether the browser sees this request's origin as secure. */
export function isSecureOrigin(origin: string): boolean {
  const url = new URL(origin);
  return url.protocol === "https:" || LOOPBACK.has(url.hostname) ||
    url.hostname.endsWith(".localhost");
}

export function readSessionToken(c: Context): string | undefined {
  return getCookie(c, cookieName(c, true)) ?? getCookie(c, cookieName(c, false));
}

export function setSessionCookie(
  c: Context,
  origin: string,
  token: string,
  expiresAt: number,
  now: number,
): void {
  const secure = isSecureOrigin(origin);
  const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000));
  const parts = [
    `${cookieName(c, secure)}=${token}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    `Max-Age=${maxAge}`,
  ];
  if (secure) parts.push("Secure");
  c.header("Set-Cookie", parts.join("; "), { append: true });
}

export function clearSessionCookie(c: Context, origin: string): void {
  const secure = isSecureOrigin(origin);
  const name = cookieName(c, secure);
  c.header(
    "Set-Cookie",
    `${name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? "; Secure" : ""}`,
    {
      append: true,
    },
  );
}
