/**
 * Signing in with the 24 words on a new device (issue #16): where the time goes, in Chromium,
 * from the click on "Sign in" to the dashboard showing the member's albums decrypted.
 *
 *   deno run -A bench/sign_in.ts [--rounds 5] [--albums 10]
 *
 * A node is spawned from main.ts with a fresh data dir; the family and `--albums` albums are made
 * through the API as a browser makes them. Each round is a fresh Chromium profile (a device that
 * never held the key). Steps come from marks the pages keep (lib/web/browser/timing.ts); the
 * baseline row, measured in the same rounds, is opening the sign-in page itself (navigation to
 * its island being ready), i.e. what any page of the node costs this browser.
 */

import { parseArgs } from "node:util";
import { seedToMnemonic } from "../lib/crypto/mod.ts";
import { launchBrowser } from "../tests/_support/browser.ts";
import { startNode } from "../tests/_support/node_process.ts";
import { setupRemoteFamily } from "../tests/_support/remote_family.ts";
import { makeAlbum } from "./album_page.ts";

export interface SignInRound {
  /** Navigation start → the sign-in island hydrated (ms). */
  page: number;
  /** Click → each step (ms). */
  steps: Record<string, number>;
}

const STEPS = [
  "words read",
  "challenge",
  "signed",
  "session opened",
  "names opened",
  "key kept",
  "albums shown",
];

export async function runSignInBench(
  options: { rounds?: number; albums?: number } = {},
): Promise<SignInRound[]> {
  const node = await startNode();
  try {
    const owner = await setupRemoteFamily(node.url, node.setupCode!, {
      family: "Bench",
      founder: "Ada",
    });
    for (let i = 0; i < (options.albums ?? 10); i++) {
      await makeAlbum(node.url, owner, `Album ${i + 1}`);
    }
    const words = seedToMnemonic(owner.seed);
    const rounds: SignInRound[] = [];
    for (let r = 0; r < (options.rounds ?? 5); r++) {
      const browser = await launchBrowser();
      try {
        const page = await browser.context.newPage();
        page.setDefaultTimeout(60_000);
        await page.goto(node.url + "/");
        await page.waitForSelector('[data-island="SignIn"][data-hydrated="true"]');
        const ready = await page.evaluate(() => performance.now());
        await page.fill("#recovery-words", words);
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.getByRole("heading", { name: "Hello, Ada" }).waitFor();
        await page.waitForFunction(() =>
          JSON.parse(sessionStorage.getItem("p2pos:timing") ?? "{}").steps?.["albums shown"]
        );
        const timing = await page.evaluate(() =>
          JSON.parse(sessionStorage.getItem("p2pos:timing")!)
        );
        rounds.push({ page: ready, steps: timing.steps });
      } finally {
        await browser.close();
      }
    }
    return rounds;
  } finally {
    await node.stop();
    await Deno.remove(node.dataDir, { recursive: true }).catch(() => {});
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function formatSignInBench(rounds: SignInRound[]): string {
  const row = (name: string, xs: number[]) =>
    `| ${name} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)}–${
      Math.max(...xs).toFixed(0)
    } |`;
  return [
    `Sign-in with the 24 words, ${rounds.length} rounds, each a fresh Chromium profile.`,
    "",
    "| step (ms) | median | range |",
    "| --------- | -----: | ----: |",
    row("(baseline) open the sign-in page: navigation → ready", rounds.map((r) => r.page)),
    ...STEPS.map((s) => row(`click → ${s}`, rounds.map((r) => r.steps[s] ?? NaN))),
  ].join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { rounds: { type: "string" }, albums: { type: "string" } },
  });
  const rounds = await runSignInBench({
    rounds: values.rounds ? Number(values.rounds) : undefined,
    albums: values.albums ? Number(values.albums) : undefined,
  });
  console.log(formatSignInBench(rounds));
}
