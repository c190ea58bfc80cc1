import assert from "node:assert/strict";
import { startNode } from "../_support/node_process.ts";
import { launchBrowser } from "../_support/browser.ts";

const SHOTS = new URL("./.screenshots/", import.meta.url);

Deno.test({
  name: "The first-run page shows the node id and its setup-code island hydrates in Chromium",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const node = await startNode();
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      await page.goto(node.url + "/");
      assert.equal(await page.title(), "Set up this node · p2pos");
      assert.equal((await page.textContent(".node-id"))?.trim(), node.nodeId);

      // Before hydration the button is disabled and the input is inert; after it,
      // typing is reformatted by the island's own code.
      await page.waitForSelector('[data-island="SetupWizard"][data-hydrated="true"]', {
        timeout: 15_000,
      });
      const button = page.locator(".setup-form button[type=submit]");
      assert.equal(await button.isDisabled(), true);
      await page.fill("#setup-code", "abcd efgh jkmn");
      assert.equal(await page.inputValue("#setup-code"), "ABCD-EFGH-JKMN");
      assert.equal(await button.isDisabled(), false);

      // The stylesheet loaded (the CSP allows our own styles only).
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.notEqual(bg, "rgba(0, 0, 0, 0)");
      await Deno.mkdir(SHOTS, { recursive: true });
      await page.screenshot({ path: new URL("first_run.png", SHOTS).pathname, fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await node.stop();
    }
  },
});
