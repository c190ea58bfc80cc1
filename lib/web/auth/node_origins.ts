/**
 * The origins this node answers at (SECURITY.md, "The addresses a node answers at"). A
 * sign-in signature names an origin (FORMAT §8.1); if the node took that origin from the
 * request's `Host`, anyone who can make a browser send a request with another Host — a
 * phishing page, a DNS-rebinding page that resolves its own name to the node — would choose
 * it. So the node knows its own origins and refuses requests for any other:
 *
 * - with `--public-url`, sign-ins are bound to that origin, and requests are answered when
 *   their Host names the public URL's host (a reverse proxy may or may not pass the port on)
 *   or one of the addresses below;
 * - always: the loopback names and the addresses the server is bound to (every interface
 *   address when bound to 0.0.0.0 or ::), at the port it listens on.
 */

import type { MiddlewareHandler } from "hono";
import { P2posError } from "../../core/errors.ts";
import { getLogger } from "../../core/log.ts";

const log = getLogger("web");

/** Names every browser resolves to this machine itself, never through DNS. */
export const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];

/** Remembered per process so a stream of bad Hosts cannot fill the log. */
const MAX_LOGGED_HOSTS = 20;

export class UnknownHostError extends P2posError {
  constructor(host: string, scheme: string) {
    super(
      "unknown_host",
      `This node does not answer at ${host}. If that is the address people use to reach it, ` +
        `its operator must start it with --public-url ${scheme}://${host} ` +
        `(see docs/OPERATIONS.md, "Addresses and the public URL").`,
    );
  }
}

export interface NodeOriginsOptions {
  /** The configured public URL (an origin), if any. */
  publicUrl?: string;
  /** Whether the node itself serves TLS. */
  https: boolean;
}

/**
 * The addresses a server bound to `host` answers at: that host (and the address it resolved
 * to), or every interface address when bound to all of them (IPv4 ones for 0.0.0.0).
 */
export function boundAddresses(
  host: string,
  bound: string,
  interfaces: () => { family: "IPv4" | "IPv6"; address: string }[],
): string[] {
  if (host !== "0.0.0.0" && host !== "::" && host !== "[::]") return [host, bound];
  return interfaces().filter((i) => host !== "0.0.0.0" || i.family === "IPv4").map((i) =>
    i.address
  );
}

export class NodeOrigins {
  readonly publicUrl?: string;
  readonly scheme: "http" | "https";
  readonly #publicHostname?: string;
  readonly #origins = new Set<string>();
  readonly #logged = new Set<string>();

  constructor(options: NodeOriginsOptions) {
    this.publicUrl = options.publicUrl;
    this.scheme = options.https ? "https" : "http";
    this.#publicHostname = options.publicUrl ? new URL(options.publicUrl).hostname : undefined;
  }

  /**
   * Adds the addresses the server listens on, at `port`, to the loopback names. Called once
   * the server listens (the port may have been chosen then). Addresses that are not valid
   * URL hosts (an IPv6 address with a zone id) are skipped: no browser can name them.
   */
  listening(addresses: string[], port: number): this {
    for (const address of [...LOOPBACK_NAMES, ...addresses]) {
      const host = address.includes(":") && !address.startsWith("[") ? `[${address}]` : address;
      try {
        this.#origins.add(new URL(`${this.scheme}://${host}:${port}`).origin);
      } catch { /* skipped, see above */ }
    }
    return this;
  }

  /** The origins a browser may use without --public-url, for messages and tests. */
  ownOrigins(): string[] {
    return [...this.#origins];
  }

  /** Whether a request made to `url` is for this node. */
  accepts(url: URL): boolean {
    if (this.#publicHostname !== undefined && url.hostname === this.#publicHostname) return true;
    return this.#origins.has(url.origin);
  }

  /** The origin sign-ins and same-origin checks use, for a request that {@link accepts} passed. */
  originOf(url: URL): string {
    return this.publicUrl ?? url.origin;
  }

  /** Refuses every request whose Host is not one of this node's (the DNS-rebinding defence). */
  guard(): MiddlewareHandler {
    return async (c, next) => {
      const url = new URL(c.req.url);
      if (!this.accepts(url)) {
        const host = url.host.slice(0, 100);
        if (this.#logged.size < MAX_LOGGED_HOSTS && !this.#logged.has(host)) {
          this.#logged.add(host);
          log.warn("Refused requests for an address this node does not answer at", {
            host,
            hint: "set --public-url if people reach the node at this address",
          });
        }
        throw new UnknownHostError(host, this.scheme);
      }
      await next();
    };
  }
}
