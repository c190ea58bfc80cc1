/**
 * The Nodes page in Chromium (issue #11): Pine has no URL and is reached only
 * through the relay; Oak's Nodes page says so — its path is WebRTC — and shows
 * what moved over it.
 */

import assert from "node:assert/strict";
import { rigTest } from "../_support/rig.ts";
import { startRelayProcess } from "../_support/relay_process.ts";
import type { ReplicationStatus } from "../../lib/replication/mod.ts";
import {
  cookieOn,
  FAST_ENV,
  getJson,
  putBlob,
  waitFor,
} from "../integration/replication_cluster.ts";
import { blobOn, pairBehindNat, randomBytes } from "../integration/webrtc_cluster.ts";
import { screenshot, waitHydrated } from "./_flows.ts";

rigTest("The Nodes page in Chromium shows Pine's path as WebRTC", async (rig) => {
  const relay = rig.track(await startRelayProcess());
  const env = { ...FAST_ENV, P2POS_SIGNAL_URL: relay.url, P2POS_ICE_LOOPBACK: "on" };
  const { oak, pine, admin } = await pairBehindNat(rig, env);
  const browser = await rig.browser();
  // A blob over the inline push size, uploaded on Pine, always travels by Oak's pull (an
  // offer, or Oak's inventory): Oak measures it, so its page has a throughput to show.
  const { id } = await putBlob(admin, pine.url, randomBytes(9 << 20));
  await blobOn(oak, id, 120_000);
  await waitFor(
    "Oak's measurement",
    async () => {
      const s = await getJson<ReplicationStatus>(admin, oak.url, "/v1/replication/status");
      return s.peers.find((p) => p.nodeId === pine.nodeId)?.throughput.length ? true : undefined;
    },
    30_000,
    200,
  );
  // Alice's session from signing in over HTTP, under the name the node also reads on plain
  // http: without the __Host- prefix, which a cookie set from outside on http:// cannot have.
  const [name, value] = (await cookieOn(admin, oak.url)).split("=");
  await browser.context.addCookies([{
    name: name.replace(/^__Host-/, ""),
    value,
    url: oak.url,
  }]);
  const page = await rig.page(browser);
  await page.goto(`${oak.url}/nodes`);
  await waitHydrated(page, "NodeList");
  const row = page.locator(`tr[data-node="${pine.nodeId}"]`);
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
  assert.deepEqual(rig.errorsOf(page), []);
});
