// Deno-only test (reads files); the code under test is browser-compatible.
// Runs every vector file in tests/vectors/ through the same runner Chromium uses.

import assert from "node:assert/strict";
import { parseVector, runVector } from "./vectors.ts";

const DIR = new URL("../../tests/vectors/", import.meta.url);
const files = [...Deno.readDirSync(DIR)]
  .filter((e) => e.isFile && e.name.endsWith(".txt"))
  .map((e) => e.name)
  .sort();

Deno.test("tests/vectors/index.json lists exactly the vector files", () => {
  const index = JSON.parse(Deno.readTextFileSync(new URL("index.json", DIR)));
  assert.deepEqual(index, files);
});

Deno.test("tests/vectors/ holds the required cases", () => {
  assert.ok(files.length >= 20, `only ${files.length} vectors`);
  for (const size of [0, 1, 65535, 65536, 65537, 131073]) {
    assert.ok(files.includes(`blob_success_size_${size}.txt`), `no success vector for ${size}`);
  }
  const expects = files.map((f) => parseVector(Deno.readTextFileSync(new URL(f, DIR))).expect);
  const codes = new Set(expects.map((e) => e.outcome === "failure" ? `${e.kind}/${e.code}` : "ok"));
  for (
    const code of [
      "header/header_mac",
      "header/unknown_version",
      "payload/truncated",
      "payload/trailing_data",
      "payload/tag",
      "payload/empty_final_chunk",
      "wrap/low_order_point",
    ]
  ) assert.ok(codes.has(code), `no vector expects ${code}`);
});

for (const name of files) {
  const text = Deno.readTextFileSync(new URL(name, DIR));
  const vector = parseVector(text);
  const expect = vector.expect.outcome === "success"
    ? "succeeds"
    : `fails with ${vector.expect.kind} failure (${vector.expect.code})`;
  Deno.test(`vector ${name} ${expect}`, async () => {
    const result = await runVector(vector);
    assert.ok(result.ok, result.detail);
  });
}

Deno.test("runVector() reports a vector whose expectation is wrong", async () => {
  const text = Deno.readTextFileSync(new URL("blob_flipped_tag.txt", DIR))
    .replace("payload failure (tag)", "payload failure (truncated)");
  const result = await runVector(parseVector(text));
  assert.equal(result.ok, false);
  assert.match(result.detail, /payload failure \(tag\)/);
});

Deno.test("runVector() reports a success vector whose ciphertext was altered", async () => {
  const vector = parseVector(Deno.readTextFileSync(new URL("blob_success_size_1.txt", DIR)));
  const ct = vector.fields.ciphertext;
  vector.fields.ciphertext = ct.slice(0, -2) + (ct.at(-2) === "A" ? "B" : "A") + ct.at(-1);
  assert.equal((await runVector(vector)).ok, false);
});

Deno.test("parseVector() rejects a duplicated field", () => {
  assert.throws(
    () => parseVector("kind: blob\nexpect: success\nfile-key: 00\nfile-key: 01\n"),
    SyntaxError,
  );
});
