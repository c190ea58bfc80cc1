/**
 * Assembles the node's Hono app: security headers, the JSON error contract,
 * `/health`, the `/v1` API, static files, island bundles and the pages.
 * Everything it needs comes in through {@link AppDeps}; only `main.ts` builds
 * the real parts.
 */

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ResolvedNodeConfig } from "../core/config.ts";
import { UnauthorizedError } from "../core/errors.ts";
import { stallGuarded } from "../core/stall.ts";
import { currentFamily, type MemberBody } from "../core/family_kinds.ts";
import type { HybridClock } from "../core/hlc.ts";
import type { BlobStore, IndexDb, NodeKey, RecordLog, UploadSessions } from "../store/mod.ts";
import { AlbumQueries } from "../vault/album_queries.ts";
import { BlobAccess } from "../vault/blob_access.ts";
import { issueUploadReceipt } from "../vault/upload_receipt.ts";
import { createKindRegistry } from "../vault/kinds.ts";
import { Replicator } from "../replication/mod.ts";
import { eventRoutes } from "./api/events.ts";
import { nodeRoutes } from "./api/nodes.ts";
import { replicationRoutes } from "./api/replication.ts";
import { NonceStore } from "../replication/nonce_store.ts";
import { internalRoutes } from "./internal/routes.ts";
import { albumRoutes } from "./api/albums.ts";
import { describe, openApiRoute } from "./api/openapi.ts";
import { uploadRoutes } from "./api/uploads.ts";
import { authRoutes } from "./api/auth.ts";
import { blobRoutes } from "./api/blobs.ts";
import { familyRoutes } from "./api/family.ts";
import { memberRoutes } from "./api/members.ts";
import { deviceLinkRoutes } from "./api/device_links.ts";
import { recordRoutes } from "./api/records.ts";
import { setupRoutes } from "./api/setup.ts";
import { AttemptLimiter } from "./auth/attempt_limiter.ts";
import { type AppEnv, sameOriginGuard, sessionMiddleware } from "./auth/middleware.ts";
import type { NodeOrigins } from "./auth/node_origins.ts";
import type { SessionStore } from "../store/session_store.ts";
import { getCookie } from "hono/cookie";
import { bodyFailure, errorBody, handleError, notFoundBody } from "./errors.ts";
import { mountPages } from "./pages.ts";
import { securityHeaders } from "./security_headers.ts";
import { serveFileFrom } from "./static_files.ts";
import type { Manifest, PageState } from "./types.ts";
import { ROOT } from "./build.ts";
import { appShell } from "./app_shell.ts";
import { familyOrigins } from "./family_origins.ts";

export interface AppDeps {
  config: ResolvedNodeConfig;
  nodeKey: NodeKey;
  db: IndexDb;
  blobs: BlobStore;
  records: RecordLog;
  sessions: SessionStore;
  uploads: UploadSessions;
  /** The origins this node answers at; requests for any other Host are refused. */
  origins: NodeOrigins;
  clock: HybridClock;
  manifest: Manifest;
  /** Current island build id (changes when bundles are rebuilt). */
  buildId: () => string;
  /** Injectable clock for tests. @default Date.now */
  now?: () => number;
  /** The replication engine (started by main.ts); tests without one get an idle engine. */
  replication?: Replicator;
}

/** What pages get as `state.services`. */
export type AppServices = AppDeps;

export { VERSION } from "./version.ts";
import { VERSION } from "./version.ts";

export function isFirstRun(records: RecordLog): boolean {
  return currentFamily(records) === undefined;
}

/** Blob uploads and pushes: their bodies stream into the store. */
const BLOB_PUT = /^\/(v1|internal\/v1)\/blobs\/[^/]+$/;

/** `/v1` routes that work without a session: everything else needs one. */
const PUBLIC_API = new Set([
  "/v1/auth/challenge",
  "/v1/auth/verify",
  "/v1/auth/logout",
  "/v1/setup",
  "/v1/setup/check",
  "/v1/join",
  "/v1/openapi.json",
  "/v1/nodes/join-code",
  "/v1/nodes/join-status",
  "/v1/device-links/claim",
]);

