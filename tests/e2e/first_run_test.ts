import assert from "node:assert/strict";
import { rigTest } from "../_support/rig.ts";
import { screenshot } from "./_flows.ts";

rigTest(
  "The first-run page shows the node id and its setup-code island hydrates in Chromium",
  async (rig) => {
    const node = await rig.node();
    const page = await rig.page();
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
    await screenshot(page, "first_run");
    assert.deepEqual(rig.pageErrors(), [[]]);
  },
);
