import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { decodeJoinCode } from "../../lib/core/node_kinds.ts";
import { qrDataUrl } from "../../lib/web/browser/ui/QrCode.tsx";
import { rigTest } from "../_support/rig.ts";
import { screenshot, setUpFamily, waitHydrated } from "./_flows.ts";
import { createAlbum, PHOTO_DIR, waitUploadsSettled } from "./_vault_flows.ts";
import { FAST_ENV } from "../integration/replication_cluster.ts";

/** Short replication intervals; peer copies are proven again after 1 s, so soon "verified". */
const ENV = { ...FAST_ENV, P2POS_REP_REVERIFY_AFTER_SECS: "1" };

/** Every wait of this test is bounded by this. */
const WAIT = 60_000;

/** Waits until `selector`'s text matches `pattern`; the failure names what the page showed. */
async function waitText(page: Page, selector: string, pattern: RegExp): Promise<string> {
  try {
    await page.waitForFunction(
      ([sel, src, flags]) =>
        new RegExp(src, flags).test(document.querySelector(sel)?.textContent ?? ""),
      [selector, pattern.source, pattern.flags] as const,
      { timeout: WAIT },
    );
  } catch (err) {
    const shown = await page.locator(selector).first().textContent({ timeout: 1000 })
      .catch(() => "(nothing)");
    throw new Error(`${selector} never matched ${pattern}; it shows: ${shown}`, { cause: err });
  }
  return (await page.locator(selector).first().textContent()) ?? "";
}

