/**
 * `deno task demo` (DESIGN §10): the River family — Oak, Pine and Cedar —
 * starts, is set up and paired, prints its URLs and next steps, and stops
 * cleanly. A second run reuses the same family.
 */

import assert from "node:assert/strict";
import { recordsOf } from "./replication_cluster.ts";

const DEMO = new URL("../../demo.ts", import.meta.url).pathname;

async function runDemo(dir: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", DEMO, "--exit-after-setup"],
    env: { P2POS_DEMO_DIR: dir, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(180_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(out.success, text);
  return text;
}

Deno.test("The demo starts Oak, Pine and Cedar, paired, and says what to do next", async () => {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-demo-" });
  try {
    const first = await runDemo(dir);
    for (const name of ["Oak", "Pine", "Cedar"]) {
      assert.match(first, new RegExp(`${name}\\s+http://127\\.0\\.0\\.1:\\d+/`));
    }
    const words = /\n {2}((?:[a-z]+ ){23}[a-z]+)\n/.exec(first)?.[1];
    assert.ok(words, "Alice's 24 words are printed");
    assert.match(first, /Try this:/);
    // All three nodes hold the family and the three admin-signed node records.
    const oak = recordsOf(`${dir}/oak`);
    assert.equal([...oak.keys()].filter((k) => k.startsWith("node/")).length, 3);
    for (const name of ["pine", "cedar"]) {
      const r = recordsOf(`${dir}/${name}`);
      assert.equal([...r.keys()].filter((k) => k.startsWith("family/")).length, 1, name);
      assert.ok([...r.keys()].filter((k) => k.startsWith("node/")).length >= 2, name);
    }
    // Again: the same family, the same words, the same addresses.
    const second = await runDemo(dir);
    assert.ok(second.includes(words!), "the same founder");
    const urls = (t: string) => t.match(/http:\/\/127\.0\.0\.1:\d+\//g)?.slice(0, 3);
    assert.deepEqual(urls(second), urls(first));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
