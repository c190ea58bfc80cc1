import assert from "node:assert/strict";
import { rigTest } from "../_support/rig.ts";
import { confirmWords, readWords, screenshot, setUpFamily, waitHydrated } from "./_flows.ts";

rigTest(
  "A fresh node is set up in Chromium: code, names, 24 words checked, signed in on the dashboard",
  async (rig) => {
    const node = await rig.node();
    assert.ok(node.setupCode, "a fresh node prints a setup code");
    const page = await rig.page(undefined, 20_000);

    // A wrong code is refused with a message, and the wizard stays on step 1.
    await page.goto(node.url + "/");
    await waitHydrated(page, "SetupWizard");
    await page.fill("#setup-code", "2222-3333-4444");
    await page.click(".setup-form button[type=submit]");
    await page.locator(".setup-form .alert-error").waitFor();
    assert.match(await page.textContent(".setup-form .alert-error") ?? "", /not right/);

    const { words } = await setUpFamily(
      page,
      node.url,
      node.setupCode,
      { family: "The Okafors", me: "Ada" },
      "setup",
    );
    assert.equal(new Set(words).size > 1, true);
    assert.match(await page.textContent("main") ?? "", /The Okafors/);
    await screenshot(page, "setup_dashboard");

    // The seed is sealed in IndexedDB under a non-extractable key; localStorage holds at most
    // the family's node addresses (lib/web/browser/family_nodes.ts), nothing secret.
    const stored = await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open("p2pos");
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const value = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const req = db.transaction("identity").objectStore("identity").get("self");
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const key = value.key as CryptoKey;
      const exported = await crypto.subtle.exportKey("raw", key).then(
        () => "exported",
        (e) => e.name,
      );
      return {
        name: (value.meta as { name: string }).name,
        extractable: key.extractable,
        exported,
        sealedLength: (value.sealed as Uint8Array).length,
        localStorage: Object.keys(localStorage).filter((k) => k !== "p2pos:family-nodes"),
      };
    });
    assert.deepEqual(stored, {
      name: "Ada",
      extractable: false,
      exported: "InvalidAccessError",
      sealedLength: 48,
      localStorage: [],
    });

    // Reloading keeps the session (HttpOnly cookie).
    await page.reload();
    await page.getByRole("heading", { name: "Hello, Ada" }).waitFor();

    // The setup code is retired.
    const status = await page.evaluate(async (code) => {
      const res = await fetch("/v1/setup/check", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ code }),
      });
      return { status: res.status, body: await res.json() };
    }, node.setupCode);
    assert.equal(status.status, 409);
    assert.match(status.body.error.message, /already set up/);
    assert.deepEqual(rig.pageErrors(), [[]]);
  },
);

rigTest(
  "The setup wizard makes a new key when the names step is passed again, and checks words",
  async (rig) => {
    const node = await rig.node();
    const page = await rig.page(undefined, 20_000);
    await page.goto(node.url + "/");
    await waitHydrated(page, "SetupWizard");
    await page.fill("#setup-code", node.setupCode!);
    await page.click(".setup-form button[type=submit]");

    // Empty names are explained next to the fields.
    await page.getByRole("button", { name: "Continue" }).click();
    assert.match(await page.textContent(".names-form") ?? "", /Enter a name for your family/);
    await page.fill("#family-name", "The Okafors");
    await page.fill("#your-name", "Ada");
    await page.getByRole("button", { name: "Continue" }).click();
    const first = await readWords(page);
    await page.getByRole("button", { name: "Back" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    const second = await readWords(page);
    assert.notDeepEqual(first, second, "going back makes a fresh key");

    // Wrong words are named by position; the wizard does not go on.
    await page.locator("label.check input[type=checkbox]").check();
    await page.getByRole("button", { name: "Continue" }).click();
    const inputs = page.locator("input[id^=confirm-word-]");
    await inputs.first().waitFor();
    for (const input of await inputs.all()) await input.fill("zoo");
    await page.getByRole("button", { name: "Confirm" }).click();
    assert.match(await page.textContent(".confirm-words .alert-error") ?? "", /do not match/);
    await screenshot(page, "setup_confirm_wrong");
    await page.getByRole("button", { name: "Show the words again" }).click();
    await confirmWords(page, second);
    await page.getByRole("heading", { name: "Hello, Ada" }).waitFor();
    assert.deepEqual(rig.pageErrors(), [[]]);
  },
);

rigTest(
  "A setup finished in another tab meanwhile: the last step says so and offers to try again or start again",
  async (rig) => {
    const node = await rig.node();
    const [first, second] = [await rig.page(undefined, 20_000), await rig.page(undefined, 20_000)];
    // Both pass the code and the names before either creates the family.
    const words: string[][] = [];
    for (const page of [first, second]) {
      await page.goto(node.url + "/");
      await waitHydrated(page, "SetupWizard");
      await page.fill("#setup-code", node.setupCode!);
      await page.click(".setup-form button[type=submit]");
      await page.fill("#family-name", "The Okafors");
      await page.fill("#your-name", "Ada");
      await page.getByRole("button", { name: "Continue" }).click();
      words.push(await readWords(page));
    }
    await confirmWords(first, words[0]);
    await first.getByRole("heading", { name: "Hello, Ada" }).waitFor();

    await confirmWords(second, words[1]);
    const alert = second.locator(".creating .alert-error");
    await alert.waitFor();
    assert.match(await alert.textContent() ?? "", /already belongs to a family/);
    // Trying again asks the node again and gets the same answer.
    const [again] = await Promise.all([
      second.waitForResponse((r) => new URL(r.url()).pathname === "/v1/setup"),
      second.getByRole("button", { name: "Try again" }).click(),
    ]);
    assert.equal(again.status(), 409);
    await alert.waitFor();
    assert.match(await alert.textContent() ?? "", /already belongs to a family/);
    assert.equal(await second.locator(".creating .loading").count(), 0);
    await second.getByRole("button", { name: "Start again" }).click();
    await second.locator("#setup-code").waitFor();
    assert.equal(await second.locator(".setup-form .alert-error").count(), 0, "error forgotten");
    assert.deepEqual(rig.errorsOf(first), []);
  },
);
