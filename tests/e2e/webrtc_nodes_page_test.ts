/**
 * The Nodes page in Chromium (issue #11): Pine has no URL and is reached only
 * through the relay; Oak's Nodes page says so — its path is WebRTC — and shows
 * what moved over it.
 */

import assert from "node:assert/strict";
import { launchBrowser } from "../_support/browser.ts";
import { startRelayProcess } from "../_support/relay_process.ts";
import { FAST_ENV, putBlob } from "../integration/replication_cluster.ts";
import { blobOn, pairBehindNat, randomBytes, stopNodes } from "../integration/webrtc_cluster.ts";
import { screenshot, waitHydrated, watchErrors } from "./_flows.ts";

Deno.test({
  name: "The Nodes page in Chromium shows Pine's path as WebRTC",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const relay = await startRelayProcess();
    const env = { ...FAST_ENV, P2POS_SIGNAL_URL: relay.url, P2POS_ICE_LOOPBACK: "on" };
    const { oak, pine, admin } = await pairBehindNat(env).catch(async (err) => {
      await relay.stop("SIGKILL");
      throw err;
    });
    const browser = await launchBrowser();
    try {
      // A photo-sized blob crosses first, so there is a throughput to show.
      const id = await putBlob(admin, oak.url, randomBytes(3 << 20));
      await blobOn(pine, id, 60_000);
      // Alice's session from signing in over HTTP, under the cookie name the node also reads on
      // plain http (the __Host- one cannot be set from outside on http://).
      const token = admin.cookies.get(oak.url)!.split("=")[1];
      await browser.context.addCookies([{ name: "p2pos_session", value: token, url: oak.url }]);
      const page = await browser.context.newPage();
      const errors = watchErrors(page);
      await page.goto(`${oak.url}/nodes`);
      await waitHydrated(page, "NodeList");
      const row = page.locator(`tr[data-node="${pine.nodeId}"]`);
      await row.locator("[data-path]").waitFor({ timeout: 30_000 });
      await page.waitForFunction(
        (sel) => document.querySelector(sel)?.getAttribute("data-path") === "webrtc/host",
        `tr[data-node="${pine.nodeId}"] [data-path]`,
        { timeout: 30_000 },
      );
      assert.match(await row.locator("[data-path]").textContent() ?? "", /WebRTC, direct/);
      assert.match(await row.textContent() ?? "", /no address: reached through the relay/);
      assert.match(
        await row.locator("[data-throughput]").textContent({ timeout: 30_000 }) ?? "",
        /\/s over WebRTC, direct/,
      );
      await screenshot(page, "nodes_webrtc");
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await stopNodes([oak, pine, relay]);
    }
  },
});
