/**
 * Every route fuzzed with fast-check (issue #14 §3, tests/reliability/fuzz_routes.ts): 2,000
 * cases in CI, 100,000 in `deno task reliability` (P2POS_FUZZ_ROUTE_CASES).
 */

import assert from "node:assert/strict";
import { count, report, runSeed } from "./_support.ts";
import { buildWorld } from "./_world.ts";
import { fuzzRoutes } from "./fuzz_routes.ts";

Deno.test("Every /v1, /internal and page route, fuzzed as every actor: no 500, no hang, every API error a JSON error", async () => {
  const seed = runSeed();
  await using w = await buildWorld();
  const r = await fuzzRoutes(w, {
    cases: count("P2POS_FUZZ_ROUTE_CASES", 2_000, 100_000),
    seed,
    log: console.log,
  });
  await report("fuzz_routes", { ...r });
  assert.ok((r.statuses["2xx"] ?? 0) > 0, "some cases got through to a success");
  assert.deepEqual(
    r.findings.map((f) => `${f.what} (×${f.count}; e.g. ${f.example})`),
    [],
    `seed ${seed}`,
  );
});
