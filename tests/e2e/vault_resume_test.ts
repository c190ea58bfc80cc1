import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { rigTest } from "../_support/rig.ts";
import { screenshot, setUpFamily, SHOTS, waitHydrated } from "./_flows.ts";
import { createAlbum, waitUploadsSettled } from "./_vault_flows.ts";

const MiB = 1024 * 1024;

/** Incompressible bytes, so the upload really is 12 MiB. */
function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

rigTest(
  "An upload whose connection drops mid-way resumes from the acknowledged offset",
  async (rig) => {
    const node = await rig.node();
    const page = await rig.page(undefined, 30_000);
    await setUpFamily(page, node.url, node.setupCode!, { family: "The Rivers", me: "Ada" });
    const albumId = await createAlbum(page, node.url, "Holiday videos");

    // Every request to the upload API, in order; the second chunk's connection is cut.
    const log: { method: string; path: string; offset?: number; aborted?: boolean }[] = [];
    let patches = 0;
    await page.route("**/v1/uploads/**", async (route) => {
      const req = route.request();
      const entry = {
        method: req.method(),
        path: new URL(req.url()).pathname,
        offset: req.headers()["upload-offset"] === undefined
          ? undefined
          : Number(req.headers()["upload-offset"]),
        aborted: false,
      };
      log.push(entry);
      if (req.method() === "PATCH" && ++patches === 2) {
        entry.aborted = true;
        await route.abort("connectionreset");
        return;
      }
      await route.continue();
    });

    // A 12 MiB "video" (not a real one: the browser cannot decode it, so it has no preview).
    const bytes = randomBytes(12 * MiB);
    await page.setInputFiles("#upload-input", {
      name: "holiday.mp4",
      mimeType: "video/mp4",
      buffer: Buffer.from(bytes),
    });
    await page.locator(".upload-row progress").first().waitFor();
    await screenshot(page, "vault_upload_progress");
    assert.match(await waitUploadsSettled(page, 120_000), /^1 added$/);

    const patchesOf = log.filter((e) => e.method === "PATCH");
    assert.deepEqual(
      patchesOf.slice(0, 3).map((e) => [e.offset, e.aborted]),
      [[0, false], [8 * MiB, true], [8 * MiB, false]],
      "the chunk after the cut starts at the offset the node had acknowledged",
    );
    const cut = log.findIndex((e) => e.aborted);
    const asked = log.findIndex((e, i) => i > cut && e.method === "GET");
    const resent = log.findIndex((e, i) => i > cut && e.method === "PATCH");
    assert.ok(asked > cut && asked < resent, "it asked the node for the offset before resuming");
    assert.ok(log.some((e) => e.method === "POST" && e.path.endsWith("/finish")));

    // The photo is there, without a preview, and downloads as the exact bytes.
    await page.locator(".photo-tile").first().waitFor();
    assert.equal(await page.locator(".photo-tile").count(), 1);
    await page.locator(".photo-tile .tile-empty").getByText("No preview").waitFor();
    await page.locator(".photo-tile").first().click();
    const viewer = page.locator(".viewer");
    await viewer.locator('[data-field="filename"]').getByText("holiday.mp4").waitFor();
    const link = viewer.getByRole("link", { name: "Download original" });
    await link.waitFor();
    await viewer.getByText("This browser cannot show video/mp4").waitFor();
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    assert.equal(download.suggestedFilename(), "holiday.mp4");
    assert.deepEqual(await Deno.readFile((await download.path())!), bytes);
    await page.keyboard.press("Escape");

    // Cancelling a file stops it: nothing is added, and it can be retried. Its chunks are
    // held back until it is cancelled, so the click always lands mid-upload.
    await page.unroute("**/v1/uploads/**");
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    await page.route("**/v1/uploads/**", async (route) => {
      if (route.request().method() === "PATCH") await gate;
      await route.continue().catch(() => {}); // the page may have given up on it
    });
    await page.setInputFiles("#upload-input", {
      name: "second.mp4",
      mimeType: "video/mp4",
      buffer: Buffer.from(randomBytes(12 * MiB)),
    });
    const row = page.locator('.upload-row[data-upload="second.mp4"]');
    await row.locator(".badge", { hasText: "Uploading" }).waitFor();
    await row.getByRole("button", { name: "Cancel second.mp4" }).click();
    await row.locator(".badge", { hasText: "Cancelled" }).waitFor();
    release();
    await page.unroute("**/v1/uploads/**");
    assert.equal(await page.locator(".photo-tile").count(), 1);
    await row.getByRole("button", { name: "Retry second.mp4" }).click();
    await row.locator(".badge", { hasText: "Added" }).waitFor({ timeout: 120_000 });
    await page.locator(".photo-tile").nth(1).waitFor();

    await page.reload();
    await waitHydrated(page, "AlbumPage");
    await page.locator(".photo-tile").nth(1).waitFor();
    const listed = await page.evaluate(
      (id) => fetch(`/v1/albums/${id}/photos`).then((r) => r.json()),
      albumId,
    );
    assert.equal(listed.photos.length, 2);
    assert.ok(listed.photos.every((p: { thumb: unknown }) => p.thumb === null));
    assert.deepEqual(
      rig.pageErrors()[0].filter((e) => !/ERR_CONNECTION_RESET|Failed to load resource/.test(e)),
      [],
    );
  },
);

