// Runs every file in tests/vectors/ through the second implementation (tests/independent/),
// which was written from docs/FORMAT.md and shares no code with lib/crypto.

import assert from "node:assert/strict";
import { readVector, runVector } from "./vectors.ts";

const DIR = new URL("../vectors/", import.meta.url);
const index = JSON.parse(Deno.readTextFileSync(new URL("index.json", DIR))) as string[];

for (const name of index) {
  const vector = readVector(Deno.readTextFileSync(new URL(name, DIR)));
  Deno.test(`independent: vector ${name} gives ${vector.expect}`, async () => {
    const result = await runVector(vector);
    assert.ok(result.ok, result.detail);
  });
}

Deno.test("independent: a vector whose expected code is wrong fails", async () => {
  const vector = readVector(Deno.readTextFileSync(new URL("blob_flipped_tag.txt", DIR)));
  assert.equal((await runVector({ ...vector, expect: "payload failure (truncated)" })).ok, false);
  const ok = readVector(Deno.readTextFileSync(new URL("record_success.txt", DIR)));
  ok.fields.set("canonical", ok.fields.get("canonical")!.replace("example", "exampl"));
  assert.equal((await runVector(ok)).ok, false, "a wrong canonical form is caught");
});
