/**
 * A short run of the soak (tests/reliability/soak.ts) so it keeps working: 45 seconds with a
 * restart every 15. The real one is `deno task soak` (30 minutes, docs/RELIABILITY.md).
 */

import assert from "node:assert/strict";
import { runSeed } from "./_support.ts";
import { runSoak } from "./soak.ts";

Deno.test({
  name:
    "A short soak: uploads, shares, un-shares, joins, removals and restarts on three nodes end with every invariant holding",
}, async () => {
  const seed = runSeed();
  const r = await runSoak({
    minutes: 0.75,
    seed,
    restartEverySecs: 15,
    sampleEverySecs: 5,
    log: () => {},
  });
  assert.ok(r.restarts.length >= 1, "a node was restarted");
  assert.ok((r.actions.photo ?? 0) > 0 && (r.actions.share ?? 0) > 0, JSON.stringify(r.actions));
  assert.ok(r.oakSamples.length >= 5, "resources were sampled");
  assert.deepEqual(r.findings, [], `seed ${seed}`);
});
