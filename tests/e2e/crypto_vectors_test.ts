import assert from "node:assert/strict";
import { openBundledPage } from "../_support/browser_harness.ts";
import { rigTest } from "../_support/rig.ts";
import type { BrowserCryptoContext, BrowserVectorResult } from "./fixtures/vectors_entry.ts";

const VECTORS = new URL("../vectors/", import.meta.url);

rigTest(
  "The same test vectors pass inside Chromium, in lib/crypto and in the second implementation",
  async (rig) => {
    const index = JSON.parse(await Deno.readTextFile(new URL("index.json", VECTORS))) as string[];
    assert.ok(index.length >= 20, `index.json lists only ${index.length} vectors`);

    const harness = await openBundledPage({
      entry: new URL("./fixtures/vectors_entry.ts", import.meta.url),
      mounts: { "/vectors/": VECTORS },
    });
    rig.defer(() => harness.close());
    const { page } = harness;
    await page.waitForFunction(() => "__results" in globalThis, null, { timeout: 60_000 });
    const { results, context } = await page.evaluate(() => {
      const g = globalThis as unknown as {
        __results: BrowserVectorResult[];
        __context: BrowserCryptoContext;
      };
      return { results: g.__results, context: g.__context };
    });

    for (const runner of ["lib", "independent"]) {
      assert.deepEqual(
        results.filter((r) => r.runner === runner).map((r) => r.file),
        index,
        `every listed vector ran through ${runner}, in order`,
      );
    }
    assert.deepEqual(results.filter((r) => !r.ok), [], "no vector failed");
    assert.equal(context.crossChecked, true, "each implementation opened the other's blob");
    assert.equal(context.isSecureContext, true, "127.0.0.1 is a secure context");
    assert.ok(context.subtleCalls > 0, "the vectors ran on crypto.subtle");
    // The page ran under the node's CSP: a violation would show up here.
    assert.deepEqual(harness.errors, []);
  },
);
