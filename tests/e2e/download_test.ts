/**
 * Getting every photo out (issue #16), and the timeline: 20 photos uploaded through the page
 * come back from "Download album" as a zip whose every file is byte for byte the uploaded one,
 * under its file name and with its taken-at time; "Download everything" remembers the album;
 * the Photos page shows them newest first by month, and the viewer steps through them.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { rigTest } from "../_support/rig.ts";
import { readZip } from "../_support/zip_reader.ts";
import { screenshot, setUpFamily, waitHydrated } from "./_flows.ts";
import { createAlbum, readTiles, waitUploadsSettled } from "./_vault_flows.ts";
import { withExif } from "./fixtures/exif_writer.ts";

const COUNT = 20;

rigTest(
  "Download album: 20 photos come back byte for byte in a zip with their names and dates; the timeline shows them newest first",
  async (rig) => {
    const node = await rig.node();
    const page = await rig.page(undefined, 30_000);
    await setUpFamily(page, node.url, node.setupCode!, { family: "The Rivers", me: "Ada" });

    // Twenty small JPEGs drawn by Chromium, each with its own date; two share a file name.
    const jpegs = await page.evaluate(async (n) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const canvas = new OffscreenCanvas(96, 72);
        const g = canvas.getContext("2d")!;
        g.fillStyle = `hsl(${(i * 37) % 360} 70% 55%)`;
        g.fillRect(0, 0, 96, 72);
        g.fillStyle = "#fff";
        g.fillRect(8 + i * 3, 8, 20, 20);
        const bytes = new Uint8Array(
          await (await canvas.convertToBlob({ type: "image/jpeg" }))
            .arrayBuffer(),
        );
        let s = "";
        for (const b of bytes) s += String.fromCharCode(b);
        out.push(btoa(s));
      }
      return out;
    }, COUNT);
    const files = jpegs.map((b64, i) => {
      const day = String(i + 1).padStart(2, "0");
      return {
        name: i === COUNT - 1 ? "IMG_0001.jpg" : `IMG_${String(i + 1).padStart(4, "0")}.jpg`,
        taken: [2022, 3, i + 1, 10, 30, 0] as const,
        bytes: withExif(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)), {
          make: "Test",
          model: "Zip Camera",
          dateTimeOriginal: `2022:03:${day} 10:30:00`,
        }),
      };
    });

    const albumId = await createAlbum(page, node.url, "Spring 2022");
    await page.setInputFiles(
      "#upload-input",
      files.map((f) => ({ name: f.name, mimeType: "image/jpeg", buffer: Buffer.from(f.bytes) })),
    );
    assert.match(await waitUploadsSettled(page, 120_000), /^20 added$/);

    // The album's zip, through the service worker, straight to the browser's download.
    await page.goto(`${node.url}/albums/${albumId}`);
    await readTiles(page, COUNT);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 60_000 }),
      page.getByRole("button", { name: "Download album (.zip)" }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "Spring 2022.zip");
    const zip = readZip(await Deno.readFile((await download.path())!));
    await page.getByText("Downloaded:").waitFor();
    await screenshot(page, "download_album");

    assert.equal(zip.length, COUNT);
    const expectedName = (i: number) => (i === COUNT - 1 ? "IMG_0001 (2).jpg" : files[i].name);
    // In taken-at order, each file byte for byte, under its name, at its time.
    zip.forEach((entry, i) => {
      assert.equal(entry.name, expectedName(i));
      assert.deepEqual(entry.bytes, files[i].bytes, `${entry.name} is the uploaded file`);
      assert.deepEqual(entry.dosTime, files[i].taken);
    });

    // "Download everything" knows this album is done, so it would only continue with others.
    await page.goto(node.url + "/albums");
    await waitHydrated(page, "DownloadEverything");
    const row = page.locator(`.downloads tr[data-download-album="${albumId}"]`);
    await row.getByText(/^Downloaded /).waitFor();
    await page.getByText("Every album is downloaded in this browser.").waitFor();
    await screenshot(page, "download_everything");

    // The timeline: newest first, by month; the viewer moves through it.
    await page.goto(node.url + "/photos");
    await waitHydrated(page, "Timeline");
    const tiles = await readTiles(page, COUNT);
    const taken = tiles.map((t) => t.taken);
    assert.deepEqual(taken, [...taken].sort((a, b) => b - a), "newest first");
    assert.equal(await page.locator(".grid-month").first().textContent(), "March 2022");
    await screenshot(page, "timeline");
    await page.locator(".photo-tile").first().click();
    const viewer = page.locator(".viewer");
    await viewer.locator('[data-field="filename"]').filter({ hasText: "IMG_0001.jpg" }).waitFor();
    await page.keyboard.press("ArrowRight");
    await viewer.locator('[data-field="filename"]').filter({ hasText: "IMG_0019.jpg" }).waitFor();
    await viewer.getByRole("link", { name: "Open in its album" }).waitFor();
    assert.deepEqual(rig.pageErrors(), [[]]);
  },
);
