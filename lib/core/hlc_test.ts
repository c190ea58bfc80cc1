import assert from "node:assert/strict";
import { compareVersions, formatHlc, HybridClock, parseHlc } from "./hlc.ts";

Deno.test("HybridClock.next() is strictly increasing even when the wall clock stands still or goes back", () => {
  let now = 1000;
  const clock = new HybridClock(() => now);
  const a = clock.next();
  const b = clock.next();
  now = 500;
  const c = clock.next();
  assert.ok(a < b && b < c, `${a} < ${b} < ${c}`);
});

Deno.test("HybridClock.observe() makes later local stamps sort after a remote one", () => {
  const clock = new HybridClock(() => 1000);
  clock.observe(formatHlc({ wall: 5000, counter: 3 }));
  assert.deepEqual(parseHlc(clock.next()), { wall: 5000, counter: 4 });
});

Deno.test("compareVersions() breaks HLC ties by author so every node picks one winner", () => {
  const hlc = formatHlc({ wall: 1, counter: 0 });
  assert.equal(compareVersions({ hlc, author: "a" }, { hlc, author: "b" }), -1);
  assert.equal(
    compareVersions({ hlc: formatHlc({ wall: 2, counter: 0 }), author: "a" }, { hlc, author: "b" }),
    1,
  );
});

Deno.test("parseHlc() refuses malformed stamps", () => {
  assert.throws(() => parseHlc("12.3"), SyntaxError);
  assert.throws(() => parseHlc("' OR 1=1 --"), SyntaxError);
});