export function createApp(appDeps: AppDeps): Hono<AppEnv> {
  const replication = appDeps.replication ?? new Replicator({
    ...appDeps,
    kinds: createKindRegistry(),
    self: appDeps.nodeKey,
    transports: [],
  }, { now: appDeps.now, stallTimeoutMs: appDeps.config.stallTimeoutSecs * 1000 });
  const deps: AppDeps & { replication: Replicator } = { ...appDeps, replication };
  const stallMs = deps.config.stallTimeoutSecs * 1000;
  const app = new Hono<AppEnv>();
  const publicUrl = deps.config.publicUrl;
  const https = Boolean(deps.config.tlsCert) ||
    deps.config.publicUrl?.startsWith("https:") === true;

  const origins = familyOrigins(deps.records, deps.nodeKey.nodeId);
  const shell = appShell(ROOT);
  app.use("*", securityHeaders({ https, familyOrigins: origins }));
  app.onError((err, c) => {
    // A full disk pauses replication too, whichever request found it.
    replication.requestFailed(err);
    return handleError(err, c);
  });

  // Before anything reads the Host: sign-in origins and links must not follow it.
  app.use("*", deps.origins.guard());
  const cookieSuffix = deps.nodeKey.nodeId.replaceAll("-", "").slice(0, 8);
  app.use("*", (c, next) => {
    c.set("sessionCookie", cookieSuffix);
    return next();
  });
  app.use("*", sameOriginGuard(publicUrl));
  app.use("*", sessionMiddleware(deps));

  // A removed member's sessions end the moment the removal is stored.
  deps.records.onChange((stored) => {
    for (const { record } of stored) {
      if (record.kind === "member" && (record.body as MemberBody).removed) {
        deps.sessions.endAllOf(record.id);
      }
    }
  });

  // Every body that stops arriving fails with 408 after the stall limit instead of holding
  // its request (and what it locks) forever. Blob bodies are read by the store, which has the
  // same limit without this extra stream layer.
  app.use("*", async (c, next) => {
    const raw = c.req.raw;
    if (raw.body && !(raw.method === "PUT" && BLOB_PUT.test(c.req.path))) {
      c.req.raw = new Request(raw, {
        body: stallGuarded(
          raw.body,
          stallMs,
          `The ${raw.method} ${c.req.path} body`,
          (err) => bodyFailure(err, "Request body"),
        ),
        duplex: "half",
      } as RequestInit);
    }
    await next();
  });

  // Liveness for probes and peers: nothing about the family, members or data.
  // Family nodes' pages may ask it across origins (a page looking for a healthy node).
  app.get("/health", (c) => {
    const origin = c.req.header("origin");
    if (origin && origins().includes(origin)) {
      c.header("Access-Control-Allow-Origin", origin);
      c.header("Vary", "Origin");
    }
    return c.json({ status: "ok", version: VERSION });
  });

  // The installed app's service worker: its version and file list change with every build.
  app.get("/sw.js", (c) => {
    c.header("Content-Type", "text/javascript; charset=utf-8");
    c.header("Cache-Control", "no-cache");
    return c.body(shell.serviceWorker(deps.buildId()));
  });

  // JSON bodies are small; blobs have their own streaming limit.
  const jsonLimit = bodyLimit({
    maxSize: deps.config.maxJsonBytes,
    onError: (c) =>
      c.json(
        errorBody("too_large", `Request body exceeds ${deps.config.maxJsonBytes} bytes`),
        413,
      ),
  });
  app.use("/v1/*", (c, next) => {
    // Blob bytes and upload chunks stream with limits of their own (a batch of ids is JSON).
    if (c.req.path.startsWith("/v1/blobs/") && c.req.path !== "/v1/blobs/batch") return next();
    if (c.req.method === "PATCH" && c.req.path.startsWith("/v1/uploads/")) return next();
    return jsonLimit(c, next);
  });

  // Answers name members, sessions, invites and records: no browser or proxy cache may keep
  // them (a shared computer's cache outlives the sign-out). Blobs set their own policy:
  // ciphertext under a content address, cached privately.
  app.use("/v1/*", async (c, next) => {
    await next();
    if (!c.res.headers.has("cache-control")) c.res.headers.set("Cache-Control", "no-store");
  });

  app.use("/v1/*", async (c, next) => {
    if (!PUBLIC_API.has(c.req.path) && !c.get("auth")) {
      throw new UnauthorizedError("Sign in first: this needs a session");
    }
    await next();
  });

  app.route("/v1", authRoutes({ ...deps, publicUrl }));
  app.route(
    "/v1",
    setupRoutes({ ...deps, limiter: new AttemptLimiter(10, 60_000, deps.now), publicUrl }),
  );
  app.route("/v1", memberRoutes({ ...deps, publicUrl }));
  app.route("/v1", familyRoutes(deps));
  app.route("/v1", deviceLinkRoutes(deps));
  const access = new BlobAccess(deps.db, deps.records);
  const albums = new AlbumQueries(deps.db, deps.records);
  const now = deps.now ?? Date.now;
  const receipt = (blobId: string, memberKey: string, size: number) =>
    issueUploadReceipt(deps.nodeKey, memberKey, blobId, size);
  const uploaded = (blobId: string, memberKey: string, size: number) => {
    access.recordUploader(blobId, memberKey, now());
    return receipt(blobId, memberKey, size);
  };
  const isUploader = (blobId: string, memberKey: string) => access.isUploader(blobId, memberKey);
  app.get(
    "/v1/openapi.json",
    describe({ summary: "This document", auth: false }),
    openApiRoute(app),
  );
  app.route("/v1", recordRoutes(deps));
  app.route("/v1", albumRoutes({ ...deps, albums }));
  app.route(
    "/v1",
    uploadRoutes({ ...deps, maxBlobBytes: deps.config.maxBlobBytes, receipt, isUploader }),
  );
  app.route(
    "/v1/blobs",
    blobRoutes({
      blobs: deps.blobs,
      maxBlobBytes: deps.config.maxBlobBytes,
      stallMs,
      canRead: (id, member) => access.canRead(id, member),
      uploaded,
    }),
  );

  const canRead = (id: string, member: string) => access.canRead(id, member);
  app.route(
    "/v1",
    nodeRoutes({
      ...deps,
      publicUrl,
      // With a relay, a node without --public-url is taken to be behind NAT: it dials out.
      dialsOut: !publicUrl && (deps.config.signal || deps.config.signalUrl.length > 0),
    }),
  );
  app.route("/v1", replicationRoutes({ ...deps, canRead }));
  app.route("/v1", eventRoutes({ ...deps, canRead }));
  // Node-to-node (PROTOCOL §3): signed requests only, never a session.
  app.route(
    "/internal/v1",
    internalRoutes({
      ...deps,
      nonces: new NonceStore(deps.db, now),
      maxBlobBytes: deps.config.maxBlobBytes,
      maxPeerJsonBytes: deps.config.maxPeerJsonBytes,
      now,
    }),
  );

  const staticFile = serveFileFrom(new URL("static/", ROOT));
  app.get("/static/*", (c) => staticFile(c, c.req.path.slice("/static/".length)));
  const islandFile = serveFileFrom(new URL("_build/islands/", ROOT), { immutable: true });
  app.get("/_islands/*", (c) => islandFile(c, c.req.path.slice("/_islands/".length)));

  const statusPage = mountPages(app, {
    manifest: deps.manifest,
    buildId: deps.buildId,
    state: (c): PageState => {
      const theme = getCookie(c, "p2pos_theme");
      return {
        nodeId: deps.nodeKey.nodeId,
        firstRun: isFirstRun(deps.records),
        services: deps,
        session: c.get("auth"),
        theme: theme === "light" || theme === "dark" ? theme : undefined,
        asset: shell.asset,
      };
    },
  });

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    const browser = (c.req.header("accept") ?? "").includes("text/html");
    if (browser && !path.startsWith("/v1/") && !path.startsWith("/internal/")) {
      return statusPage(c, 404, "Page not found", "There is nothing at this address on this node.");
    }
    return c.json(notFoundBody(path), 404);
  });

  return app;
}
