/**
 * `--webrtc-engine auto` where libwebrtc's addon does not load (here: Deno not given
 * --allow-ffi, as on a machine the addon has no binary for): connections are made on werift,
 * and the failure is reported once.
 */

import assert from "node:assert/strict";
import { NODE_RUN_FLAGS } from "../../demo/processes.ts";

const FIXTURE = new URL("./fixtures/engine_fallback.ts", import.meta.url).pathname;

Deno.test("When libwebrtc cannot load, auto's peers connect on werift and the failure is told once", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...NODE_RUN_FLAGS.filter((f) => f !== "--allow-ffi"), FIXTURE],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const result = JSON.parse(stdout.trim().split("\n").at(-1)!);
  assert.deepEqual(result.engines, ["werift", "werift"]);
  assert.deepEqual(result.frame, [7, 0, 0, 0, 0]);
  assert.equal(result.heard.length, 1, "the fallback is reported once for both peers");
});
