/**
 * kill -9 rounds (issue #14 §1, tests/reliability/crash_rounds.ts). CI runs a few rounds
 * (`P2POS_CRASH_ROUNDS`, default 4); `deno task reliability` runs 200.
 */

import assert from "node:assert/strict";
import { count, report, runSeed } from "./_support.ts";
import { runCrashRounds, type Scenario } from "./crash_rounds.ts";

Deno.test("kill -9 at random moments and at every fault point: nothing acknowledged is lost and the nodes converge", async () => {
  const seed = runSeed();
  const rounds = count("P2POS_CRASH_ROUNDS", 4, 200);
  console.log(`crash rounds: ${rounds}, seed ${seed} (P2POS_RELIABILITY_SEED to replay)`);
  const only = Deno.env.get("P2POS_CRASH_SCENARIOS")?.split(",").filter(Boolean) as
    | Scenario[]
    | undefined;
  const r = await runCrashRounds({ rounds, seed, scenarios: only });
  await report("crash_rounds", { ...r });
  assert.equal(r.rounds, rounds);
  assert.ok(r.ackedBlobs > 0, "the rounds acknowledged work to check");
  assert.deepEqual(r.findings, [], `${r.findings.length} findings (seed ${seed})`);
});
