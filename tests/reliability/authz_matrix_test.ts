/**
 * The authorization matrix (issue #14 §4, tests/reliability/authz_matrix.ts): generated from
 * the OpenAPI document, every route × every actor × every object, in CI as in the full run.
 */

import assert from "node:assert/strict";
import { report } from "./_support.ts";
import { buildWorld, runMatrix } from "./authz_matrix.ts";

Deno.test("Authorization matrix: every OpenAPI route × actor × object allows exactly who it should and tells nobody else what exists", async () => {
  await using w = await buildWorld();
  const r = await runMatrix(w);
  await report("authz_matrix", { ...r });
  const problems = [
    ...r.unspecified,
    ...r.unexpectedAllows.map((s) => `UNEXPECTED ALLOW ${s}`),
    ...r.unexpectedDenies.map((s) => `unexpected deny ${s}`),
    ...r.oracles.map((s) => `EXISTENCE ORACLE ${s}`),
    ...r.leaks.map((s) => `LEAK ${s}`),
    ...r.publicDiffers.map((s) => `public route answers differently: ${s}`),
  ];
  assert.ok(r.cells > 1000, `${r.cells} cells`);
  assert.deepEqual(problems, [], `${problems.length} problems in ${r.cells} cells`);
});
