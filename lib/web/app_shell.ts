/**
 * The installable app's shell (issue #16): the web app manifest's assets, the service worker
 * script (`/sw.js`, lib/web/service_worker.js with its version and file list put in front),
 * and the version that names its cache. Static assets carry a hash of their content in their
 * URLs (`?v=`), island bundles the build id, so a cached file is never an old one under a
 * current name.
 */

import { createHash } from "node:crypto";
import { VERSION } from "./version.ts";

const STATIC_ASSETS = [
  "style.css",
  "favicon.svg",
  "manifest.webmanifest",
  "icons/icon-192.png",
  "icons/icon-512.png",
  "icons/maskable-512.png",
];

export interface AppShell {
  /** Hash of the static assets and the worker's code: the `?v=` of static URLs. */
  assetVersion: string;
  /** `/static/<name>?v=<assetVersion>`. */
  asset(name: string): string;
  /** The service worker script for the current island build. */
  serviceWorker(buildId: string): string;
}

export function appShell(root: URL): AppShell {
  const worker = Deno.readTextFileSync(new URL("lib/web/service_worker.js", root));
  const hash = createHash("sha256");
  for (const name of STATIC_ASSETS) hash.update(Deno.readFileSync(new URL(`static/${name}`, root)));
  hash.update(worker);
  const assetVersion = hash.digest("hex").slice(0, 12);
  const asset = (name: string) => `/static/${name}?v=${assetVersion}`;
  let cached: { buildId: string; text: string } | undefined;
  return {
    assetVersion,
    asset,
    serviceWorker(buildId) {
      if (cached?.buildId === buildId) return cached.text;
      const shell = ["/offline", ...STATIC_ASSETS.map(asset), ...islandFiles(root, buildId)];
      const version = `${VERSION}-${buildId}-${assetVersion}`;
      const text = `const VERSION = ${JSON.stringify(version)};\n` +
        `const SHELL = ${JSON.stringify(shell)};\n${worker}`;
      cached = { buildId, text };
      return text;
    },
  };
}

/** Island bundles as pages request them (entries with `?v=<build>`, shared chunks as named). */
function islandFiles(root: URL, buildId: string): string[] {
  const dir = new URL("_build/islands/", root);
  let entries: string[] = [];
  try {
    entries = JSON.parse(Deno.readTextFileSync(new URL("build.json", dir))).islands ?? [];
  } catch {
    return []; // no bundles yet: pages cannot run offline until the next build
  }
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (!e.isFile || !e.name.endsWith(".js")) continue;
    const name = e.name.slice(0, -3);
    out.push(
      entries.includes(name)
        ? `/_islands/${e.name}?v=${encodeURIComponent(buildId)}`
        : `/_islands/${e.name}`,
    );
  }
  return out.sort();
}
