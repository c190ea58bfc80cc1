import assert from "node:assert/strict";
import { readCapped } from "./read_capped.ts";

function chunks(n: number, size: number, pulled: { n: number }): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(c) {
      if (pulled.n === n) return c.close();
      c.enqueue(new Uint8Array(size).fill(++pulled.n));
    },
  });
}

Deno.test("readCapped() joins a body within the limit, and a missing one is empty", async () => {
  const pulled = { n: 0 };
  const bytes = await readCapped(chunks(3, 4, pulled), 12, () => new Error("too large"));
  assert.deepEqual([...bytes], [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  assert.equal((await readCapped(null, 0, () => new Error("too large"))).length, 0);
});

Deno.test("readCapped() refuses a body once it passes the limit, reading no further", async () => {
  const pulled = { n: 0 };
  await assert.rejects(
    readCapped(chunks(1000, 4, pulled), 10, () => new RangeError("over 10")),
    RangeError,
  );
  assert.ok(pulled.n <= 4, `read ${pulled.n} chunks of 1000`);
});
