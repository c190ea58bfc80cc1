/**
 * Steps of the vault pages as a person does them in Chromium, shared by the vault e2e tests:
 * make an album, add files and wait for them, read what the grid shows, invite and join.
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { confirmWords, readWords, waitHydrated } from "./_flows.ts";

export const PHOTO_DIR = new URL("./fixtures/photos/", import.meta.url);

/** Creates an album from the albums page; returns its id once its page shows the name. */
export async function createAlbum(page: Page, url: string, name: string): Promise<string> {
  await page.goto(url + "/albums");
  await waitHydrated(page, "AlbumList");
  await page.getByRole("button", { name: "New album" }).click();
  await page.fill("#album-name", name);
  await page.getByRole("button", { name: "Create album" }).click();
  await page.waitForURL(/\/albums\/[A-Za-z0-9_-]{22}$/);
  await page.getByRole("heading", { name, level: 1 }).waitFor();
  return new URL(page.url()).pathname.split("/").pop()!;
}

/** Waits until the upload list has no file in progress; returns the summary line. */
export async function waitUploadsSettled(page: Page, timeout = 60_000): Promise<string> {
  await page.waitForFunction(
    () => {
      const rows = [...document.querySelectorAll(".upload-row")];
      return rows.length > 0 &&
        rows.every((r) => /upload-(done|skipped|failed|cancelled)/.test(r.className));
    },
    undefined,
    { timeout },
  );
  return (await page.locator(".upload-summary strong").textContent()) ?? "";
}

export interface TileInfo {
  id: string;
  taken: number;
  /** Standard deviation of the thumbnail's luminance: 0 for a blank, single-colour tile. */
  spread: number;
  width: number;
  height: number;
}

/** Waits for `count` decrypted tiles and reads their pixels through a canvas. */
export async function readTiles(page: Page, count: number): Promise<TileInfo[]> {
  await page.waitForFunction(
    (n) => document.querySelectorAll(".photo-tile[data-loaded] img").length >= n,
    count,
    { timeout: 30_000 },
  );
  return await page.$$eval(".photo-tile", async (tiles) => {
    const out = [];
    for (const tile of tiles as HTMLElement[]) {
      const img = tile.querySelector("img");
      if (!img) continue;
      await img.decode();
      const c = document.createElement("canvas");
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      const g = c.getContext("2d")!;
      g.drawImage(img, 0, 0);
      const { data } = g.getImageData(0, 0, c.width, c.height);
      let sum = 0;
      let sq = 0;
      const n = data.length / 4;
      for (let i = 0; i < data.length; i += 4) {
        const y = 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2];
        sum += y;
        sq += y * y;
      }
      const mean = sum / n;
      out.push({
        id: tile.dataset.photo!,
        taken: Number(tile.dataset.taken),
        spread: Math.sqrt(Math.max(0, sq / n - mean * mean)),
        width: img.naturalWidth,
        height: img.naturalHeight,
      });
    }
    return out;
  });
}

/** The admin makes an invite link on /members; the other page joins with it as `name`. */
export async function inviteAndJoin(
  admin: Page,
  joiner: Page,
  url: string,
  name: string,
): Promise<void> {
  await admin.goto(url + "/members");
  await waitHydrated(admin, "InvitePanel");
  await admin.selectOption("#invite-role", "member");
  await admin.getByRole("button", { name: "Create invite link" }).click();
  const link = await admin.locator("#invite-link").inputValue();
  assert.match(link, /\/join\//);
  await joiner.goto(link);
  await waitHydrated(joiner, "JoinFamily");
  await joiner.fill("#join-name", name);
  await joiner.getByRole("button", { name: "Continue" }).click();
  const words = await readWords(joiner);
  await confirmWords(joiner, words);
  await joiner.getByRole("heading", { name: `Hello, ${name}` }).waitFor({ timeout: 20_000 });
}

/** The status of `GET path` as the page's session sees it. */
export async function statusOf(page: Page, path: string): Promise<number> {
  return await page.evaluate((p) => fetch(p).then((r) => r.status), path);
}
