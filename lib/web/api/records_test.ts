import assert from "node:assert/strict";
import type { JsonValue } from "../../crypto/mod.ts";
import { randomId, setupFamily, signed } from "../../../tests/_support/family.ts";
import { makeTestApp } from "../../../tests/_support/test_app.ts";

function nested(levels: number): JsonValue {
  let value: JsonValue = [];
  for (let i = 1; i < levels; i++) value = [value];
  return value;
}

Deno.test("POST /v1/records answers 400 for a record nested at the depth limit, one past it, far beyond, and for lone surrogates in its id or hlc", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const atLimit = signed(t, alice, "album", randomId(), { deep: nested(63) });
  // The body is written out by hand: JSON.stringify itself overflows the stack far beyond.
  const deep = (levels: number) =>
    JSON.stringify({ records: [{ ...atLimit, body: "DEEP" }] })
      .replace('"DEEP"', `{"deep":${"[".repeat(levels - 1)}${"]".repeat(levels - 1)}}`);
  const cases: [string, string, RegExp][] = [
    // Well-formed and correctly signed, so it reaches the album schema, which refuses it.
    ["at the limit", JSON.stringify({ records: [atLimit] }), /Album body/],
    ["one level past it", deep(65), /nested deeper than 64/],
    ["far beyond", deep(200_000), /nested deeper than 64/],
  ];
  // A lone surrogate in the id or the stamp: JSON carries it, canonical JSON refuses it.
  const surrogate = (field: string) =>
    JSON.stringify({ records: [{ ...atLimit, [field]: "SURROGATE" }] })
      .replace('"SURROGATE"', '"\\ud800"');
  cases.push(
    ["a lone surrogate in the id", surrogate("id"), /"id" must be well-formed text/],
    ["a lone surrogate in the hlc", surrogate("hlc"), /"hlc" must be well-formed text/],
  );
  for (const [what, body, message] of cases) {
    const res = await t.app.request("/v1/records", {
      method: "POST",
      headers: { "content-type": "application/json", cookie: alice.cookie! },
      body,
    });
    assert.equal(res.status, 400, what);
    const { error } = await res.json();
    assert.equal(error.code, "invalid", what);
    assert.match(error.message, message, what);
  }
});
