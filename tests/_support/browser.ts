/**
 * Launches Debian's Chromium through playwright-core with the flags known to
 * work on these machines (DESIGN §2), in a fresh temp profile.
 */

import { chromium } from "playwright-core";
import type { BrowserContext } from "playwright-core";

export function chromiumPath(): string | undefined {
  const fromEnv = Deno.env.get("P2POS_CHROMIUM");
  if (fromEnv) return fromEnv;
  for (const p of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    try {
      Deno.statSync(p);
      return p;
    } catch { /* try the next */ }
  }
  return undefined;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Chromium flags on top of the ones known to work here. */
  args?: string[];
}

export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) {
    throw new Error("Chromium not found: install the Debian package `chromium` (CI does)");
  }
  const profile = await Deno.makeTempDir({ prefix: "p2pos-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--allow-loopback-in-peer-connection",
      ...(options.args ?? []),
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
