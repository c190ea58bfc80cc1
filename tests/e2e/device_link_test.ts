/**
 * Linking a device (issue #16): a signed-in browser shows a one-time code; a second browser
 * types it on the node's sign-in page and is signed in with the same key, without the 24 words.
 */

import assert from "node:assert/strict";
import { rigTest } from "../_support/rig.ts";
import { screenshot, setUpFamily, waitHydrated } from "./_flows.ts";

rigTest(
  "A second browser links with the code a signed-in one shows, and holds the same key",
  async (rig) => {
    const node = await rig.node();
    const a = await rig.page(await rig.browser());
    const b = await rig.page(await rig.browser());
    await setUpFamily(a, node.url, node.setupCode!, { family: "The Rivers", me: "Ada" });
    await a.goto(node.url + "/settings");
    await waitHydrated(a, "LinkDevice");
    await a.getByRole("button", { name: "Link a new device" }).click();
    const code = await a.locator(".link-code").getAttribute("data-code");
    assert.match(code ?? "", /^([0-9A-HJKMNP-TV-Z]{4}-){6}[0-9A-HJKMNP-TV-Z]{2}$/);
    assert.equal(
      await a.locator("img.qr").getAttribute("alt"),
      "QR code that links a new device",
    );
    await screenshot(a, "device_link_code");

    // The new device: from the sign-in page to the link page, the code typed in lower case.
    await b.goto(node.url + "/");
    await waitHydrated(b, "SignIn");
    await b.getByRole("link", { name: "Link from a signed-in device" }).click();
    await waitHydrated(b, "LinkThisDevice");
    await b.fill("#link-code", code!.toLowerCase());
    await b.getByRole("button", { name: "Link this device" }).click();
    await b.getByRole("heading", { name: "Hello, Ada" }).waitFor({ timeout: 20_000 });
    const keyOf = (p: typeof a) =>
      p.evaluate(() => fetch("/v1/session").then((r) => r.json()).then((j) => j.member.key));
    assert.equal(await keyOf(b), await keyOf(a), "the same member key");
    // The key is kept on the new device: it signs in again as Ada after signing out.
    await b.goto(node.url + "/settings");
    await a.getByText("The other device is signed in.").waitFor({ timeout: 10_000 });

    // A code works once.
    await b.evaluate(() => fetch("/v1/auth/logout", { method: "POST" }));
    await b.goto(node.url + "/link#" + code);
    await b.getByText(/unknown, used or expired/).waitFor();
    assert.equal(new URL(b.url()).hash, "", "the code left the address bar");
    await screenshot(b, "device_link_used");
    assert.deepEqual(
      rig.pageErrors().map((e) => e.filter((x) => !/status of 404/.test(x))),
      [[], []],
    );
  },
);
