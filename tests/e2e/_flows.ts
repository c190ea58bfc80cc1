/**
 * Steps of the family pages as a person does them in Chromium, shared by the e2e tests:
 * set up a family with the wizard, read and confirm the 24 words, join with an invite.
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";

export { watchErrors } from "../_support/rig.ts";

export const SHOTS = new URL("./.screenshots/", import.meta.url);

export async function screenshot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(SHOTS, { recursive: true });
  // A full-page shot of a scrolled page draws the sticky header where the view was.
  await page.evaluate(() => globalThis.scrollTo(0, 0));
  await page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname, fullPage: true });
}

export async function waitHydrated(page: Page, island: string): Promise<void> {
  await page.waitForSelector(`[data-island="${island}"][data-hydrated="true"]`, {
    timeout: 20_000,
  });
}

/** The 24 words as the page shows them in `.mnemonic`. */
export async function readWords(page: Page): Promise<string[]> {
  await page.locator("ol.mnemonic li").nth(23).waitFor();
  const words = (await page.locator("ol.mnemonic li").allTextContents()).map((w) => w.trim());
  assert.equal(words.length, 24, "the page shows 24 words");
  return words;
}

/** Ticks "I wrote them down", continues, and types the words the page asks for by position. */
export async function confirmWords(page: Page, words: string[]): Promise<number[]> {
  await page.locator("label.check input[type=checkbox]").check();
  await page.getByRole("button", { name: "Continue" }).click();
  const inputs = page.locator("input[id^=confirm-word-]");
  await inputs.first().waitFor();
  const ids = await inputs.evaluateAll((els) => els.map((e) => e.id));
  const positions = ids.map((id) => Number(id.replace("confirm-word-", "")));
  assert.equal(positions.length, 3, "three words are asked for");
  for (const p of positions) await page.fill(`#confirm-word-${p}`, words[p - 1]);
  await page.getByRole("button", { name: "Confirm" }).click();
  return positions;
}

export interface SetupResult {
  words: string[];
}

/** Runs the whole setup wizard on a fresh node's start page. */
export async function setUpFamily(
  page: Page,
  url: string,
  code: string,
  names: { family: string; me: string; node?: string },
  shots?: string,
): Promise<SetupResult> {
  await page.goto(url + "/");
  await waitHydrated(page, "SetupWizard");
  await page.fill("#setup-code", code);
  await page.click(".setup-form button[type=submit]");
  await page.locator("#family-name").waitFor();
  if (shots) await screenshot(page, `${shots}_names`);
  await page.fill("#family-name", names.family);
  await page.fill("#your-name", names.me);
  if (names.node) await page.fill("#node-name", names.node);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.locator("ol.mnemonic").waitFor();
  const words = await readWords(page);
  if (shots) await screenshot(page, `${shots}_words`);
  await confirmWords(page, words);
  await page.getByRole("heading", { name: `Hello, ${names.me}` }).waitFor({ timeout: 20_000 });
  return { words };
}
