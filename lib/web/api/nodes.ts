/**
 * The family's nodes (seed §13, PROTOCOL §4):
 *
 * - `GET /v1/nodes`: this node and its peers, with status, path, storage;
 * - `POST /v1/nodes/peers` (admin): approve a new node from its join code:
 *   store the admin-signed node record, then hand the new node the family;
 * - `POST /v1/nodes/join-code` (fresh node, with its setup code): the join
 *   code to show an admin; `GET /v1/nodes/join-status`: joined yet?
 *
 * Removing a node is an admin-signed node record with `removed: true`, sent
 * like any record (`POST /v1/records`).
 */

import { Hono } from "hono";
import { z } from "zod";
import { ConflictError, ForbiddenError, P2posError } from "../../core/errors.ts";
import { currentFamily } from "../../core/family_kinds.ts";
import {
  activeNode,
  decodeJoinCode,
  encodeJoinCode,
  type NodeBody,
} from "../../core/node_kinds.ts";
import type { TypedRecord } from "../../core/record_kinds.ts";
import { TransportError } from "../../core/transport.ts";
import { toBase64Url } from "../../crypto/mod.ts";
import type { Replicator } from "../../replication/mod.ts";
import type { IndexDb, NodeKey, RecordLog } from "../../store/mod.ts";
import { checkSetupCode, normalizeSetupCode } from "../../vault/setup_code.ts";
import { AttemptLimiter } from "../auth/attempt_limiter.ts";
import { describe } from "./openapi.ts";
import { type AppEnv, expectedOrigin, requireAdmin, requireAuth } from "../auth/middleware.ts";
import { errorBody } from "../errors.ts";
import { readJson } from "../validate.ts";

export interface NodeRoutesDeps {
  db: IndexDb;
  records: RecordLog;
  nodeKey: NodeKey;
  replication: Replicator;
  publicUrl?: string;
  /** No URL peers can reach: the join code carries none, peers meet it through the relay. */
  dialsOut?: boolean;
  now?: () => number;
}

const PairBody = z.object({
  joinCode: z.string().min(1).max(4000),
  record: z.unknown(),
  /** This node's own node record, when it has none yet (a family set up without one). */
  selfRecord: z.unknown().optional(),
}).strict();

class BadCodeError extends P2posError {
  constructor() {
    super("bad_setup_code", "That setup code is not right: check this node's console");
  }
}

function asNodeRecord(value: unknown, what: string): TypedRecord<NodeBody> {
  const r = value as TypedRecord<NodeBody> | undefined;
  if (r?.kind !== "node" || typeof r.body !== "object" || r.body === null) {
    throw new ForbiddenError(`${what} must be a signed node record`);
  }
  return r;
}

/** The JSON bodies these routes read, by operation (the OpenAPI document describes them). */
export const NODE_BODIES = {
  "POST /v1/nodes/peers": PairBody,
  "POST /v1/nodes/join-code": z.object({ code: z.string().min(1).max(64) }).strict(),
};

