import assert from "node:assert/strict";
import { freePort } from "../_support/node_process.ts";
import { rigTest } from "../_support/rig.ts";
import { screenshot, waitHydrated } from "./_flows.ts";

rigTest(
  "Opened over plain http at a LAN-style address, the setup page explains https or localhost",
  async (rig) => {
    // `family.test` resolves to the node, but unlike 127.0.0.1 it is not a secure context:
    // exactly what a phone opening http://192.168.x.y sees. The node answers only at its own
    // addresses, so it is told that this is one (as a LAN address is when bound to 0.0.0.0).
    const port = freePort();
    const node = await rig.node({
      args: ["--port", String(port), "--public-url", `http://family.test:${port}`],
    });
    const browser = await rig.browser({
      args: ["--host-resolver-rules=MAP family.test 127.0.0.1"],
    });
    const page = await rig.page(browser, 20_000);
    const url = `http://family.test:${node.port}/`;
    await page.goto(url);
    await waitHydrated(page, "SetupWizard");
    assert.equal(await page.evaluate(() => isSecureContext), false);
    const notice = page.locator(".secure-notice");
    await notice.waitFor();
    const text = await notice.textContent() ?? "";
    assert.match(text, /https/);
    assert.match(text, new RegExp(`http://localhost:${node.port}`));
    assert.match(text, new RegExp(`http://127\\.0\\.0\\.1:${node.port}`));
    // The wizard does not start a flow it could not finish.
    await page.fill("#setup-code", node.setupCode!);
    assert.equal(await page.locator(".setup-form button[type=submit]").isDisabled(), true);
    await screenshot(page, "insecure_context");
  },
);
