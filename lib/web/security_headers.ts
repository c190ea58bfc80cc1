/**
 * Security headers on every response, errors and 404s included (DESIGN §6).
 * The CSP allows no inline script: island props travel in data attributes.
 */

import type { MiddlewareHandler } from "hono";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * The policy with `connect-src` also naming `origins`: the family's other nodes, whose
 * `/health` a page probes when its own node stops answering (lib/web/browser/family_nodes.ts).
 */
export function contentSecurityPolicy(origins: string[] = []): string {
  if (origins.length === 0) return CONTENT_SECURITY_POLICY;
  return CONTENT_SECURITY_POLICY.replace(
    "connect-src 'self'",
    `connect-src 'self' ${origins.join(" ")}`,
  );
}

export function securityHeaders(
  options: { https: boolean; familyOrigins?: () => string[] },
): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    const set = (name: string, value: string) => {
      try {
        h.set(name, value);
      } catch {
        // Responses from fetch() have immutable headers; rebuild once.
        c.res = new Response(c.res.body, c.res);
        c.res.headers.set(name, value);
      }
    };
    set("Content-Security-Policy", contentSecurityPolicy(options.familyOrigins?.()));
    set("X-Content-Type-Options", "nosniff");
    set("X-Frame-Options", "DENY");
    set("Referrer-Policy", "no-referrer");
    set("Cross-Origin-Opener-Policy", "same-origin");
    set("Cross-Origin-Resource-Policy", "same-origin");
    set("Permissions-Policy", "camera=(self), geolocation=(), microphone=()");
    if (options.https) set("Strict-Transport-Security", "max-age=31536000");
  };
}
