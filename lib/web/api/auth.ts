/**
 * Signing in with keys (DESIGN §6): `POST /v1/auth/challenge` → the browser
 * signs the domain-separated login message (origin + node id + challenge) →
 * `POST /v1/auth/verify` sets the session cookie. Plus the session itself:
 * `GET /v1/session`, `POST /v1/auth/logout`, `DELETE /v1/sessions/:handle`.
 */

import { Hono } from "hono";
import { z } from "zod";
import { fromBase64Url, loginMessage, toBase64Url, verify } from "../../crypto/mod.ts";
import { NotFoundError, UnauthorizedError } from "../../core/errors.ts";
import { activeMember, currentFamily } from "../../core/family_kinds.ts";
import type { HybridClock } from "../../core/hlc.ts";
import { Key32 } from "../../core/schemas.ts";
import type { NodeKey, RecordLog } from "../../store/mod.ts";
import { clearSessionCookie } from "../auth/cookies.ts";
import { startSession } from "../auth/start_session.ts";
import { describe } from "./openapi.ts";
import { type AppEnv, expectedOrigin, requireAuth } from "../auth/middleware.ts";
import type { SessionStore } from "../../store/session_store.ts";
import { readJson } from "../validate.ts";
import { memberView } from "./views.ts";

export interface AuthRoutesDeps {
  sessions: SessionStore;
  records: RecordLog;
  nodeKey: NodeKey;
  clock: HybridClock;
  publicUrl?: string;
}

const VerifyBody = z.object({
  member: Key32,
  challenge: z.string().regex(/^[A-Za-z0-9_-]{22,86}$/),
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
}).strict();

/** The JSON bodies these routes read, by operation (the OpenAPI document describes them). */
export const AUTH_BODIES = { "POST /v1/auth/verify": VerifyBody };

export function authRoutes(deps: AuthRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post(
    "/auth/challenge",
    describe({ summary: "Get a single-use login challenge (60 s)", auth: false }),
    (c) => {
      const { challenge, expiresAt } = deps.sessions.createChallenge();
      return c.json({
        challenge,
        expiresAt,
        nodeId: deps.nodeKey.nodeId,
        // For signing this node's own node record at setup (PROTOCOL §4).
        nodePublicKey: toBase64Url(deps.nodeKey.publicKey),
        nodeUrl: expectedOrigin(c, deps.publicUrl),
        origin: expectedOrigin(c, deps.publicUrl),
        serverHlc: deps.clock.next(),
      });
    },
  );

  app.post(
    "/auth/verify",
    describe({
      summary: "Sign in: Ed25519 signature over the login message (FORMAT.md §8)",
      auth: false,
      body: AUTH_BODIES["POST /v1/auth/verify"],
    }),
    async (c) => {
      const body = await readJson(c, AUTH_BODIES["POST /v1/auth/verify"]);
      // Consumed before anything else: a challenge is good for one attempt only.
      if (!deps.sessions.consumeChallenge(body.challenge)) {
        throw new UnauthorizedError(
          "This sign-in challenge is unknown, used or expired; start again",
        );
      }
      const member = activeMember(deps.records, body.member);
      if (!member) {
        throw new UnauthorizedError("This key is not a member of the family on this node");
      }
      const origin = expectedOrigin(c, deps.publicUrl);
      const message = loginMessage({
        origin,
        nodeId: deps.nodeKey.nodeId,
        challenge: body.challenge,
      });
      if (!verify(fromBase64Url(body.signature), message, fromBase64Url(body.member))) {
        throw new UnauthorizedError(
          "The sign-in signature does not verify for this node and origin",
        );
      }
      startSession(c, deps.sessions, deps.publicUrl, body.member);
      return c.json({ member: memberView(member) });
    },
  );

  app.post("/auth/logout", describe({ summary: "End this session", auth: false }), (c) => {
    const auth = c.get("auth");
    if (auth) deps.sessions.end(auth.token);
    clearSessionCookie(c, expectedOrigin(c, deps.publicUrl));
    return c.body(null, 204);
  });

  app.get(
    "/session",
    describe({
      summary: "The signed-in member (name sealed), the family's id and this member's devices",
    }),
    (c) => {
      const auth = requireAuth(c);
      const family = currentFamily(deps.records);
      return c.json({
        member: { ...memberView(auth.member), x25519: auth.member.body.x25519 },
        family: family ? { id: family.id } : null,
        nodeId: deps.nodeKey.nodeId,
        serverHlc: deps.clock.next(),
        sessions: deps.sessions.listOf(auth.memberKey).map((s) => ({
          handle: s.handle,
          createdAt: s.createdAt,
          lastSeen: s.lastSeen,
          device: s.device,
          current: s.handle === auth.handle,
        })),
      });
    },
  );

  app.delete(
    "/sessions/:handle",
    describe({ summary: "End one of my sessions (a device)" }),
    (c) => {
      const auth = requireAuth(c);
      if (!deps.sessions.endByHandle(auth.memberKey, c.req.param("handle"))) {
        throw new NotFoundError("No such session");
      }
      return c.body(null, 204);
    },
  );

  return app;
}
