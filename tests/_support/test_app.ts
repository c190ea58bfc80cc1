/**
 * An in-process node for API tests: real SQLite file, real blob store and real
 * key in a temp dir, and the real Hono app called with `app.request()`.
 */

import type { Hono } from "hono";
import { DEFAULTS, type ResolvedNodeConfig } from "../../lib/core/config.ts";
import { BlobStore, IndexDb, loadOrCreateNodeKey, type NodeKey } from "../../lib/store/mod.ts";
import { createApp } from "../../lib/web/app.ts";
import { manifest } from "../../manifest.gen.ts";

export interface TestApp {
  app: Hono;
  dir: string;
  db: IndexDb;
  blobs: BlobStore;
  nodeKey: NodeKey;
  config: ResolvedNodeConfig;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function makeTestApp(config: Partial<ResolvedNodeConfig> = {}): Promise<TestApp> {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-app-" });
  const { key: nodeKey } = await loadOrCreateNodeKey(`${dir}/node.key`);
  const db = await IndexDb.open(`${dir}/index.db`);
  const blobs = await BlobStore.open(dir);
  const resolved: ResolvedNodeConfig = { ...DEFAULTS, dataDir: dir, ...config };
  const app = createApp({
    config: resolved,
    nodeKey,
    db,
    blobs,
    manifest,
    buildId: () => "test",
  });
  return {
    app,
    dir,
    db,
    blobs,
    nodeKey,
    config: resolved,
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
