/**
 * Members, invites and joining:
 * `GET /v1/members`, `GET /v1/invites` (admins), `POST /v1/join` (redeem an
 * invite: the new person's self-signed member record carries the token, and
 * usually the family key she unwrapped from the invite, wrapped for herself).
 * Names are sealed (FORMAT §14): the node passes them on unread.
 */

import { Hono } from "hono";
import { z } from "zod";
import { ValidationError } from "../../core/errors.ts";
import { currentFamily, type InviteBody, type MemberBody } from "../../core/family_kinds.ts";
import type { RecordLog } from "../../store/mod.ts";
import { startSession } from "../auth/start_session.ts";
import { describe } from "./openapi.ts";
import { type AppEnv, requireAdmin, requireAuth } from "../auth/middleware.ts";
import type { SessionStore } from "../../store/session_store.ts";
import { readJson } from "../validate.ts";
import { inviteStatus, memberView } from "./views.ts";

export interface MemberRoutesDeps {
  records: RecordLog;
  sessions: SessionStore;
  publicUrl?: string;
}

/** The JSON bodies these routes read, by operation (the OpenAPI document describes them). */
export const MEMBER_BODIES = {
  "POST /v1/join": z.object({ record: z.unknown(), familyKey: z.unknown().optional() }).strict(),
};

export function memberRoutes(deps: MemberRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get(
    "/members",
    describe({ summary: "Family members (names sealed) with their signed records" }),
    (c) => {
      requireAuth(c);
      const members = deps.records.list<MemberBody>("member").map((m) => ({
        ...memberView(m),
        removed: m.body.removed,
        x25519: m.body.x25519,
        record: m,
      }));
      return c.json({ members });
    },
  );

  app.get("/invites", describe({ summary: "Invites and their status (admins)" }), (c) => {
    requireAdmin(c);
    const invites = deps.records.list<InviteBody>("invite").map((i) => ({
      id: i.id,
      role: i.body.role,
      expiresAt: i.body.expiresAt,
      revoked: i.body.revoked,
      createdBy: i.author,
      ...inviteStatus(i, deps.records),
      record: i,
    }));
    return c.json({ invites });
  });

  app.post(
    "/join",
    describe({
      summary:
        "Redeem an invite with a self-signed member record (and the family key wrapped for herself)",
      auth: false,
      body: MEMBER_BODIES["POST /v1/join"],
      signedRecords: true,
    }),
    async (c) => {
      const { record, familyKey } = await readJson(c, MEMBER_BODIES["POST /v1/join"]);
      const r = record as { kind?: unknown; id?: unknown; author?: unknown };
      if (r?.kind !== "member" || r.id !== r.author) {
        throw new ValidationError("Joining needs your own signed member record");
      }
      const k = familyKey as { kind?: unknown; author?: unknown } | undefined;
      if (k !== undefined && (k?.kind !== "family_key" || k.author !== r.author)) {
        throw new ValidationError("The family key of a join is wrapped by the joiner, for herself");
      }
      // One batch: the family key record is judged after the join that makes her a member.
      deps.records.apply(k === undefined ? [record] : [record, familyKey], { via: "api" });
      const member = deps.records.get<MemberBody>("member", String(r.id))!;
      const family = currentFamily(deps.records)!;
      startSession(c, deps.sessions, deps.publicUrl, member.id);
      return c.json({ member: memberView(member), family: { id: family.id } }, 201);
    },
  );

  return app;
}