export function nodeRoutes(deps: NodeRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const self = deps.nodeKey.nodeId;
  const selfKey = toBase64Url(deps.nodeKey.publicKey);
  const limiter = new AttemptLimiter(10, 60_000, deps.now);

  app.get(
    "/nodes",
    describe({ summary: "This node and its peers: status, path, last sync, storage" }),
    (c) => {
      requireAuth(c);
      const status = deps.replication.status();
      const record = deps.records.get<NodeBody>("node", self);
      const removed = deps.records.list<NodeBody>("node").filter((n) => n.body.removed)
        .map((n) => ({ nodeId: n.id, name: n.body.name }));
      return c.json({
        self: {
          nodeId: self,
          publicKey: selfKey,
          name: record?.body.name,
          url: record?.body.url ?? deps.publicUrl ?? expectedOrigin(c, deps.publicUrl),
          paired: record !== undefined && !record.body.removed,
          removed: record?.body.removed === true,
          storage: status.storage,
          lastScrub: status.lastScrub,
          record,
        },
        peers: status.peers.map((p) => ({ ...p, record: deps.records.get("node", p.nodeId) })),
        removed,
        backlog: status.backlog,
      });
    },
  );

  app.post(
    "/nodes/peers",
    describe({
      summary: "Pair a node (admins): its join code + the admin-signed node record",
      body: NODE_BODIES["POST /v1/nodes/peers"],
    }),
    async (c) => {
      const auth = requireAdmin(c);
      const body = await readJson(c, NODE_BODIES["POST /v1/nodes/peers"]);
      let join;
      try {
        join = decodeJoinCode(body.joinCode);
      } catch (err) {
        throw new P2posError("bad_join_code", (err as Error).message);
      }
      if (join.nodeId === self) {
        throw new ConflictError("That is this node's own join code: paste it on another node");
      }
      const record = asNodeRecord(body.record, "The new node's record");
      if (
        record.id !== join.nodeId || record.body.publicKey !== join.publicKey ||
        record.body.removed !== false || record.author !== auth.memberKey
      ) {
        throw new ForbiddenError(
          "The node record must name the node of the join code, be signed by you, and not remove it",
        );
      }
      const toStore: unknown[] = [];
      if (!activeNode(deps.records, self)) {
        if (body.selfRecord === undefined) {
          throw new P2posError(
            "needs_self_record",
            "This node has no node record of its own yet: sign one for it too (selfRecord)",
          );
        }
        const mine = asNodeRecord(body.selfRecord, "This node's record");
        if (mine.id !== self || mine.body.publicKey !== selfKey || mine.author !== auth.memberKey) {
          throw new ForbiddenError("selfRecord must be this node's record, signed by you");
        }
        toStore.push(mine);
      }
      toStore.push(record);
      deps.records.apply(toStore, { via: "api", sessionMember: auth.memberKey });
      const peer = {
        nodeId: record.id,
        publicKey: record.body.publicKey,
        url: record.body.url,
        name: record.body.name,
      };
      try {
        await deps.replication.bootstrapPeer(peer, join.code);
      } catch (err) {
        // The approval is stored either way; pairing again only repeats the hand-over.
        const message = err instanceof TransportError
          ? err.message
          : `Cannot hand the family to the new node: ${(err as Error).message}`;
        return c.json(errorBody("pairing_failed", message), 502);
      }
      return c.json({ node: { nodeId: peer.nodeId, name: peer.name, url: peer.url } }, 201);
    },
  );

  app.post(
    "/nodes/join-code",
    describe({
      summary: "A fresh node's join code, for its setup code",
      auth: false,
      body: NODE_BODIES["POST /v1/nodes/join-code"],
    }),
    async (c) => {
      const { code } = await readJson(c, NODE_BODIES["POST /v1/nodes/join-code"]);
      if (currentFamily(deps.records)) {
        throw new P2posError("already_set_up", "This node already belongs to a family");
      }
      limiter.check();
      if (!checkSetupCode(deps.db, code)) {
        limiter.fail();
        throw new BadCodeError();
      }
      const url = deps.dialsOut ? undefined : deps.publicUrl ?? expectedOrigin(c, deps.publicUrl);
      const joinCode = encodeJoinCode({
        v: 1,
        nodeId: self,
        publicKey: selfKey,
        ...(url ? { url } : {}),
        code: normalizeSetupCode(code),
      });
      return c.json({ joinCode, nodeId: self, publicKey: selfKey, url });
    },
  );

  app.get(
    "/nodes/join-status",
    describe({
      summary: "Whether this node has joined a family, and has read its records (ready)",
      auth: false,
    }),
    (c) => {
      // Joined once a family node handed it the family; ready once it has read the family's
      // records far enough to find its own node record there.
      return c.json({
        joined: currentFamily(deps.records) !== undefined || deps.replication.joining(),
        ready: activeNode(deps.records, self) !== undefined,
      });
    },
  );

  return app;
}
