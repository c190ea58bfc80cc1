/**
 * `POST /v1/records`: signed records from a signed-in member's browser
 * (invites, member changes, and — with the vault — albums, grants, photos).
 * The author must be the signed-in member; the record log checks the
 * signature and the author's right to make each change.
 *
 * `GET /v1/heads`: what a record made now follows in the family log (`prev`),
 * and the stamp it must be later than.
 */

import { Hono } from "hono";
import { z } from "zod";
import { ForbiddenError } from "../../core/errors.ts";
import type { BlobStore, RecordLog } from "../../store/mod.ts";
import { checkPhotoBlobs } from "../../vault/photo_blobs.ts";
import { describe } from "./openapi.ts";
import { type AppEnv, requireAuth } from "../auth/middleware.ts";
import { readJson } from "../validate.ts";

const Body = z.object({ records: z.array(z.unknown()).min(1).max(200) }).strict();

/** The JSON bodies these routes read, by operation (the OpenAPI document describes them). */
export const RECORD_BODIES = { "POST /v1/records": Body };

export function recordRoutes(deps: { records: RecordLog; blobs: BlobStore }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(
    "/heads",
    describe({
      summary: "What a record made now follows in the family log (prev) and the stamp to exceed",
    }),
    (c) => {
      requireAuth(c);
      c.header("cache-control", "no-store");
      return c.json(deps.records.heads());
    },
  );
  app.post(
    "/records",
    describe({
      summary: "Store signed records (any kind), authorized per author",
      body: RECORD_BODIES["POST /v1/records"],
      signedRecords: true,
    }),
    async (c) => {
      const auth = requireAuth(c);
      const { records } = await readJson(c, RECORD_BODIES["POST /v1/records"]);
      records.forEach((r, i) => {
        if ((r as { author?: unknown })?.author !== auth.memberKey) {
          throw new ForbiddenError(`Record ${i} is not signed by the signed-in member`);
        }
      });
      await checkPhotoBlobs(records, deps.blobs, deps.records);
      const results = deps.records.apply(records, { via: "api", sessionMember: auth.memberKey });
      return c.json({ results });
    },
  );
  return app;
}
