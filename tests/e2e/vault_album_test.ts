import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { rigTest } from "../_support/rig.ts";
import { screenshot, setUpFamily, SHOTS, waitHydrated } from "./_flows.ts";
import {
  createAlbum,
  inviteAndJoin,
  PHOTO_DIR,
  readTiles,
  statusOf,
  waitUploadsSettled,
} from "./_vault_flows.ts";
import { PHOTOS, takenAtMs } from "./fixtures/photos.ts";

const byTaken = [...PHOTOS].sort((a, b) => takenAtMs(a) - takenAtMs(b));

rigTest(
  "Vault in Chromium: create, upload with EXIF, skip a duplicate, browse, view, download, rename, trash, share, un-share",
  async (rig) => {
    const node = await rig.node();
    // One browser per person: cookies do not tell ports apart on one host.
    const open = async () => {
      const page = await rig.page(await rig.browser(), 20_000);
      return { page, errors: rig.errorsOf(page) };
    };
    const { page, errors } = await open();
    await setUpFamily(page, node.url, node.setupCode!, { family: "The Rivers", me: "Ada" });

    // The albums page starts empty and says what to do.
    await page.goto(node.url + "/albums");
    await waitHydrated(page, "AlbumList");
    await page.getByRole("heading", { name: "No albums yet" }).waitFor();
    await screenshot(page, "vault_albums_empty");

    const albumId = await createAlbum(page, node.url, "Summer 2026");
    await page.getByText("Drop photos and videos here").waitFor();
    await screenshot(page, "vault_album_empty");

    // Four photos with EXIF, picked in an order that is not taken-at order.
    await page.setInputFiles(
      "#upload-input",
      PHOTOS.map((p) => new URL(p.file, PHOTO_DIR).pathname),
    );
    assert.match(await waitUploadsSettled(page), /^4 added$/);
    // The same bytes again under another name: skipped, and the person is told.
    await page.setInputFiles("#upload-input", {
      name: "harbour-copy.jpg",
      mimeType: "image/jpeg",
      buffer: Buffer.from(await Deno.readFile(new URL("harbour.jpg", PHOTO_DIR))),
    });
    const summary = await waitUploadsSettled(page);
    assert.match(summary, /4 added · 1 skipped \(already in this album\)/);
    const skipped = page.locator('.upload-row[data-upload="harbour-copy.jpg"]');
    assert.match(await skipped.textContent() ?? "", /Already in this album/);
    await screenshot(page, "vault_upload_done");

    // The grid shows four decrypted thumbnails, oldest first, none of them blank.
    let tiles = await readTiles(page, 4);
    assert.equal(tiles.length, 4);
    assert.deepEqual(tiles.map((t) => t.taken), byTaken.map(takenAtMs));
    for (const t of tiles) {
      assert.ok(t.spread > 5, `tile ${t.id} has real pixels (spread ${t.spread})`);
      assert.ok(Math.max(t.width, t.height) <= 720);
    }
    // The portrait was stored sideways with Orientation 6: its thumbnail stands upright.
    const portrait = tiles[byTaken.findIndex((p) => p.file === "portrait.jpg")];
    assert.ok(portrait.height > portrait.width, "EXIF orientation applied to the thumbnail");

    // After a reload the same, from the node.
    await page.reload();
    await waitHydrated(page, "AlbumPage");
    tiles = await readTiles(page, 4);
    assert.deepEqual(tiles.map((t) => t.taken), byTaken.map(takenAtMs));
    await screenshot(page, "vault_album_grid");

    // The viewer: full image, details, ← / → / Esc.
    await page.locator(".photo-tile").first().click();
    const viewer = page.locator(".viewer");
    const field = (name: string) => viewer.locator(`[data-field="${name}"]`);
    const expectPhoto = async (i: number) => {
      await field("filename").filter({ hasText: byTaken[i].file }).waitFor();
      assert.equal(await field("camera").textContent(), byTaken[i].camera);
      assert.match(
        await field("taken").textContent() ?? "",
        new RegExp(String(byTaken[i].taken[0])),
      );
      await viewer.locator("img[data-original]").waitFor();
      assert.equal(new URL(page.url()).hash.startsWith("#photo="), true);
    };
    await expectPhoto(0);
    // Where the original and thumbnail are stored: here, on this (only) node.
    await viewer.locator(".viewer-where .where-node").first().waitFor();
    assert.match(await viewer.locator(".viewer-where").textContent() ?? "", /this node/);
    await page.keyboard.press("ArrowRight");
    await expectPhoto(1);
    assert.equal(await field("dimensions").textContent(), "900 × 1200 · 19.8 KB");
    assert.match(await field("place").textContent() ?? "", /33\.856\d+° S, 151\.215\d+° E/);
    await page.screenshot({ path: new URL("vault_viewer.png", SHOTS).pathname });
    await page.keyboard.press("ArrowLeft");
    await expectPhoto(0);
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    await expectPhoto(2);
    // Download gives the original bytes under the original name.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      viewer.getByRole("link", { name: "Download original" }).click(),
    ]);
    assert.equal(download.suggestedFilename(), byTaken[2].file);
    const got = await Deno.readFile((await download.path())!);
    assert.deepEqual(got, await Deno.readFile(new URL(byTaken[2].file, PHOTO_DIR)));
    await page.keyboard.press("Escape");
    await viewer.waitFor({ state: "detached" });
    assert.equal(new URL(page.url()).hash, "");

    await page.getByText("Where this album is stored").click();
    await page.locator(".album-where .where-node").first().waitFor();
    assert.match(await page.locator(".album-where").textContent() ?? "", /8\/8 stored/);

    // Rename, trash, restore.
    await page.getByRole("button", { name: "Rename" }).click();
    await page.fill("#rename-album", "Summer at the lake");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("heading", { name: "Summer at the lake", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Move to trash" }).click();
    await page.locator(".confirm-panel").getByRole("button", { name: "Move to trash" }).click();
    await page.getByText("This album is in the trash.").waitFor();
    await page.goto(node.url + "/albums");
    await waitHydrated(page, "AlbumList");
    const trashRow = page.locator(`.trash [data-album="${albumId}"]`);
    await trashRow.getByText("Deleted for good in 30 days").waitFor();
    assert.equal(await page.locator(`.album-grid [data-album="${albumId}"]`).count(), 0);
    await screenshot(page, "vault_albums_trash");
    await trashRow.getByRole("button", { name: "Restore Summer at the lake" }).click();
    await page.locator(`.album-grid [data-album="${albumId}"]`).waitFor();
    await page.locator(".trash").waitFor({ state: "detached" });
    await page.locator(`[data-album="${albumId}"] .album-cover img`).waitFor();
    await screenshot(page, "vault_albums");
    await page.goto(node.url + "/");
    await page.locator(".recent-list").getByText("Summer at the lake").waitFor();
    await screenshot(page, "vault_dashboard");

    // Share with Ben as a viewer.
    const { page: ben, errors: benErrors } = await open();
    await inviteAndJoin(page, ben, node.url, "Ben");
    await page.goto(`${node.url}/albums/${albumId}`);
    await waitHydrated(page, "AlbumPage");
    await page.getByRole("button", { name: "Share…" }).click();
    await page.selectOption('select[aria-label="Access for Ben"]', "viewer");
    await page.getByText("Shared with Ben.").waitFor();
    await screenshot(page, "vault_sharing");

    await ben.goto(node.url + "/albums");
    await waitHydrated(ben, "AlbumList");
    const card = ben.locator(`[data-album="${albumId}"]`);
    await card.getByText("Summer at the lake").waitFor();
    await card.click();
    await waitHydrated(ben, "AlbumPage");
    const benTiles = await readTiles(ben, 4);
    assert.ok(benTiles.every((t) => t.spread > 5));
    assert.equal(await ben.getByText("Add photos").count(), 0, "a viewer cannot add photos");
    assert.equal(await statusOf(ben, `/v1/albums/${albumId}`), 200);

    // Un-share: a new key epoch; Ben's next look is a 404; Ada still sees every photo.
    const epochBefore = await page.evaluate(
      (id) => fetch(`/v1/albums/${id}`).then((r) => r.json()).then((j) => j.album.epoch),
      albumId,
    );
    await page.selectOption('select[aria-label="Access for Ben"]', "none");
    await page.getByRole("button", { name: "Remove access" }).click();
    await page.getByText("Ben can no longer open it. The album now has a new key.").waitFor();
    assert.equal(await statusOf(ben, `/v1/albums/${albumId}`), 404);
    const after = await page.evaluate(
      (id) => fetch(`/v1/albums/${id}`).then((r) => r.json()),
      albumId,
    );
    assert.equal(after.album.epoch, epochBefore + 1);
    const photos = await page.evaluate(
      (id) => fetch(`/v1/albums/${id}/photos`).then((r) => r.json()),
      albumId,
    );
    assert.ok(photos.photos.every((p: { epoch: number }) => p.epoch === epochBefore + 1));
    await page.reload();
    await waitHydrated(page, "AlbumPage");
    tiles = await readTiles(page, 4);
    assert.ok(tiles.every((t) => t.spread > 5), "the owner decrypts through re-wrapped keys");
    await page.locator(".photo-tile").last().click();
    await viewer.locator("img[data-original]").waitFor();
    await page.keyboard.press("Escape");
    await ben.goto(`${node.url}/albums/${albumId}`);
    await ben.getByRole("heading", { name: "No such album" }).waitFor();

    // Shared again, then Ben leaves the family: the albums page offers to change the key.
    await page.getByRole("button", { name: "Share…" }).click();
    await page.selectOption('select[aria-label="Access for Ben"]', "viewer");
    await page.getByText("Shared with Ben.").waitFor();
    await page.goto(node.url + "/members");
    await page.locator("table.members tr", { hasText: "Ben" })
      .getByRole("button", { name: "Remove Ben…" }).click();
    await page.locator(".confirm-panel").getByRole("button", { name: "Remove Ben" }).click();
    await page.getByRole("heading", { name: "Removed" }).waitFor();
    await page.goto(node.url + "/albums");
    const review = page.locator(".access-review");
    await review.getByText("still shared with Ben").waitFor();
    await screenshot(page, "vault_access_review");
    await review.getByRole("button", { name: "Change key" }).click();
    await review.waitFor({ state: "detached" });
    const rotated = await page.evaluate(
      (id) => fetch(`/v1/albums/${id}`).then((r) => r.json()),
      albumId,
    );
    assert.equal(rotated.album.epoch, epochBefore + 2);
    assert.equal(
      rotated.grants.find((g: { role: string }) => g.role === "viewer")?.revoked,
      true,
    );
    await page.goto(`${node.url}/albums/${albumId}`);
    await waitHydrated(page, "AlbumPage");

    // Dark theme and a phone-sized screen.
    await page.emulateMedia({ colorScheme: "dark" });
    await screenshot(page, "vault_album_dark");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "vault_album_mobile");
    await page.locator(".photo-tile").first().click();
    await viewer.locator("img[data-original]").waitFor();
    await page.screenshot({ path: new URL("vault_viewer_mobile.png", SHOTS).pathname });

    assert.deepEqual(errors, []);
    assert.deepEqual(benErrors.filter((e) => !/status of 404/.test(e)), []);
  },
);
