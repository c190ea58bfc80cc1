import type { AppProps } from "../lib/web/types.ts";

/** The shared layout: every page renders inside it. */
export default function App({ Component, state, url }: AppProps) {
  const signedIn = Boolean(state.session);
  const nav = [
    { href: "/", label: "Home" },
    { href: "/albums", label: "Albums" },
    { href: "/members", label: "Members" },
    { href: "/nodes", label: "Nodes" },
    { href: "/settings", label: "Settings" },
  ];
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{state.title ? `${state.title} · p2pos` : "p2pos"}</title>
        <link rel="stylesheet" href="/static/style.css" />
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
      </head>
      <body>
        <header class="topbar">
          <a class="brand" href="/">
            <img src="/static/favicon.svg" alt="" width="28" height="28" />
            <span>p2pos</span>
          </a>
          {signedIn && (
            <nav class="mainnav" aria-label="Main">
              {nav.map((n) => (
                <a
                  href={n.href}
                  aria-current={(n.href === "/"
                      ? url.pathname === "/"
                      : url.pathname.startsWith(n.href))
                    ? "page"
                    : undefined}
                >
                  {n.label}
                </a>
              ))}
            </nav>
          )}
        </header>
        <main class="page">
          <Component />
        </main>
        <footer class="footer">
          <span>No account on anyone's servers — only keys and nodes you chose.</span>
        </footer>
      </body>
    </html>
  );
}
