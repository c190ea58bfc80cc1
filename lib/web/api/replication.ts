/**
 * Replication status and "where is it stored" (seed §13, DESIGN §7):
 *
 * - `GET /v1/replication/status`: backlog per peer and state, last sync, path;
 * - `GET /v1/blobs/:id/locations`: which nodes hold one blob, acknowledged and
 *   verified when;
 * - `POST /v1/replication/locations` `{ blobIds }`: the same for many blobs (an
 *   album page). Blobs the member may not read are left out, as if unknown.
 */

import { Hono } from "hono";
import { z } from "zod";
import { NotFoundError } from "../../core/errors.ts";
import type { NodeBody } from "../../core/node_kinds.ts";
import type { LocationsAnswer } from "../../core/replication_view.ts";
import type { Replicator, WhereStored } from "../../replication/mod.ts";
import { assertBlobId } from "../../core/blob_id.ts";
import type { RecordLog } from "../../store/mod.ts";
import { describe } from "./openapi.ts";
import { type AppEnv, requireAuth } from "../auth/middleware.ts";
import { readJson } from "../validate.ts";

export interface ReplicationRoutesDeps {
  records: RecordLog;
  replication: Replicator;
  /** The vault's read policy (lib/vault/blob_access.ts). */
  canRead(blobId: string, memberKey: string): boolean;
}

const LocationsBody = z.object({
  blobIds: z.array(z.string().regex(/^[0-9a-f]{64}$/)).min(1).max(2000),
}).strict();

/** Node id → name, for every node a where-stored answer mentions. */
export function nodeNames(records: RecordLog, where: WhereStored[]): Record<string, string> {
  const names: Record<string, string> = {};
  for (const w of where) {
    for (const n of w.nodes) {
      names[n.nodeId] ??= records.get<NodeBody>("node", n.nodeId)?.body.name ?? "This node";
    }
  }
  return names;
}

/** The JSON bodies these routes read, by operation (the OpenAPI document describes them). */
export const REPLICATION_BODIES = { "POST /v1/replication/locations": LocationsBody };

export function replicationRoutes(deps: ReplicationRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get(
    "/replication/status",
    describe({
      summary: "Replication backlog per peer and state; path (HTTP or WebRTC) and throughput",
    }),
    (c) => {
      requireAuth(c);
      return c.json(deps.replication.status());
    },
  );

  app.get(
    "/blobs/:id/locations",
    describe({ summary: "Which nodes hold a blob, acked and verified when" }),
    async (c) => {
      const id = c.req.param("id");
      assertBlobId(id);
      // Same answer as for a blob that does not exist: existence is not revealed.
      if (!deps.canRead(id, requireAuth(c).memberKey)) {
        throw new NotFoundError(`Cannot locate blob ${id}: it is not stored`);
      }
      const where = await deps.replication.whereStored([id]);
      return c.json({ ...where[0], names: nodeNames(deps.records, where) });
    },
  );

  app.post(
    "/replication/locations",
    describe({
      summary: "Where blobs are stored ({blobIds})",
      body: REPLICATION_BODIES["POST /v1/replication/locations"],
    }),
    async (c) => {
      const auth = requireAuth(c);
      const { blobIds } = await readJson(c, REPLICATION_BODIES["POST /v1/replication/locations"]);
      const readable = [...new Set(blobIds)].filter((id) => deps.canRead(id, auth.memberKey));
      const where = await deps.replication.whereStored(readable);
      return c.json(
        { blobs: where, names: nodeNames(deps.records, where) } satisfies LocationsAnswer,
      );
    },
  );

  return app;
}
