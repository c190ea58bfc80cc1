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

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Whether the browser sees this request's origin as secure. */
export function isSecureOrigin(origin: string): boolean {
  const url = new URL(origin);
  return url.protocol === "https:" || LOOPBACK.has(url.hostname) ||
    url.hostname.endsWith(".localhost");
}

export function readSessionToken(c: Context): string | undefined {
  return getCookie(c, SECURE_NAME) ?? getCookie(c, PLAIN_NAME);
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
    `${secure ? SECURE_NAME : PLAIN_NAME}=${token}`,
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
  const name = secure ? SECURE_NAME : PLAIN_NAME;
  c.header(
    "Set-Cookie",
    `${name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? "; Secure" : ""}`,
    {
      append: true,
    },
  );
}
