import type { AppProps } from "../lib/web/types.ts";
import { services, sessionOf } from "../lib/web/page_helpers.ts";
import { currentFamily } from "../lib/core/family_kinds.ts";
import NodeWatch from "../islands/NodeWatch.tsx";
import NameFill from "../islands/NameFill.tsx";
import { NameSlot } from "../lib/web/browser/ui/NameSlot.tsx";

const NAV = [
  { href: "/", label: "Home" },
  { href: "/photos", label: "Photos" },
  { href: "/albums", label: "Albums" },
  { href: "/members", label: "Members" },
  { href: "/nodes", label: "Nodes" },
  { href: "/settings", label: "Settings" },
];

/** The shared layout: every page renders inside it. */
export default function App({ Component, state, url }: AppProps) {
  const session = sessionOf(state);
  const asset = state.asset ?? ((name: string) => `/static/${name}`);
  const family = session ? currentFamily(services(state).records) : undefined;
  const current = (href: string) =>
    href === "/"
      ? url.pathname === "/"
      : url.pathname === href || url.pathname.startsWith(href + "/");
  return (
    <html lang="en" data-theme={state.theme}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="theme-color" content="#1f8a66" />
        <title>{state.title ? `${state.title} · p2pos` : "p2pos"}</title>
        <link rel="stylesheet" href={asset("style.css")} />
        <link rel="icon" href={asset("favicon.svg")} type="image/svg+xml" />
        <link rel="manifest" href={asset("manifest.webmanifest")} />
        <link rel="apple-touch-icon" href={asset("icons/icon-192.png")} />
      </head>
      <body>
        <header class="topbar">
          <a class="brand" href="/">
            <img src={asset("favicon.svg")} alt="" width="28" height="28" />
            <span>p2pos</span>
            {family && (
              <span class="brand-family">
                <NameSlot of="family" placeholder="Family vault" />
              </span>
            )}
          </a>
          {session && (
            <nav class="mainnav" aria-label="Main">
              {NAV.map((n) => (
                <a key={n.href} href={n.href} aria-current={current(n.href) ? "page" : undefined}>
                  {n.label}
                </a>
              ))}
            </nav>
          )}
          {session && (
            <a class="whoami" href="/settings" title="Your key and devices">
              <span class="avatar" aria-hidden="true">
                <NameSlot of={`member:${session.memberKey}`} placeholder="·" form="initial" />
              </span>
              <NameSlot of={`member:${session.memberKey}`} placeholder="You" />
            </a>
          )}
        </header>
        <main class="page">
          <NodeWatch signedIn={session !== undefined} />
          <NameFill
            signedIn={session !== undefined}
            admin={session?.member.body.role === "admin"}
          />
          <Component />
        </main>
        <footer class="footer">
          <span>No account on anyone's servers — only keys and nodes you chose.</span>
        </footer>
      </body>
    </html>
  );
}
