/**
 * Replication through a proxy that delays, stalls, drops, truncates and resets connections
 * (issue #14 §5, tests/reliability/degraded_network.ts). CI moves 30 blobs and 20 records;
 * `deno task reliability` 300 and 200.
 */

import assert from "node:assert/strict";
import { count, report, runSeed } from "./_support.ts";
import { runDegradedNetwork } from "./degraded_network.ts";

Deno.test("Replication through a degraded network completes with no blob missing, extra or corrupt and the same records on both nodes", async () => {
  const seed = runSeed();
  const r = await runDegradedNetwork({
    seed,
    blobs: count("P2POS_CHAOS_BLOBS", 30, 300),
    records: count("P2POS_CHAOS_RECORDS", 20, 200),
  });
  await report("degraded_network", { ...r });
  const hit = r.proxies.reduce((n, p) => n + p.connections - p.fates.pass, 0);
  assert.ok(hit > 0, "the proxies degraded some connections");
  assert.deepEqual(r.findings, [], `seed ${seed}`);
});
