/**
 * The Nodes page in Chromium (issue #11): Pine has no URL and is reached only
 * through the relay; Oak's Nodes page says so — its path is WebRTC — and shows
 * what moved over it.
 */

import assert from "node:assert/strict";
import { launchBrowser } from "../_support/browser.ts";
import { startRelayProcess } from "../_support/relay_process.ts";
import type { ReplicationStatus } from "../../lib/replication/mod.ts";
import type { NodeProcess } from "../_support/node_process.ts";
import {
  cookieOn,
  FAST_ENV,
  getJson,
  putBlob,
  waitFor,
} from "../integration/replication_cluster.ts";
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
      // A photo-sized blob crosses first, so there is a throughput to show. Oak may push it or
      // Pine pull it (whichever comes first): the node that moved it measured it.
      const { id } = await putBlob(admin, oak.url, randomBytes(3 << 20));
      await blobOn(pine, id, 60_000);
      const mover = await waitFor(
        "a throughput measurement",
        async () => {
          for (const [node, other] of [[oak, pine], [pine, oak]] as const) {
            const s = await getJson<ReplicationStatus>(admin, node.url, "/v1/replication/status");
            if (s.peers.find((p) => p.nodeId === other.nodeId)?.throughput.length) {
              return { node, other };
            }
          }
        },
        30_000,
        200,
      );
      const page = await browser.context.newPage();
      const errors = watchErrors(page);
      const nodesPage = async (node: NodeProcess, other: NodeProcess) => {
        // Alice's session from signing in over HTTP, under the cookie name the node also reads
        // on plain http (the __Host- one cannot be set from outside on http://).
        const token = (await cookieOn(admin, node.url)).split("=")[1];
        await browser.context.addCookies([{ name: "p2pos_session", value: token, url: node.url }]);
        await page.goto(`${node.url}/nodes`);
        await waitHydrated(page, "NodeList");
        const sel = `tr[data-node="${other.nodeId}"] [data-path]`;
        await page.waitForFunction(
          (s) => document.querySelector(s)?.getAttribute("data-path") === "webrtc/host",
          sel,
          { timeout: 30_000 },
        );
        return page.locator(`tr[data-node="${other.nodeId}"]`);
      };
      const row = await nodesPage(oak, pine);
      assert.match(await row.locator("[data-path]").textContent() ?? "", /WebRTC, direct/);
      assert.match(await row.textContent() ?? "", /no address: reached through the relay/);
      const measured = mover.node === oak ? row : await nodesPage(pine, oak);
      assert.match(
        await measured.locator("[data-throughput]").textContent({ timeout: 30_000 }) ?? "",
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
