/**
 * Tests that load libwebrtc's native addon into their own process (the `@roamhq/wrtc` engine
 * beside werift, on 127.0.0.1), each file run by a `deno test` of its own.
 *
 * Why not in this process: `deno task test` runs test files in parallel as isolates of one
 * process, and an addon loaded by two of them, or unloaded with one while libwebrtc's threads
 * still run, can crash the whole process (a segfault in CI that took every result with it). A
 * node loads the addon once for its life, which is what these child processes do too; a crash
 * there fails its test here, with its output, and nothing else.
 */

import assert from "node:assert/strict";

const CASES = ["peer_cases.ts", "mixed_engines_cases.ts"];

for (const file of CASES) {
  Deno.test(`libwebrtc in one process: ${file}`, async () => {
    const path = new URL(`./${file}`, import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["test", "--allow-all", path],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text);
    const summary = /ok \| (\d+) passed \| 0 failed/.exec(text);
    assert.ok(summary && Number(summary[1]) > 0, text);
  });
}
