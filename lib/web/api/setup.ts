/**
 * Family setup on a fresh node (DESIGN §4): the first member presents the
 * one-time setup code the node printed, with the family record, their own
 * founder member record and the family key wrapped for themself (FORMAT §14),
 * all signed in their browser; names arrive sealed. The node verifies them,
 * stores them, retires the code and signs the founder in.
 */

import { Hono } from "hono";
import { z } from "zod";
import { ForbiddenError, P2posError } from "../../core/errors.ts";
import type { FamilyKeyBody } from "../../core/family_key_kind.ts";
import { currentFamily, type FamilyBody, type MemberBody } from "../../core/family_kinds.ts";
import type { NodeBody } from "../../core/node_kinds.ts";
import type { TypedRecord } from "../../core/record_kinds.ts";
import { toBase64Url } from "../../crypto/mod.ts";
import type { IndexDb, RecordLog } from "../../store/mod.ts";
import { checkSetupCode, retireSetupCode } from "../../vault/setup_code.ts";
import type { AttemptLimiter } from "../auth/attempt_limiter.ts";
import { startSession } from "../auth/start_session.ts";
import { describe } from "./openapi.ts";
import { type AppEnv } from "../auth/middleware.ts";
import type { SessionStore } from "../../store/session_store.ts";
import { readJson } from "../validate.ts";
import { memberView } from "./views.ts";

export interface SetupRoutesDeps {
  nodeKey: { nodeId: string; publicKey: Uint8Array };
  db: IndexDb;
  records: RecordLog;
  sessions: SessionStore;
  limiter: AttemptLimiter;
  publicUrl?: string;
}

class BadSetupCodeError extends P2posError {
  constructor() {
    super(
      "bad_setup_code",
      "That setup code is not right: check the node's console for the current one",
    );
  }
}

class AlreadySetUpError extends P2posError {
  constructor() {
    super(
      "already_set_up",
      "This node is already set up: its setup code was used. Sign in instead.",
    );
  }
}

const Code = z.string().min(1).max(64);

/** The JSON bodies these routes read, by operation (the OpenAPI document describes them). */
export const SETUP_BODIES = {
  "POST /v1/setup/check": z.object({ code: Code }).strict(),
  "POST /v1/setup": z.object({ code: Code, records: z.array(z.unknown()).min(3).max(4) }).strict(),
};

export function setupRoutes(deps: SetupRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const checkCode = (code: string) => {
    if (currentFamily(deps.records)) {
      throw new AlreadySetUpError();
    }
    deps.limiter.check();
    if (!checkSetupCode(deps.db, code)) {
      deps.limiter.fail();
      throw new BadSetupCodeError();
    }
  };

  app.post(
    "/setup/check",
    describe({
      summary: "Check this node's one-time setup code",
      auth: false,
      body: SETUP_BODIES["POST /v1/setup/check"],
    }),
    async (c) => {
      const { code } = await readJson(c, SETUP_BODIES["POST /v1/setup/check"]);
      checkCode(code);
      return c.json({ ok: true });
    },
  );

  app.post(
    "/setup",
    describe({
      summary:
        "Create the family: setup code + signed family record, founder's member record, family key wrapped for the founder (and this node's record)",
      auth: false,
      body: SETUP_BODIES["POST /v1/setup"],
      signedRecords: true,
    }),
    async (c) => {
      const body = await readJson(c, SETUP_BODIES["POST /v1/setup"]);
      checkCode(body.code);
      const [family, founder, familyKey, node] = body.records as [
        TypedRecord<FamilyBody>,
        TypedRecord<MemberBody>,
        TypedRecord<FamilyKeyBody>,
        TypedRecord<NodeBody> | undefined,
      ];
      if (
        family?.kind !== "family" || founder?.kind !== "member" ||
        familyKey?.kind !== "family_key" || familyKey.id !== founder.body?.x25519
      ) {
        throw new ForbiddenError(
          "Setup needs a family record, the founder's member record, and the family key " +
            "wrapped for the founder",
        );
      }
      // Optional fourth record: this node's own node record, signed by the founder, so the
      // family's first node can pair others (PROTOCOL §4). Without it the node works alone.
      if (
        node !== undefined &&
        (node?.kind !== "node" || node.id !== deps.nodeKey.nodeId ||
          node.body?.publicKey !== toBase64Url(deps.nodeKey.publicKey))
      ) {
        throw new ForbiddenError("The fourth setup record must be the node record of this node");
      }
      deps.records.apply(body.records, { via: "setup" });
      retireSetupCode(deps.db);
      const member = deps.records.get<MemberBody>("member", founder.id)!;
      startSession(c, deps.sessions, deps.publicUrl, member.id);
      return c.json({ member: memberView(member), family: { id: family.id } }, 201);
    },
  );

  return app;
}
