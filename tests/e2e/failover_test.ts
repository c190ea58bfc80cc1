/**
 * One entry, not IP hunting (issue #16): signed in on Oak and on Pine in one browser, Oak is
 * killed while its album page is open; the page moves to Pine by itself, and the album is there,
 * decrypted.
 */

import assert from "node:assert/strict";
import { seedToMnemonic } from "../../lib/crypto/mod.ts";
import { rigTest } from "../_support/rig.ts";
import { getJson, startCluster, waitFor } from "../integration/replication_cluster.ts";
import { screenshot, waitHydrated } from "./_flows.ts";
import { createAlbum, PHOTO_DIR, readTiles, waitUploadsSettled } from "./_vault_flows.ts";
import type { Page } from "playwright-core";

async function signInWithWords(page: Page, url: string, words: string) {
  await page.goto(url + "/");
  await waitHydrated(page, "SignIn");
  await page.fill("#recovery-words", words);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Hello, Alice" }).waitFor();
}

rigTest(
  "Oak dies while its album is open: the page moves to Pine by itself and the album is there",
  async (rig) => {
    const cluster = await startCluster(["Oak", "Pine"], {}, [], { rig });
    const [oak, pine] = cluster.nodes;
    const words = seedToMnemonic(cluster.admin.seed);
    const browser = await rig.browser();
    const page = await rig.page(browser);
    await signInWithWords(page, oak.url, words);
    const albumId = await createAlbum(page, oak.url, "Lake house");
    await page.setInputFiles("#upload-input", new URL("meadow.jpg", PHOTO_DIR).pathname);
    assert.match(await waitUploadsSettled(page), /^1 added$/);

    // Pine holds the album's photo and its blobs.
    await waitFor("Pine to hold the photo", async () => {
      const { photos } = await getJson<{ photos: { thumb: { id: string } }[] }>(
        cluster.admin,
        pine.url,
        `/v1/albums/${albumId}/photos`,
      );
      if (photos.length !== 1) return false;
      const res = await fetch(`${pine.url}/v1/blobs/${photos[0].thumb.id}`, {
        method: "HEAD",
        headers: { cookie: cluster.admin.cookies.get(pine.url)! },
      });
      return res.ok;
    }, 60_000);

    // This browser has used Pine before: signed in there once, in another tab.
    const other = await browser.context.newPage();
    await signInWithWords(other, pine.url, words);
    await other.close();

    // Back on Oak's album page, which has learned the family's node addresses.
    await page.goto(`${oak.url}/albums/${albumId}`);
    await readTiles(page, 1);
    await page.waitForFunction(() =>
      (localStorage.getItem("p2pos:family-nodes") ?? "").includes('"Pine"')
    );

    await oak.stop("SIGKILL");
    await page.waitForURL((u) => u.origin === pine.url && u.pathname === `/albums/${albumId}`, {
      timeout: 60_000,
    });
    await page.getByText("Oak is not answering, so you are now on this node").waitFor();
    const tiles = await readTiles(page, 1);
    assert.ok(tiles[0].spread > 5, "the photo decrypts on Pine");
    await page.getByRole("heading", { name: "Lake house", level: 1 }).waitFor();
    assert.equal(new URL(page.url()).searchParams.has("from"), false, "the marker is tidied");
    await screenshot(page, "failover_moved");
    // Oak's refused connections (or, for a request in flight when it died, reset ones) are the
    // only errors the page saw.
    assert.deepEqual(
      rig.errorsOf(page).filter((e) =>
        !/ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|Failed to fetch/.test(e)
      ),
      [],
    );
  },
);
