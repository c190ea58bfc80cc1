import assert from "node:assert/strict";
import { rigTest } from "../_support/rig.ts";
import { confirmWords, readWords, screenshot, setUpFamily, waitHydrated } from "./_flows.ts";

const sessionStatus = () => fetch("/v1/session").then((r) => r.status);

rigTest(
  "Invite, join, remove, add a device with the words, lock, reveal words: across three browsers",
  async (rig) => {
    const node = await rig.node();
    // One browser per person: cookies do not tell ports apart on one host.
    const open = async () => {
      const page = await rig.page(await rig.browser(), 20_000);
      return { page, errors: rig.errorsOf(page) };
    };
    // Admin (browser A) sets up the family and invites someone.
    const { page: admin, errors: adminErrors } = await open();
    const { words: adminWords } = await setUpFamily(admin, node.url, node.setupCode!, {
      family: "The Okafors",
      me: "Ada",
    });
    await admin.goto(node.url + "/members");
    await waitHydrated(admin, "InvitePanel");
    await admin.locator("ol.mnemonic").count().then((n) => assert.equal(n, 0));
    await admin.getByText("No invites yet").waitFor();
    await admin.selectOption("#invite-role", "member");
    await admin.getByText("7 days").click();
    await admin.getByRole("button", { name: "Create invite link" }).click();
    const link = await admin.locator("#invite-link").inputValue();
    // The token, then after # the secret that opens the family key (never sent to a node).
    assert.match(link, new RegExp(`^${node.url}/join/[A-Za-z0-9_-]{43}#[A-Za-z0-9_-]{43}$`));
    const qr = await admin.locator("img.qr").getAttribute("src");
    assert.match(qr ?? "", /^data:image\/svg\+xml;base64,/);
    await admin.locator(".invite-list .badge", { hasText: "pending" }).waitFor();
    await screenshot(admin, "members_invite");

    // Browser B opens the link, makes a key, confirms words and joins.
    const { page: ben, errors: benErrors } = await open();
    // Cut before the # (as a careless copy would), the link says what is missing.
    const cut = await ben.context().newPage();
    await cut.goto(link.split("#")[0]);
    await waitHydrated(cut, "JoinFamily");
    await cut.getByText("This invite link is not complete").waitFor();
    assert.equal(await cut.locator("#join-name").count(), 0);
    await cut.close();
    await ben.goto(link);
    await waitHydrated(ben, "JoinFamily");
    // The family's name is opened in the page with the link's secret, which leaves the
    // address bar at once.
    await ben.locator("h1", { hasText: "Join The Okafors" }).waitFor();
    assert.equal(new URL(ben.url()).hash, "");
    await ben.fill("#join-name", "Ben");
    await ben.getByRole("button", { name: "Continue" }).click();
    const benWords = await readWords(ben);
    assert.notDeepEqual(benWords, adminWords);
    await confirmWords(ben, benWords);
    await ben.getByRole("heading", { name: "Hello, Ben" }).waitFor();
    assert.equal(await ben.evaluate(sessionStatus), 200);

    // The admin sees Ben, the invite as used, and removes him after a confirm step.
    await admin.reload();
    await waitHydrated(admin, "InvitePanel");
    await admin.locator(".invite-list .badge", { hasText: "used" }).waitFor();
    const benRow = admin.locator("table.members tr", { hasText: "Ben" });
    await benRow.getByRole("button", { name: "Remove Ben…" }).click();
    const confirm = admin.locator(".confirm-panel");
    assert.match(await confirm.textContent() ?? "", /sessions end at once/);
    assert.match(await confirm.textContent() ?? "", /already downloaded stay theirs/);
    await screenshot(admin, "members_remove_confirm");
    await confirm.getByRole("button", { name: "Remove Ben" }).click();
    await admin.getByRole("heading", { name: "Removed" }).waitFor();
    assert.equal(await admin.locator("table.members tr", { hasText: "Ben" }).count(), 0);
    // The removal started a new family key epoch, which Ben's key was never given.
    const family = await admin.evaluate(() =>
      fetch("/v1/family").then((r) => r.json()) as Promise<{ family: { epoch: number } }>
    );
    assert.equal(family.family.epoch, 1);

    // Ben's session ended at once: the API says 401 and pages send him to sign in,
    // where his key is refused with a clear message.
    assert.equal(await ben.evaluate(sessionStatus), 401);
    await ben.goto(node.url + "/settings");
    assert.equal(new URL(ben.url()).pathname, "/");
    assert.equal(new URL(ben.url()).searchParams.get("next"), "/settings");
    await waitHydrated(ben, "SignIn");
    await ben.getByRole("button", { name: "Sign in as Ben" }).click();
    await ben.getByText("This key is not a member of The Okafors on this node").waitFor();
    await screenshot(ben, "members_removed_signin");
    // The invite he used stays used.
    await ben.goto(link);
    assert.match(await ben.textContent("h1") ?? "", /already used/);

    // Browser C adds a device with the admin's words (a wrong word first).
    const { page: third, errors: thirdErrors } = await open();
    await third.goto(node.url + "/");
    await waitHydrated(third, "SignIn");
    await third.locator("#recovery-words").waitFor();
    const swapped = [...adminWords];
    [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
    if (swapped.join() !== adminWords.join()) {
      await third.fill("#recovery-words", swapped.join(" "));
      await third.getByRole("button", { name: "Sign in" }).click();
      await third.getByText(/checksum does not match|not a member/).waitFor();
    }
    await third.fill("#recovery-words", adminWords.join("\n").toUpperCase());
    await third.getByRole("button", { name: "Sign in" }).click();
    await third.getByRole("heading", { name: "Hello, Ada" }).waitFor();

    // Settings: two devices are signed in as Ada; Lock returns to a one-click sign-in.
    await third.goto(node.url + "/settings");
    await waitHydrated(third, "SessionList");
    await third.locator(".session-list .list-row").nth(1).waitFor();
    assert.equal(await third.locator(".session-list .list-row").count(), 2);
    assert.equal(await third.locator(".session-list [data-current]").count(), 1);
    await screenshot(third, "settings");
    await waitHydrated(third, "AccountActions");
    await third.getByRole("button", { name: "Lock" }).click();
    await third.waitForURL(node.url + "/");
    await waitHydrated(third, "SignIn");
    await third.getByRole("button", { name: "Sign in as Ada" }).click();
    await third.getByRole("heading", { name: "Hello, Ada" }).waitFor();

    // Settings reveals the same 24 words, after a confirm click, and hides them again.
    await third.goto(node.url + "/settings");
    await waitHydrated(third, "RecoveryWords");
    await third.getByRole("button", { name: "Show my recovery words…" }).click();
    await third.getByRole("button", { name: "Show the 24 words" }).click();
    assert.deepEqual(await readWords(third), adminWords);
    await third.getByRole("button", { name: "Hide the words" }).click();
    assert.equal(await third.locator("ol.mnemonic").count(), 0);

    // Ending the other device's session signs browser A out.
    await third.locator(".session-list .list-row:not([data-current]) button").click();
    await third.locator(".session-list .list-row").nth(1).waitFor({ state: "detached" });
    assert.equal(await admin.evaluate(sessionStatus), 401);

    assert.deepEqual(adminErrors, []);
    assert.deepEqual(benErrors, []);
    assert.deepEqual(thirdErrors, []);
  },
);

rigTest("A withdrawn invite link says so; the theme choice survives a reload", async (rig) => {
  const node = await rig.node();
  const page = await rig.page(undefined, 20_000);
  const errors = rig.errorsOf(page);
  await setUpFamily(page, node.url, node.setupCode!, { family: "The Okafors", me: "Ada" });
  await page.goto(node.url + "/members");
  await waitHydrated(page, "InvitePanel");
  await page.selectOption("#invite-role", "admin");
  await page.getByText("1 hour").click();
  await page.getByRole("button", { name: "Create invite link" }).click();
  // Either the link or the page's explanation of why it has none: a failure says which.
  await page.locator("#invite-link, [data-island=InvitePanel] [role=alert]").first()
    .waitFor({ timeout: 60_000 });
  const refusal = page.locator("[data-island=InvitePanel] [role=alert]");
  if (await refusal.count()) {
    assert.fail(`no invite link: ${await refusal.first().textContent()}`);
  }
  const link = await page.locator("#invite-link").inputValue();
  await page.locator(".invite-list button", { hasText: "Withdraw" }).click();
  await page.locator(".invite-list .badge", { hasText: "withdrawn" }).waitFor();

  const visitor = await rig.page(await rig.browser());
  await visitor.goto(link);
  assert.match(await visitor.textContent("h1") ?? "", /withdrawn/);

  await page.goto(node.url + "/settings");
  await waitHydrated(page, "ThemeToggle");
  await page.getByText("Dark", { exact: true }).click();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  await page.reload();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  await screenshot(page, "settings_dark");
  assert.deepEqual(errors, []);
});
