/**
 * Device links (lib/web/browser/device_link.ts): a signed-in member leaves their seed here,
 * sealed under a one-time secret the node never sees, for a new device to fetch once.
 *
 * - `POST /v1/device-links` (session): `{ lookup, sealed }`; kept 10 minutes, in memory only;
 * - `GET /v1/device-links/:lookup` (the same member): 200 while waiting, 404 once fetched or gone;
 * - `POST /v1/device-links/claim` (no session): `{ lookup }` → `{ sealed }`, once; guesses are
 *   rate-limited, and a lookup is a 256-bit hash, so guessing is hopeless anyway.
 */

import { Hono } from "hono";
import { z } from "zod";
import { NotFoundError } from "../../core/errors.ts";
import { Hex64 } from "../../core/schemas.ts";
import { AttemptLimiter } from "../auth/attempt_limiter.ts";
import { describe } from "./openapi.ts";
import { type AppEnv, requireAuth } from "../auth/middleware.ts";
import { readJson } from "../validate.ts";

const TTL_MS = 10 * 60_000;
const PER_MEMBER = 3;

interface Link {
  member: string;
  sealed: string;
  expiresAt: number;
}

/** The JSON bodies these routes read, by operation (the OpenAPI document describes them). */
export const DEVICE_LINK_BODIES = {
  "POST /v1/device-links": z.object({
    lookup: Hex64,
    sealed: z.string().regex(/^[A-Za-z0-9_-]+$/).max(4096),
  }).strict(),
  "POST /v1/device-links/claim": z.object({ lookup: Hex64 }).strict(),
};

export function deviceLinkRoutes(deps: { now?: () => number }): Hono<AppEnv> {
  const now = deps.now ?? Date.now;
  const links = new Map<string, Link>();
  const limiter = new AttemptLimiter(20, 60_000, now);
  const live = (lookup: string) => {
    for (const [k, l] of links) if (l.expiresAt <= now()) links.delete(k);
    return links.get(lookup);
  };
  const app = new Hono<AppEnv>();

  app.post(
    "/device-links",
    describe({
      summary: "Leave my sealed seed for a device I link (10 min)",
      body: DEVICE_LINK_BODIES["POST /v1/device-links"],
    }),
    async (c) => {
      const auth = requireAuth(c);
      const body = await readJson(c, DEVICE_LINK_BODIES["POST /v1/device-links"]);
      live(body.lookup);
      // A member's older links go first: at most a few wait at any time.
      const mine = [...links].filter(([, l]) => l.member === auth.memberKey);
      for (const [k] of mine.slice(0, Math.max(0, mine.length - PER_MEMBER + 1))) links.delete(k);
      const expiresAt = now() + TTL_MS;
      links.set(body.lookup, { member: auth.memberKey, sealed: body.sealed, expiresAt });
      return c.json({ expiresAt }, 201);
    },
  );

  app.get(
    "/device-links/:lookup",
    describe({ summary: "Is my device link still waiting? (404 once used)" }),
    (c) => {
      const auth = requireAuth(c);
      const link = live(c.req.param("lookup"));
      if (!link || link.member !== auth.memberKey) throw new NotFoundError("No such device link");
      return c.json({ waiting: true, expiresAt: link.expiresAt });
    },
  );

  app.post(
    "/device-links/claim",
    describe({
      summary: "Fetch a sealed device link once, by its lookup (the new device has no session)",
      auth: false,
      body: DEVICE_LINK_BODIES["POST /v1/device-links/claim"],
    }),
    async (c) => {
      const { lookup } = await readJson(c, DEVICE_LINK_BODIES["POST /v1/device-links/claim"]);
      limiter.check();
      const link = live(lookup);
      if (!link) {
        limiter.fail();
        throw new NotFoundError(
          "This link code is unknown, used or expired: make a new one on your signed-in device",
        );
      }
      links.delete(lookup);
      return c.json({ sealed: link.sealed });
    },
  );

  return app;
}
