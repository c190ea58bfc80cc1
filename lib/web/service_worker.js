// p2pos service worker (served as /sw.js; the node puts VERSION and SHELL above this line).
//
// What it does, and what it must never do (docs/SECURITY.md, "The installed app"):
// - It caches the app shell only: island bundles and their chunks, the stylesheet, icons, the
//   manifest and the /offline page. Every URL in SHELL carries the build in its name or query,
//   and the cache is named after VERSION, so a new node build is a new cache; the old one is
//   deleted when the new worker takes over. Pages always come from the node when it answers,
//   so a cached app never runs against a newer node API.
// - It never caches an API answer, a blob, a page a member sees, a key or anything decrypted.
//   Requests for /v1/, /internal/ and blobs are not touched at all.
// - Downloads of decrypted zips (lib/web/browser/vault/zip_download.ts) stream through it
//   (/__p2pos/download/<id>), straight from the page to the browser's download, never stored.

/* global VERSION, SHELL */
const CACHE = `p2pos-shell-${VERSION}`;
const OFFLINE = "/offline";
const downloads = new Map();

self.addEventListener("install", (event) => {
  // API calls and blobs never wait for this worker: where the browser supports static routes,
  // they go straight to the network (a large album makes hundreds of them).
  const routes = event.addRoutes?.([
    { condition: { urlPattern: new URLPattern({ pathname: "/v1/*" }) }, source: "network" },
  ]).catch(() => {});
  event.waitUntil(
    Promise.all([routes, caches.open(CACHE).then((cache) => cache.addAll(SHELL))])
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) =>
        Promise.all(
          names.filter((n) => n.startsWith("p2pos-shell-") && n !== CACHE).map((n) =>
            caches.delete(n)
          ),
        )
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  const msg = event.data;
  if (msg?.type === "download" && typeof msg.id === "string" && msg.stream) {
    downloads.set(msg.id, msg);
    event.ports[0]?.postMessage({ ready: true });
  } else if (msg?.type === "refresh-offline") {
    // The family's nodes changed: the offline page's policy must allow probing them.
    event.waitUntil(caches.open(CACHE).then((cache) => cache.add(OFFLINE)).catch(() => {}));
  } else if (msg?.type === "version") {
    event.ports[0]?.postMessage({ version: VERSION, cache: CACHE });
  }
});

function contentDisposition(name) {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || request.method !== "GET") return;

  if (url.pathname.startsWith("/__p2pos/download/")) {
    const id = url.pathname.slice("/__p2pos/download/".length);
    const d = downloads.get(id);
    if (!d) {
      event.respondWith(new Response("This download has ended.", { status: 404 }));
      return;
    }
    downloads.delete(id);
    const headers = {
      "Content-Type": "application/zip",
      "Content-Disposition": contentDisposition(d.name),
      "Cache-Control": "no-store",
    };
    if (typeof d.size === "number") headers["Content-Length"] = String(d.size);
    event.respondWith(new Response(d.stream, { headers }));
    return;
  }

  if (request.mode === "navigate") {
    // Network first, always: a page is only ever the node's own, current one. When no node
    // answers, the cached offline page says so and looks for another family node.
    event.respondWith(
      fetch(request).catch(() =>
        caches.open(CACHE).then((cache) => cache.match(OFFLINE)).then((r) =>
          r ?? new Response("No node of your family is reachable.", { status: 503 })
        )
      ),
    );
    return;
  }

  if (SHELL.includes(url.pathname + url.search)) {
    event.respondWith(
      caches.open(CACHE).then((cache) => cache.match(request)).then((r) => r ?? fetch(request)),
    );
  }
});
