/**
 * `/internal/v1/...`: the node-to-node API (docs/PROTOCOL.md §3). Every route
 * sits behind {@link peerAuth}; every JSON answer is signed with this node's
 * key over the request's nonce, so the caller knows it is fresh and ours.
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import { fromBase64Url } from "../../crypto/mod.ts";
import { ConflictError, P2posError, ValidationError } from "../../core/errors.ts";
import { currentFamily } from "../../core/family_kinds.ts";
import type { NodeSigner } from "../../core/transport.ts";
import { signResponse } from "../../net/signing.ts";
import { rethrowBodyFailure } from "../errors.ts";
import { assertDeclaredBlobSize, parseJson } from "../validate.ts";
import { describe } from "../api/openapi.ts";
import type { Replicator } from "../../replication/mod.ts";
import { assertBlobId } from "../../core/blob_id.ts";
import type { IndexDb, RecordLog } from "../../store/mod.ts";
import { checkSetupCode, retireSetupCode } from "../../vault/setup_code.ts";
import { AttemptLimiter } from "../auth/attempt_limiter.ts";
import type { NonceStore } from "../../replication/nonce_store.ts";
import { type InternalEnv, peerAuth } from "./peer_auth.ts";

export interface InternalRoutesDeps {
  db: IndexDb;
  records: RecordLog;
  nodeKey: NodeSigner;
  replication: Replicator;
  nonces: NonceStore;
  maxBlobBytes: number;
  /** Cap on JSON bodies between nodes. */
  maxPeerJsonBytes: number;
  now: () => number;
}

const BlobId = z.string().regex(/^[0-9a-f]{64}$/);
const FeedPageBody = z.object({
  indexId: z.string().regex(/^[0-9a-f]{8,64}$/),
  after: z.number().int().min(0),
  lastSeq: z.number().int().min(0),
  records: z.array(z.unknown()).max(10_000),
  more: z.boolean(),
}).strict();
const HaveBody = z.object({ ids: z.array(BlobId).max(10_000) }).strict();
const OfferBody = z.object({
  blobs: z.array(z.object({ id: BlobId, size: z.number().int().min(0) }).strict()).max(10_000),
}).strict();
const ProofBody = z.object({ nonce: z.string().regex(/^[A-Za-z0-9_-]{22,86}$/) }).strict();
const BootstrapBody = z.object({
  code: z.string().min(1).max(64),
  records: z.array(z.unknown()).min(1).max(100_000),
}).strict();

function parse<T>(c: Context<InternalEnv>, schema: z.ZodType<T>): T {
  return parseJson(new TextDecoder().decode(c.get("peer")!.body), schema);
}

function intParam(c: Context, name: string, dflt: number, max: number): number {
  const raw = c.req.query(name);
  if (raw === undefined) return dflt;
  if (!/^\d{1,15}$/.test(raw)) throw new ValidationError(`"${name}" must be a whole number`);
  return Math.min(Number(raw), max);
}

class BadBootstrapCodeError extends P2posError {
  constructor() {
    super("bad_setup_code", "The setup code in the join code is not this node's current one");
  }
}