rigTest(
  "Two nodes in Chromium: pair through the pages, then watch a photo's copy reach the other node live",
  async (rig) => {
    const open = async () => await rig.page(await rig.browser(), 30_000);
    const [oak, pine] = await Promise.all([rig.node({ env: ENV }), rig.node({ env: ENV })]);
    assert.ok(oak.setupCode && pine.setupCode, "both fresh nodes print a setup code");

    // Oak gets the family through the wizard; Pine's operator is on another machine, so
    // another browser (cookies do not tell ports apart on one host).
    const admin = await open();
    await setUpFamily(admin, oak.url, oak.setupCode, {
      family: "The Rivers",
      me: "Ada",
      node: "Oak",
    });
    const operator = await open();

    // Pine's first page: "Join an existing family as another node", its setup code, the join
    // code as text and as a QR code of exactly that text.
    await operator.goto(pine.url + "/");
    await waitHydrated(operator, "JoinAsNode");
    await operator.getByRole("button", { name: "Join an existing family as another node" })
      .click();
    await operator.fill("#node-setup-code", pine.setupCode);
    await operator.getByRole("button", { name: "Show the join code" }).click();
    const codeBox = operator.locator("#join-code-out");
    await codeBox.waitFor({ timeout: WAIT });
    const joinCode = (await codeBox.inputValue()).trim();
    const join = decodeJoinCode(joinCode);
    assert.equal(join.nodeId, pine.nodeId, "the join code names Pine");
    assert.equal(join.url, pine.url, "the join code carries Pine's address");
    assert.match(await operator.locator(".join-as-node .hint").textContent() ?? "", /Waiting/);
    const qr = operator.locator(".join-as-node img.qr");
    assert.equal(await qr.getAttribute("alt"), "QR code of this node's join code");
    assert.equal(await qr.getAttribute("src"), qrDataUrl(joinCode), "the QR encodes the code");
    assert.ok(
      await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 100),
      "the QR image decodes and has a size",
    );
    await screenshot(operator, "replication_join_code");

    // Oak's Nodes page: no other node yet; paste, check the id, name it Pine, approve.
    await admin.goto(oak.url + "/nodes");
    await waitHydrated(admin, "PairNode");
    await waitHydrated(admin, "NodeList");
    await admin.getByRole("heading", { name: "This node — Oak" }).waitFor();
    await admin.getByText("No other nodes yet.").waitFor();
    await admin.fill("#join-code", joinCode);
    assert.equal(await admin.locator(".pair-form code.node-id").textContent(), pine.nodeId);
    assert.equal(await admin.inputValue("#node-url"), pine.url);
    await admin.fill("#node-name", "Pine");
    // The wizard already signed Oak's own node record, so nothing asks to name it.
    assert.equal(await admin.locator("#self-name").count(), 0);
    await admin.getByRole("button", { name: "Approve and pair" }).click();
    await waitText(admin, ".pair-form [role=status]", /^Pine joined the family\./);

    // Pine's page notices by itself.
    await waitText(operator, ".alert-ok[role=status]", /This node joined the family\./);
    await operator.getByRole("link", { name: "Sign in" }).waitFor();
    await screenshot(operator, "replication_joined");

    // Oak lists Pine, online over direct HTTP, without a reload.
    const pineRow = `table.nodes tr[data-node="${pine.nodeId}"]`;
    const row = await waitText(admin, pineRow, /online/);
    assert.match(row, /^Pine/);
    assert.match(row, new RegExp(pine.url.replaceAll(".", "\\.")));
    assert.match(row, /direct HTTP/);
    await screenshot(admin, "replication_nodes");

    // Pine is paused (SIGSTOP) while the photo is uploaded on Oak, so the album's
    // where-stored panel first shows Pine without it, then must change by itself.
    const pinePid = pine.pid;
    Deno.kill(pinePid, "SIGSTOP"); // the rig's SIGKILL ends it even while stopped
    const albumId = await createAlbum(admin, oak.url, "Pine test");
    await admin.setInputFiles("#upload-input", new URL("meadow.jpg", PHOTO_DIR).pathname);
    assert.match(await waitUploadsSettled(admin), /^1 added$/);
    // Every text Pine's line of the panel shows, in order; kept by this document only, so
    // a reload would lose it.
    await admin.evaluate((id) => {
      const shown: string[] = [];
      const look = () => {
        const t = document.querySelector(`.album-where .where-node[data-node="${id}"]`)
          ?.textContent;
        if (t && t !== shown.at(-1)) shown.push(t);
      };
      new MutationObserver(look).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
      });
      Object.assign(window, { __pineShown: shown });
    }, pine.nodeId);
    await admin.getByText("Where this album is stored").click();
    const where = (id: string) => `.album-where .where-node[data-node="${id}"]`;
    await waitText(admin, where(oak.nodeId), /^Oak \(this node\)2\/2 stored, 2 verified/);
    await waitText(admin, where(pine.nodeId), /^Pine0\/2 stored/);
    assert.match(
      await admin.locator(where(pine.nodeId)).getAttribute("data-state") ?? "",
      /^(pending|failed)$/,
    );
    await screenshot(admin, "replication_album_waiting");
    Deno.kill(pinePid, "SIGCONT");
    // Original and thumbnail: both reach Pine, then both pass a proof of possession.
    await waitText(admin, where(pine.nodeId), /^Pine2\/2 stored, 2 verified/);
    assert.equal(await admin.locator(".album-where .where-node").count(), 2);
    await screenshot(admin, "replication_album_where");

    // The viewer: Pine's copy of this photo, verified, with when.
    await admin.locator(".photo-tile").first().click();
    const viewerPine = `.viewer-where .where-node[data-node="${pine.nodeId}"]`;
    await admin.locator(`${viewerPine}[data-state="verified"]`).waitFor({ timeout: WAIT });
    assert.match(
      await admin.locator(viewerPine).textContent() ?? "",
      /^Pine✓ verifiedverified just now$/,
    );
    assert.equal(
      await admin.locator(`.viewer-where .where-node[data-node="${oak.nodeId}"]`)
        .getAttribute("data-state"),
      "verified",
    );
    const pineShown = await admin.evaluate(() =>
      (window as { __pineShown?: string[] }).__pineShown
    );
    assert.ok(pineShown, "the album page was not reloaded");
    assert.match(pineShown[0], /^Pine0\/2 stored/);
    assert.match(pineShown.at(-1)!, /^Pine2\/2 stored, 2 verified/);
    assert.equal(new URL(admin.url()).pathname, `/albums/${albumId}`);
    await screenshot(admin, "replication_viewer");

    // The dashboard: nothing on its way, Pine online.
    await admin.goto(oak.url + "/");
    await waitHydrated(admin, "ReplicationBadge");
    await waitText(admin, ".replication-badge", /All copies are in place\./);
    assert.equal(await admin.locator(".replication-badge .stat-value").textContent(), "0");
    assert.match(
      await admin.locator(".replication-badge").textContent() ?? "",
      /1 of 1 node online/,
    );
    await screenshot(admin, "replication_dashboard");

    // Back on the Nodes page: Pine holds every object Oak holds, all verified; nothing waits.
    await admin.goto(oak.url + "/nodes");
    await waitHydrated(admin, "NodeList");
    const mine = /(\d+) encrypted objects/.exec(
      await admin.locator(".facts").first().textContent() ?? "",
    );
    const stored = Number(mine?.[1]);
    assert.ok(stored >= 2, `Oak stores the photo's original and thumbnail (${mine?.[0]})`);
    const after = await waitText(admin, pineRow, /in step/);
    assert.match(after, /online/);
    assert.match(
      after,
      // The peer's row also says where it keeps its blobs (its hello tells).
      new RegExp(
        `${stored} objects · [\\d.]+ kBin files on its disk${stored} known here, ${stored} verified`,
      ),
    );
    // Above the table: how far proofs of possession have got over Pine's copies.
    const proofs = await waitText(
      admin,
      "[data-proofs]",
      new RegExp(`of ${stored} copies on the other nodes proven .*oldest proof just now`),
    );
    assert.doesNotMatch(proofs, /not proven yet|Raise/);
    await screenshot(admin, "replication_nodes_after");

    // Pine moves. The admin edits its address: a malformed one is explained at the field;
    // a dead one (port 9, nothing listens) is signed, Oak uses it at its next sync and shows
    // Pine offline; the right one brings Pine back online, under its new name.
    await admin.getByRole("button", { name: "Edit Pine: name and address" }).click();
    await admin.locator("#edit-node-url").fill("pine.example.org");
    await admin.getByRole("button", { name: "Save" }).click();
    await waitText(admin, ".edit-node .field-error", /is not an address: type it in full/);
    assert.equal(await admin.locator("#edit-node-url").getAttribute("aria-invalid"), "true");
    await screenshot(admin, "replication_node_edit");
    await admin.locator("#edit-node-url").fill("http://127.0.0.1:9/");
    await admin.getByRole("button", { name: "Save" }).click();
    await waitText(admin, pineRow, /http:\/\/127\.0\.0\.1:9offline/);
    assert.equal(await admin.locator(".edit-node").count(), 0, "the form closes once saved");
    await admin.getByRole("button", { name: "Edit Pine: name and address" }).click();
    assert.equal(await admin.locator("#edit-node-url").inputValue(), "http://127.0.0.1:9");
    await admin.locator("#edit-node-name").fill("Pine (attic)");
    await admin.locator("#edit-node-url").fill(pine.url);
    await admin.getByRole("button", { name: "Save" }).click();
    const back = await waitText(admin, pineRow, /online/);
    assert.match(back, /^Pine \(attic\)/);
    assert.match(back, new RegExp(pine.url.replaceAll(".", "\\.")));
    await screenshot(admin, "replication_node_edited");

    // This node's own card can be edited too: Oak is renamed, and the page says so.
    await admin.getByRole("button", { name: "Edit this node (Oak): name and address" }).click();
    assert.equal(await admin.locator("#edit-self-url").inputValue(), oak.url);
    await admin.locator("#edit-self-name").fill("Oak (home)");
    await admin.getByRole("button", { name: "Save" }).click();
    await admin.getByRole("heading", { name: "This node — Oak (home)" }).waitFor();

    assert.deepEqual(rig.pageErrors(), [[], []], "no page errors in either browser");
  },
);
