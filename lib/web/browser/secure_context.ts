/**
 * Detects a page opened outside a secure context (DESIGN §6). Browser-compatible: reads
 * only `globalThis`, so it is safe to call during server rendering (where it reports nothing
 * and the browser re-checks after hydration).
 *
 * Browsers give `crypto.subtle` (sealing your key on this device), service workers and
 * `Secure` cookies only to HTTPS pages, `localhost` and `127.0.0.1`. A family member opening a
 * node at `http://192.168.1.20:8080` gets none of them, so the islands explain the fix instead
 * of failing with an obscure error.
 *
 * @module
 */

export interface InsecureContext {
  /** What is missing, for people. */
  reason: string;
  /** Addresses that would work, as plain text. */
  fixes: string[];
  /** The page's address when known. */
  here?: string;
}

/** Undefined when the page can do its crypto; otherwise why not and what to do. */
export function insecureContext(g: typeof globalThis = globalThis): InsecureContext | undefined {
  const secure = (g as { isSecureContext?: boolean }).isSecureContext;
  const subtle = (g as { crypto?: Crypto }).crypto?.subtle;
  if (secure !== false && subtle) return undefined;
  const loc = (g as { location?: Location }).location;
  const port = loc?.port ? `:${loc.port}` : "";
  return {
    reason: secure === false
      ? "This page was opened over plain http at an address other than localhost, so the " +
        "browser withholds the cryptography p2pos needs to keep your key safe."
      : "This browser does not offer the Web Crypto API that p2pos needs to keep your key safe.",
    fixes: [
      "Open the node over https (give the node a certificate, or put it behind a reverse proxy " +
      "such as Caddy).",
      `On the computer that runs the node, open http://localhost${port} or http://127.0.0.1${port}.`,
    ],
    here: loc?.origin,
  };
}
