/**
 * Assembles the node's Hono app: security headers, the JSON error contract,
 * `/health`, the `/v1` API, static files, island bundles and the pages.
 * Everything it needs comes in through {@link AppDeps}; only `main.ts` builds
 * the real parts.
 */

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ResolvedNodeConfig } from "../core/config.ts";
import type { BlobStore, IndexDb, NodeKey } from "../store/mod.ts";
import { blobRoutes } from "./api/blobs.ts";
import { errorBody, handleError, notFoundBody } from "./errors.ts";
import { mountPages } from "./pages.ts";
import { securityHeaders } from "./security_headers.ts";
import { serveFileFrom } from "./static_files.ts";
import type { Manifest, PageState } from "./types.ts";
import { ROOT } from "./build.ts";

export interface AppDeps {
  config: ResolvedNodeConfig;
  nodeKey: NodeKey;
  db: IndexDb;
  blobs: BlobStore;
  manifest: Manifest;
  /** Current island build id (changes when bundles are rebuilt). */
  buildId: () => string;
  /** Injectable clock for tests. @default Date.now */
  now?: () => number;
}

/** What pages get as `state.services`. */
export type AppServices = AppDeps;

export const VERSION = "0.1.0";

export function isFirstRun(db: IndexDb): boolean {
  return db.getSetting("family_id") === undefined;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const https = Boolean(deps.config.tlsCert) ||
    deps.config.publicUrl?.startsWith("https:") === true;

  app.use("*", securityHeaders({ https }));
  app.onError(handleError);
  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    return c.json(notFoundBody(path), 404);
  });

  // Liveness for probes and peers: nothing about the family, members or data.
  app.get("/health", (c) => c.json({ status: "ok", version: VERSION }));

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
    if (c.req.path.startsWith("/v1/blobs/")) return next();
    return jsonLimit(c, next);
  });

  app.route("/v1/blobs", blobRoutes({ blobs: deps.blobs, maxBlobBytes: deps.config.maxBlobBytes }));

  const staticFile = serveFileFrom(new URL("static/", ROOT));
  app.get("/static/*", (c) => staticFile(c, c.req.path.slice("/static/".length)));
  const islandFile = serveFileFrom(new URL("_build/islands/", ROOT), { immutable: true });
  app.get("/_islands/*", (c) => islandFile(c, c.req.path.slice("/_islands/".length)));

  mountPages(app, {
    manifest: deps.manifest,
    buildId: deps.buildId,
    state: (): PageState => ({
      nodeId: deps.nodeKey.nodeId,
      firstRun: isFirstRun(deps.db),
      services: deps,
    }),
  });

  return app;
}