export function internalRoutes(deps: InternalRoutesDeps): Hono<InternalEnv> {
  const app = new Hono<InternalEnv>();
  const replication = deps.replication.peerSide;
  const limiter = new AttemptLimiter(10, 60_000, deps.now);

  const reply = async (c: Context<InternalEnv>, body: unknown, status: 200 | 201 = 200) => {
    const bytes = new TextEncoder().encode(JSON.stringify(body));
    const headers = await signResponse(deps.nodeKey, status, c.get("peer")!.nonce, bytes);
    return new Response(bytes, {
      status,
      headers: { ...headers, "content-type": "application/json", "cache-control": "no-store" },
    });
  };

  app.use(
    "*",
    peerAuth({
      records: deps.records,
      nodeId: deps.nodeKey.nodeId,
      nonces: deps.nonces,
      maxBodyBytes: deps.maxPeerJsonBytes,
      now: deps.now,
      onAuthenticated: (nodeId) => replication.peerSeen(nodeId),
      pinnedKey: (nodeId) => replication.pinnedKey(nodeId),
    }),
  );

  app.get(
    "/hello",
    describe({ summary: "Who the node is, its feed, its storage", auth: "node" }),
    (c) => {
      const index = c.req.query("index");
      const indexId = index && /^[0-9a-f]{8,64}$/.test(index) ? index : undefined;
      return reply(c, replication.serveHello(c.get("peer")!.nodeId, indexId));
    },
  );

  app.get("/records", describe({ summary: "The record feed after ?after=", auth: "node" }), (c) => {
    const after = intParam(c, "after", 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(c, "limit", 500, 500) || 1;
    return reply(c, replication.serveFeed(after, limit));
  });

  app.post(
    "/records",
    describe({
      summary: "Push a page of the caller's feed",
      auth: "node",
      body: FeedPageBody,
      signedRecords: true,
    }),
    (c) => {
      const page = parse(c, FeedPageBody);
      return reply(c, replication.acceptRecords(c.get("peer")!.nodeId, page));
    },
  );

  app.get(
    "/inventory",
    describe({ summary: "Blob ids held, a page at a time", auth: "node" }),
    async (c) => {
      const after = c.req.query("after");
      if (after !== undefined) assertBlobId(after, "inventory cursor");
      const limit = intParam(c, "limit", 5000, 10_000) || 1;
      const page = await replication.serveInventory(after, limit);
      return reply(c, page.next ? { ids: page.ids, next: page.next } : { ids: page.ids });
    },
  );

  app.post(
    "/blobs/have",
    describe({ summary: "Which of {ids} the node holds", auth: "node", body: HaveBody }),
    async (c) => {
      const { ids } = parse(c, HaveBody);
      return reply(c, { have: await replication.haveBlobs(ids) });
    },
  );

  app.post(
    "/blobs/offer",
    describe({ summary: "Blobs the caller holds, to pull", auth: "node", body: OfferBody }),
    async (c) => {
      const { blobs } = parse(c, OfferBody);
      return reply(c, await replication.acceptOffer(c.get("peer")!.nodeId, blobs));
    },
  );

  app.put(
    "/blobs/:id",
    describe({ summary: "Push a blob (422 on hash mismatch)", auth: "node" }),
    async (c) => {
      const id = c.req.param("id");
      assertBlobId(id);
      const size = c.req.header("p2pos-blob-size");
      if (size !== undefined) assertDeclaredBlobSize(size, deps.maxBlobBytes, "P2pos-Blob-Size");
      else assertDeclaredBlobSize(c.req.header("content-length"), deps.maxBlobBytes);
      const body = c.req.raw.body;
      if (!body) throw new ValidationError("PUT /internal/v1/blobs/:id needs the blob bytes");
      let r;
      try {
        r = await replication.acceptBlob(c.get("peer")!.nodeId, id, body, {
          maxBytes: deps.maxBlobBytes,
        });
      } catch (err) {
        // A sender that died mid-push cut the body off: an interrupted transfer, not a fault of
        // this node (the store removed its temp file; nothing was stored or acknowledged).
        rethrowBodyFailure(err, "Blob push");
      }
      return reply(c, { id, size: r.size, created: r.created }, r.created ? 201 : 200);
    },
  );

  app.get("/blobs/:id", describe({ summary: "Pull a blob", auth: "node" }), async (c) => {
    const id = c.req.param("id");
    assertBlobId(id);
    // PROTOCOL §3.5: `offset` resumes an interrupted pull where the puller's bytes end.
    const offset = intParam(c, "offset", 0, Number.MAX_SAFE_INTEGER);
    const got = await replication.readBlob(id, offset);
    return new Response(got.stream, {
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(got.size - offset),
        "p2pos-blob-size": String(got.size),
        "cache-control": "no-store",
      },
    });
  });

  app.post(
    "/blobs/:id/proof",
    describe({
      summary: "Proof of possession: SHA-256(nonce ‖ blob)",
      auth: "node",
      body: ProofBody,
    }),
    async (c) => {
      const id = c.req.param("id");
      assertBlobId(id);
      const { nonce } = parse(c, ProofBody);
      return reply(c, { digest: await replication.proveLocal(id, fromBase64Url(nonce)) });
    },
  );

  app.post(
    "/bootstrap",
    describe({
      summary: "A fresh node takes the family's trust records (pairing)",
      auth: "node",
      body: BootstrapBody,
      signedRecords: true,
    }),
    async (c) => {
      const { code, records } = parse(c, BootstrapBody);
      if (currentFamily(deps.records)) {
        throw new ConflictError("This node already belongs to a family");
      }
      limiter.check();
      if (!checkSetupCode(deps.db, code)) {
        limiter.fail();
        throw new BadBootstrapCodeError();
      }
      const peer = c.get("peer")!;
      await replication.acceptBootstrap(
        { nodeId: peer.nodeId, publicKey: peer.publicKey },
        records,
      );
      retireSetupCode(deps.db);
      return reply(c, { joined: true }, 201);
    },
  );

  return app;
}
