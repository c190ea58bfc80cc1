/**
 * Runs a browser module in Chromium: bundles one entry with `deno bundle` (the flags of
 * lib/web/build.ts), serves it from 127.0.0.1 under the node's CSP, and opens the page. Loopback
 * is a secure context, so `crypto.subtle` is there as it is on a real node.
 */

import type { Page } from "playwright-core";
import { CONTENT_SECURITY_POLICY } from "../../lib/web/security_headers.ts";
import { launchBrowser } from "./browser.ts";

const ROOT = new URL("../../", import.meta.url);
/** Where the page loads the bundle from; callers may also `import()` it in `page.evaluate`. */
export const BUNDLE_PATH = "/app.js";
// No inline script: the CSP would refuse it, as it does on the node.
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>p2pos harness</title>` +
  `<link rel="icon" href="data:,">` +
  `<script type="module" src="${BUNDLE_PATH}"></script></head><body></body></html>`;
const TYPES: Record<string, string> = { json: "application/json", txt: "text/plain" };

export interface HarnessOptions {
  /** The browser module to bundle and load. */
  entry: URL;
  /** Folders served read-only by URL prefix, e.g. `{ "/vectors/": dirUrl }`; flat, no subfolders. */
  mounts?: Record<string, URL>;
}

export interface HarnessPage {
  page: Page;
  /** Origin of the server, e.g. `http://127.0.0.1:41234`. */
  origin: string;
  /** Uncaught exceptions and console errors (CSP violations among them) seen in the page. */
  errors: string[];
  close(): Promise<void>;
}

/** Bundles `entry` for the browser and returns the bundle's text. */
export async function bundleEntry(entry: URL): Promise<string> {
  const outDir = await Deno.makeTempDir({ prefix: "p2pos-bundle-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--platform=browser",
        "--format=esm",
        "--minify",
        `--outdir=${outDir}`,
        entry.pathname,
      ],
      cwd: ROOT.pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`Cannot bundle ${entry.pathname}:\n${new TextDecoder().decode(out.stderr)}`);
    }
    const name = entry.pathname.split("/").at(-1)!.replace(/\.tsx?$/, ".js");
    return await Deno.readTextFile(`${outDir}/${name}`);
  } finally {
    await Deno.remove(outDir, { recursive: true }).catch(() => {});
  }
}

/** Bundles `options.entry`, serves it, and opens it in a fresh Chromium; `close()` undoes all. */
export async function openBundledPage(options: HarnessOptions): Promise<HarnessPage> {
  const script = await bundleEntry(options.entry);
  const respond = (body: BodyInit, type: string, status = 200) =>
    new Response(body, {
      status,
      headers: {
        "Content-Type": type,
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
      },
    });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/") return respond(PAGE, "text/html; charset=utf-8");
    if (path === BUNDLE_PATH) return respond(script, "text/javascript; charset=utf-8");
    for (const [prefix, dir] of Object.entries(options.mounts ?? {})) {
      const name = path.startsWith(prefix) ? path.slice(prefix.length) : "";
      // One plain file name: no way out of the mounted folder.
      if (!/^[\w-][\w.-]*$/.test(name)) continue;
      try {
        const type = TYPES[name.split(".").at(-1)!] ?? "application/octet-stream";
        return respond(await Deno.readFile(new URL(name, dir)), type);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
    return respond("Not found", "text/plain", 404);
  });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const browser = await launchBrowser().catch(async (err) => {
    await server.shutdown();
    throw err;
  });
  const close = async () => {
    await browser.close().catch(() => {});
    await server.shutdown();
  };
  try {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`${m.text()} (${m.location().url})`);
    });
    await page.goto(origin + "/");
    return { page, origin, errors, close };
  } catch (err) {
    await close();
    throw err;
  }
}
