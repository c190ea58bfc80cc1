/**
 * Renders a page: the route component inside `routes/_app.tsx`, islands
 * wrapped for hydration, and one `<script type="module">` per island used,
 * pointing at the bundles `deno task build` wrote.
 */

import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import { collectIslands } from "./island_ssr.ts";
import type { AppProps, PageProps } from "./types.ts";
import type { ComponentType } from "preact";

export interface RenderInput {
  app: ComponentType<AppProps>;
  page: ComponentType<PageProps<unknown>>;
  props: PageProps<unknown>;
  /** Changes with every build so browsers never run stale island code. */
  buildId: string;
}

export function renderPage(input: RenderInput): string {
  const { result: body, islands } = collectIslands(() =>
    renderToString(
      h(input.app, {
        Component: () => h(input.page, input.props),
        state: input.props.state,
        url: input.props.url,
      }),
    )
  );
  const scripts = islands
    .map((name) =>
      `<script type="module" src="/_islands/${name}.js?v=${
        encodeURIComponent(input.buildId)
      }"></script>`
    )
    .join("");
  const html = scripts && body.includes("</body>")
    ? body.replace("</body>", `${scripts}</body>`)
    : body + scripts;
  return "<!DOCTYPE html>" + html;
}
