/**
 * `GET /v1/family`: what a member's browser needs to read the family's names (FORMAT §14):
 * the family's key epoch, key id, sealed name and keychain; this member's wrapped family key;
 * every member's sealed name. Admins also learn who lacks the key in force (members, pending
 * invites) and whether a removal still waits for a new key: their browser wraps and rotates
 * (lib/web/browser/family_keys.ts). None of it is readable to the node.
 */

import { Hono } from "hono";
import { type FamilyKeyBody, recipientsBehind, rotationDue } from "../../core/family_key_kind.ts";
import { currentFamily, type MemberBody } from "../../core/family_kinds.ts";
import { NotFoundError } from "../../core/errors.ts";
import type { RecordLog } from "../../store/mod.ts";
import { describe } from "./openapi.ts";
import { type AppEnv, requireAuth } from "../auth/middleware.ts";

export function familyRoutes(deps: { records: RecordLog }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(
    "/family",
    describe({
      summary:
        "Sealed names and my wrapped family key (FORMAT §14); for admins, who lacks the key in force and whether a removal awaits a new key",
    }),
    (c) => {
      const auth = requireAuth(c);
      const family = currentFamily(deps.records);
      if (!family) throw new NotFoundError("This node has no family yet");
      const { founder, epoch, keyId, name, keys } = family.body;
      const key = deps.records.get<FamilyKeyBody>("family_key", auth.member.body.x25519);
      const members = deps.records.list<MemberBody>("member").map((m) => ({
        key: m.id,
        role: m.body.role,
        removed: m.body.removed,
        x25519: m.body.x25519,
        name: m.body.name,
      }));
      const admin = auth.member.body.role === "admin";
      return c.json({
        family: { id: family.id, founder, epoch, keyId, name, keys },
        key: key?.body ?? null,
        members,
        ...(admin
          ? { behind: recipientsBehind(deps.records), rotate: rotationDue(deps.records) }
          : {}),
      });
    },
  );
  return app;
}
