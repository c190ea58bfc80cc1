/**
 * A node is run with the same Deno flags everywhere: `deno task start`, `dev` and `compile`,
 * compose.yaml's family nodes, and the demo and tests (demo/processes.ts NODE_RUN_FLAGS, which
 * says why each is there). The relay, which loads no native code, is not given --allow-ffi.
 */

import assert from "node:assert/strict";
import { parse } from "yaml";
import { NODE_RUN_FLAGS } from "../demo/processes.ts";

const deno = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url))) as {
  tasks: Record<string, string>;
};
const compose = parse(await Deno.readTextFile(new URL("../compose.yaml", import.meta.url)), {
  merge: true,
}) as { services: Record<string, { entrypoint: string[] }> };

const flags = NODE_RUN_FLAGS.join(" ");

Deno.test("deno.json's start, dev and compile tasks run a node with NODE_RUN_FLAGS", () => {
  assert.ok(deno.tasks.start.startsWith(`deno run ${flags} main.ts node`), deno.tasks.start);
  assert.ok(deno.tasks.dev.startsWith(`deno run ${flags} main.ts node`), deno.tasks.dev);
  assert.ok(deno.tasks.compile.includes(`deno compile ${flags} `), deno.tasks.compile);
});

Deno.test("compose.yaml's family nodes run with NODE_RUN_FLAGS; its relays without --allow-ffi", () => {
  for (const name of ["node", "cedar"]) {
    assert.deepEqual(
      compose.services[name].entrypoint,
      ["deno", "run", ...NODE_RUN_FLAGS, "main.ts"],
      name,
    );
  }
  for (const name of ["signal", "signal-2"]) {
    assert.ok(!compose.services[name].entrypoint.includes("--allow-ffi"), name);
  }
});

Deno.test("deno.json's signal task runs the relay as compose.yaml does", () => {
  const flags = compose.services.signal.entrypoint.slice(2, -1).join(" ");
  assert.equal(deno.tasks.signal, `deno run ${flags} main.ts signal`);
});
