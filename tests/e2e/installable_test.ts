/**
 * The installable app (issue #16): a valid web app manifest, a service worker that caches the
 * app shell (and nothing else), an honest offline page when the node does not answer, and no
 * stale app after the node is updated (versioned caches).
 */

import assert from "node:assert/strict";
import { rigTest } from "../_support/rig.ts";
import { makeTestApp } from "../_support/test_app.ts";
import { screenshot, waitHydrated } from "./_flows.ts";

rigTest(
  "Installable: valid manifest, the shell cached by build, offline page when the node is down, the new build's app after an update",
  async (rig) => {
    let build = "build-a";
    await using t = await makeTestApp({}, {}, { buildId: () => build });
    let server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, t.app.fetch);
    rig.defer(() => server.shutdown());
    const port = server.addr.port;
    t.origins.listening(["127.0.0.1"], port);
    const url = `http://127.0.0.1:${port}`;
    const page = await rig.page();
    await page.goto(url + "/");
    // NodeWatch renders nothing while all is well; it registers the worker once hydrated.
    await page.waitForSelector('[data-island="NodeWatch"][data-hydrated="true"]', {
      state: "attached",
    });
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.reload(); // now controlled by the worker
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

    // The manifest parses with no errors, and Chromium finds nothing that blocks installing.
    const cdp = await page.context().newCDPSession(page);
    const manifest = await cdp.send("Page.getAppManifest") as {
      url: string;
      errors: { message: string }[];
      data?: string;
    };
    assert.match(manifest.url, /\/static\/manifest\.webmanifest\?v=[0-9a-f]{12}$/);
    assert.deepEqual(manifest.errors, []);
    const parsed = JSON.parse(manifest.data!);
    assert.equal(parsed.display, "standalone");
    assert.equal(parsed.start_url, "/");
    const installability = await cdp.send("Page.getInstallabilityErrors") as {
      installabilityErrors: { errorId: string }[];
    };
    assert.deepEqual(installability.installabilityErrors, []);

    // One cache, named after this build; it holds the shell and nothing from the API.
    const cached = async () =>
      await page.evaluate(async () => {
        const out: Record<string, string[]> = {};
        for (const name of await caches.keys()) {
          const cache = await caches.open(name);
          out[name] = (await cache.keys()).map((r) => new URL(r.url).pathname);
        }
        return out;
      });
    const first = await cached();
    const names = Object.keys(first);
    assert.equal(names.length, 1);
    assert.match(names[0], /^p2pos-shell-0\.1\.0-build-a-[0-9a-f]{12}$/);
    const paths = first[names[0]];
    assert.ok(paths.includes("/offline"));
    assert.ok(paths.includes("/static/style.css"));
    assert.ok(paths.some((p) => p.startsWith("/_islands/NodeFinder.js")));
    assert.ok(
      paths.every((p) => /^\/(offline|static\/|_islands\/)/.test(p)),
      `only the shell is cached: ${paths.join(", ")}`,
    );

    // The node stops: a page that cannot load shows the cached offline page, which says so.
    await server.shutdown();
    await page.goto(url + "/albums");
    await page.getByRole("heading", { name: "Your vault's node is not answering" }).waitFor();
    await waitHydrated(page, "NodeFinder");
    await page.getByText(/No node of your family is reachable/).waitFor();
    await screenshot(page, "installable_offline");

    // The node comes back with a new build: the page is the new build's, at once, and the
    // worker moves to a new cache and deletes the old one.
    build = "build-b";
    server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, t.app.fetch);
    await page.goto(url + "/");
    const scripts = await page.$$eval(
      "script[src]",
      (els) => els.map((e) => (e as HTMLScriptElement).src),
    );
    assert.ok(
      scripts.length > 0 && scripts.every((s) => s.endsWith("?v=build-b")),
      scripts.join(),
    );
    await page.waitForFunction(
      async () => {
        const keys = await caches.keys();
        return keys.length === 1 && keys[0].includes("-build-b-");
      },
      undefined,
      { timeout: 30_000, polling: 200 },
    );
    assert.deepEqual(
      rig.errorsOf(page).filter((e) => !/ERR_CONNECTION_REFUSED|Failed to fetch/.test(e)),
      [],
    );
  },
);
