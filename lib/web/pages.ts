/**
 * Mounts the routes of the manifest on a Hono app, Fresh style:
 * `routes/index.tsx` → `/`, `routes/albums/[id].tsx` → `/albums/:id`.
 * Files starting with `_` are special (`_app.tsx` is the layout) and not routes.
 */

import type { Context, Hono } from "hono";
import type { AppEnv } from "./auth/middleware.ts";
import { registerIslands } from "./island_ssr.ts";
import { renderPage } from "./render.ts";
import type { AppProps, HandlerContext, Manifest, PageState, RouteModule } from "./types.ts";
import { type ComponentType, h } from "preact";

/** `./routes/albums/[id].tsx` → `/albums/:id`; `undefined` for non-route files. */
export function routePattern(file: string): string | undefined {
  const m = /^\.\/routes\/(.+)\.tsx?$/.exec(file);
  if (!m) return undefined;
  const segments = m[1].split("/");
  if (segments.some((s) => s.startsWith("_"))) return undefined;
  if (segments.at(-1) === "index") segments.pop();
  const path = segments.map((s) => s.replace(/^\[(\w+)\]$/, ":$1")).join("/");
  return "/" + path;
}

export interface MountOptions {
  manifest: Manifest;
  buildId: () => string;
  state: (c: Context<AppEnv>) => PageState | Promise<PageState>;
}

/** Renders a plain page (404 and the like) inside the layout, for browsers. */
export type StatusPageRenderer = (
  c: Context<AppEnv>,
  status: 404 | 500,
  title: string,
  text: string,
) => Promise<Response>;

function StatusPage(props: { data: unknown }) {
  const { title, text } = props.data as { title: string; text: string };
  return h(
    "section",
    { class: "setup" },
    h("div", { class: "card card-hero" }, [
      h("h1", null, title),
      h("p", { class: "lead" }, text),
      h("a", { class: "btn", href: "/" }, "Go to the start page"),
    ]),
  );
}

export function mountPages(app: Hono<AppEnv>, options: MountOptions): StatusPageRenderer {
  const { manifest } = options;
  registerIslands(manifest.islands);
  const layout = manifest.routes["./routes/_app.tsx"] as { default: ComponentType<AppProps> };
  if (!layout?.default) throw new Error("routes/_app.tsx is missing from the manifest");

  // Static paths before dynamic ones, so /albums/new wins over /albums/:id.
  const entries = Object.entries(manifest.routes)
    .map(([file, mod]) => ({ pattern: routePattern(file), mod: mod as RouteModule }))
    .filter((e): e is { pattern: string; mod: RouteModule } => e.pattern !== undefined)
    .sort((a, b) => Number(a.pattern.includes(":")) - Number(b.pattern.includes(":")));

  for (const { pattern, mod } of entries) {
    const page = mod.default;
    const handle = async (c: Context<AppEnv>, method: "GET" | "POST") => {
      const state = await options.state(c);
      const url = new URL(c.req.url);
      const params = c.req.param() as Record<string, string>;
      const ctx: HandlerContext<unknown> = {
        url,
        params,
        state,
        render: (data, init) => {
          if (!page) throw new Error(`Route ${pattern} has no default component to render`);
          const html = renderPage({
            app: layout.default,
            page,
            props: { url, params, data, state },
            buildId: options.buildId(),
          });
          const headers = new Headers(init?.headers);
          headers.set("Content-Type", "text/html; charset=utf-8");
          headers.set("Cache-Control", "no-store");
          return new Response(html, { ...init, headers });
        },
      };
      const custom = mod.handler?.[method];
      if (custom) return await custom(c.req.raw, ctx);
      if (method === "GET" && page) return await ctx.render(undefined);
      return c.json(
        { error: { code: "method_not_allowed", message: `${method} not allowed` } },
        405,
      );
    };
    app.get(pattern, (c) => handle(c, "GET"));
    if (mod.handler?.POST) app.post(pattern, (c) => handle(c, "POST"));
  }

  return async (c, status, title, text) => {
    const state = await options.state(c);
    state.title = title;
    const html = renderPage({
      app: layout.default,
      page: StatusPage,
      props: { url: new URL(c.req.url), params: {}, data: { title, text }, state },
      buildId: options.buildId(),
    });
    return c.html(html, status);
  };
}
