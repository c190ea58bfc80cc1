import assert from "node:assert/strict";
import { randomId, setupFamily, signed } from "../../../tests/_support/family.ts";
import { makeTestApp } from "../../../tests/_support/test_app.ts";

Deno.test("POST /v1/records answers 400, not 500, for an id or hlc holding a lone surrogate", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const record = signed(t, alice, "album", randomId(), {});
  // FORMAT §6.4 step 4: such a record is malformed. JSON.stringify writes the lone surrogate as
  // the escape \ud800, which JSON.parse turns back into one; it used to reach the signing input
  // and throw a TypeError there.
  for (const change of [{ id: "alb_\ud800" }, { hlc: record.hlc + "\udc00" }]) {
    const res = await t.app.request("/v1/records", {
      method: "POST",
      headers: { "content-type": "application/json", cookie: alice.cookie! },
      body: JSON.stringify({ records: [{ ...record, ...change }] }),
    });
    assert.equal(res.status, 400, Object.keys(change)[0]);
    const { error } = await res.json();
    assert.equal(error.code, "invalid");
    assert.match(error.message, /well-formed text/);
  }
});
