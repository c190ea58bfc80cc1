/**
 * Serves files from one directory under a URL prefix. Names are checked
 * against a strict pattern before any filesystem call, so `..`, encoded
 * slashes or NUL never reach `Deno.open`.
 */

import type { Context } from "hono";

const SAFE_PATH = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/;

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  json: "application/json",
  woff2: "font/woff2",
  webmanifest: "application/manifest+json",
  txt: "text/plain; charset=utf-8",
};

export function serveFileFrom(dir: URL, options: { immutable?: boolean } = {}) {
  return async (c: Context, name: string): Promise<Response> => {
    if (!SAFE_PATH.test(name) || name.includes("..")) {
      return c.json({ error: { code: "not_found", message: "No such file" } }, 404);
    }
    const ext = name.slice(name.lastIndexOf(".") + 1);
    const type = TYPES[ext];
    if (!type) return c.json({ error: { code: "not_found", message: "No such file" } }, 404);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(new URL(name, dir));
    } catch {
      return c.json({ error: { code: "not_found", message: "No such file" } }, 404);
    }
    const { size } = await file.stat();
    return new Response(file.readable, {
      headers: {
        "Content-Type": type,
        "Content-Length": String(size),
        // Island bundles carry a build id in their URL; static files may change between releases.
        "Cache-Control": options.immutable ? "public, max-age=31536000, immutable" : "no-cache",
      },
    });
  };
}
