/**
 * Benchmark: bench/crypto.ts run inside Chromium, where the web UI will encrypt and decrypt.
 * The same code is bundled as the islands are, served from 127.0.0.1 under the node's CSP, and
 * measured against one-shot WebCrypto AES-256-GCM in the same page.
 *
 *   deno run -A bench/crypto_browser.ts [sizeMiB=64]
 *
 * @module
 */

import { BUNDLE_PATH, openBundledPage } from "../tests/_support/browser_harness.ts";
import { type CryptoBenchRow, formatCryptoBench } from "./crypto.ts";

/** Runs {@link runCryptoBench} in Chromium on `sizeMiB` MiB; returns the rows and the browser. */
export async function runCryptoBenchInChromium(
  sizeMiB = 64,
): Promise<{ rows: CryptoBenchRow[]; userAgent: string }> {
  if (!Number.isInteger(sizeMiB) || sizeMiB < 1) {
    throw new RangeError(`"sizeMiB" expected a positive integer, got ${sizeMiB}`);
  }
  const harness = await openBundledPage({ entry: new URL("./crypto.ts", import.meta.url) });
  try {
    // The bundle keeps bench/crypto.ts's exports; importing it again yields the loaded module.
    const result = await harness.page.evaluate(async ([url, mib]) => {
      const bench = await import(url as string);
      return {
        rows: await bench.runCryptoBench(mib) as CryptoBenchRow[],
        userAgent: navigator.userAgent,
      };
    }, [BUNDLE_PATH, sizeMiB]);
    if (harness.errors.length > 0) throw new Error(`Page errors: ${harness.errors.join("; ")}`);
    return result;
  } finally {
    await harness.close();
  }
}

if (import.meta.main) {
  const { rows, userAgent } = await runCryptoBenchInChromium(
    Deno.args[0] ? Number(Deno.args[0]) : 64,
  );
  console.log(`${userAgent.match(/(Headless)?Chrome\/[\d.]+/)?.[0] ?? userAgent}\n`);
  console.log(formatCryptoBench(rows));
}