rigTest(
  "A video recorded in the browser gets a frame as its thumbnail and plays after decryption",
  async (rig) => {
    const node = await rig.node();
    const page = await rig.page(undefined, 30_000);
    await setUpFamily(page, node.url, node.setupCode!, { family: "The Rivers", me: "Ada" });
    await createAlbum(page, node.url, "Clips");

    // Record 1.5 s of an animated canvas as WebM and pick it like a file from disk.
    const size = await page.evaluate(async () => {
      const canvas = document.createElement("canvas");
      canvas.width = 640;
      canvas.height = 360;
      const g = canvas.getContext("2d")!;
      const recorder = new MediaRecorder(canvas.captureStream(25), {
        mimeType: "video/webm;codecs=vp8",
      });
      const parts: Blob[] = [];
      recorder.ondataavailable = (e) => parts.push(e.data);
      const stopped = new Promise((r) => (recorder.onstop = r));
      recorder.start(250);
      const t0 = performance.now();
      await new Promise<void>((done) => {
        const draw = () => {
          const t = (performance.now() - t0) / 1000;
          g.fillStyle = `hsl(${(t * 120) % 360} 70% 50%)`;
          g.fillRect(0, 0, 640, 360);
          g.fillStyle = "#fff";
          g.fillRect(40 + t * 200, 120, 120, 120);
          if (t < 1.5) requestAnimationFrame(draw);
          else done();
        };
        draw();
      });
      recorder.stop();
      await stopped;
      const file = new File(parts, "clip.webm", { type: "video/webm" });
      const input = document.getElementById("upload-input") as HTMLInputElement;
      const dt = new DataTransfer();
      dt.items.add(file);
      input.files = dt.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      return file.size;
    });
    assert.ok(size > 1000, `recorded ${size} bytes`);
    assert.match(await waitUploadsSettled(page), /^1 added$/);

    // Its thumbnail is a real frame (with a play mark), not an empty tile.
    const tile = page.locator(".photo-tile[data-loaded] img");
    await tile.waitFor();
    const spread = await tile.evaluate(async (img: HTMLImageElement) => {
      await img.decode();
      const c = document.createElement("canvas");
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      const g = c.getContext("2d")!;
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      let min = 255;
      let max = 0;
      for (let i = 0; i < d.length; i += 4) {
        min = Math.min(min, d[i + 1]);
        max = Math.max(max, d[i + 1]);
      }
      return max - min;
    });
    assert.ok(spread > 50, `the thumbnail has contrast (${spread})`);

    // The viewer decrypts it and the browser plays it.
    await page.locator(".photo-tile").first().click();
    const video = page.locator(".viewer video.viewer-video");
    await video.waitFor();
    await page.waitForFunction(
      () => (document.querySelector(".viewer video") as HTMLVideoElement | null)?.readyState! >= 2,
    );
    assert.equal(await page.locator(".viewer-note").count(), 0);
    assert.match(await page.locator('[data-field="filename"]').textContent() ?? "", /clip\.webm/);
    await page.screenshot({ path: new URL("vault_video_viewer.png", SHOTS).pathname });
    assert.deepEqual(rig.pageErrors(), [[]]);
  },
);
