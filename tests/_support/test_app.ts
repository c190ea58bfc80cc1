/**
 * An in-process node for API tests: real SQLite file, real blob store and real
 * key in a temp dir, and the real Hono app called with `app.request()`.
 */

import type { Hono } from "hono";
import type { AppEnv } from "../../lib/web/auth/middleware.ts";
import { DEFAULTS, type ResolvedNodeConfig } from "../../lib/core/config.ts";
import { HybridClock } from "../../lib/core/hlc.ts";
import {
  type BlobStore,
  FsBlobStore,
  IndexDb,
  loadOrCreateNodeKey,
  type NodeKey,
  RecordLog,
  UploadSessions,
} from "../../lib/store/mod.ts";
import { createKindRegistry } from "../../lib/vault/kinds.ts";
import { addUploader } from "../../lib/vault/blob_access.ts";
import { createApp } from "../../lib/web/app.ts";
import { NodeOrigins } from "../../lib/web/auth/node_origins.ts";
import { type SessionOptions, SessionStore } from "../../lib/store/session_store.ts";
import { manifest } from "../../manifest.gen.ts";

export interface TestApp {
  app: Hono<AppEnv>;
  records: RecordLog;
  sessions: SessionStore;
  /** Moves the injected clock (sessions, challenges, records). */
  advance(ms: number): void;
  /** How far the injected clock is ahead of the real one. */
  offsetMs(): number;
  dir: string;
  db: IndexDb;
  blobs: BlobStore;
  nodeKey: NodeKey;
  config: ResolvedNodeConfig;
  /** The addresses the app answers at; a test serving it on a real port adds that port. */
  origins: NodeOrigins;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface TestAppPlace {
  /** An existing data dir to open (a copy of another test app's), else a fresh temp dir. */
  dir?: string;
  /** Where the injected clock starts, ahead of the real one. @default 0 */
  offsetMs?: number;
}

export async function makeTestApp(
  config: Partial<ResolvedNodeConfig> = {},
  sessionOptions: SessionOptions = {},
  appOptions: { buildId?: () => string } & TestAppPlace = {},
): Promise<TestApp> {
  let offset = appOptions.offsetMs ?? 0;
  const now = () => Date.now() + offset;
  const dir = appOptions.dir ?? await Deno.makeTempDir({ prefix: "p2pos-app-" });
  const { key: nodeKey } = await loadOrCreateNodeKey(`${dir}/node.key`);
  const db = await IndexDb.open(`${dir}/index.db`);
  const blobs = await FsBlobStore.open(dir);
  const resolved: ResolvedNodeConfig = { ...DEFAULTS, dataDir: dir, ...config };
  const records = new RecordLog(db, createKindRegistry(), now);
  const sessions = new SessionStore(db, { now, ...sessionOptions });
  // `app.request("/path")` asks for http://localhost/path: as if listening on port 80.
  const origins = new NodeOrigins({ publicUrl: resolved.publicUrl, https: false })
    .listening([], 80);
  const app = createApp({
    config: resolved,
    nodeKey,
    db,
    blobs,
    records,
    sessions,
    uploads: await UploadSessions.open(db, blobs, {
      now,
      maxChunkBytes: 1024 * 1024,
      onFinished: (s) => addUploader(db, s.blobId, s.memberKey, now()),
    }),
    origins,
    clock: new HybridClock(now),
    now,
    manifest,
    buildId: appOptions.buildId ?? (() => "test"),
  });
  return {
    app,
    dir,
    db,
    blobs,
    nodeKey,
    records,
    sessions,
    advance: (ms) => (offset += ms),
    offsetMs: () => offset,
    config: resolved,
    origins,
    async [Symbol.asyncDispose]() {
      db.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}
