/**
 * `deno task demo` (DESIGN §10): the River family — Oak, Pine and Cedar —
 * starts, is set up and paired, prints its URLs and next steps, and stops
 * cleanly. A second run reuses the same family.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { needles, occurrences } from "../_support/name_search.ts";
import { recordsOf } from "./replication_cluster.ts";

/** Node name → record body, as stored in a node's database. */
function nodeBodies(dataDir: string): Map<string, { url?: string }> {
  const db = new DatabaseSync(`${dataDir}/index.db`, { readOnly: true });
  try {
    const rows = db.prepare("SELECT json FROM records WHERE kind = 'node'").all() as {
      json: string;
    }[];
    return new Map(rows.map((r) => {
      const body = JSON.parse(r.json).body;
      return [body.name as string, body];
    }));
  } finally {
    db.close();
  }
}

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

/** Runs the demo with commands written to its standard input; resolves to what it printed. */
async function driveDemo(dir: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", DEMO],
    env: { P2POS_DEMO_DIR: dir, NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(180_000),
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pumps = [child.stdout, child.stderr].map(async (s) => {
    for await (const chunk of s) text += decoder.decode(chunk, { stream: true });
  });
  const writer = child.stdin.getWriter();
  const send = (line: string) => writer.write(new TextEncoder().encode(line + "\n"));
  const waitFor = async (pattern: RegExp) => {
    while (!pattern.test(text)) {
      const status = await Promise.race([child.status, new Promise((r) => setTimeout(r, 50))]);
      if (status) throw new Error(`The demo exited while waiting for ${pattern}:\n${text}`);
    }
  };
  try {
    await waitFor(/Commands: "stop <node>"/);
    await send("stop pine");
    await waitFor(/Pine stopped\./);
    await send("stop pine");
    await waitFor(/Pine is already stopped\./);
    await send("start pine");
    await waitFor(/Pine is back at/);
    await send("start oak");
    await waitFor(/Oak is already running/);
    await send("stop relay");
    await waitFor(/The relay is stopped \(Cedar runs without it\)/);
    await send("start relay");
    await waitFor(/The relay is back in Cedar/);
    await send("quit");
    await writer.close();
    const status = await child.status;
    await Promise.all(pumps);
    assert.ok(status.success, text);
    return text;
  } catch (err) {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    throw err;
  }
}

Deno.test("The demo starts Oak, Pine and Cedar, paired, says what to do next, and takes commands from a pipe", async () => {
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
    // Pine is the house behind NAT: no address in its record; Cedar hosts the relay.
    const nodes = nodeBodies(`${dir}/oak`);
    assert.equal(nodes.get("Pine")?.url, undefined, "Pine has no address");
    assert.match(nodes.get("Oak")?.url ?? "", /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(first, /Cedar\s+http:\/\/127\.0\.0\.1:\d+\/\s+\(.*hosts the signaling relay\)/);
    assert.match(first, /stop relay/);
    // Issue #10 §6: the family's and Alice's names are sealed; no node holds them readable, in
    // any file of its data directory (index.db, WAL, -shm, blobs). Node names stay readable.
    const dirs = ["oak", "pine", "cedar"].map((n) => `${dir}/${n}`);
    assert.deepEqual((await occurrences(dirs, needles(["River", "Alice"]))).found, []);
    const readable = (await occurrences(dirs, needles(["Cedar"]))).found;
    assert.ok(readable.some((f) => f.startsWith("Cedar (UTF-8)")), "the search reads the files");
    // Again, driven through a pipe as a script would: the same family, the same words, the
    // same addresses; Pine stops and starts on command, and "quit" stops everything.
    const second = await driveDemo(dir);
    assert.ok(second.includes(words!), "the same founder");
    const urls = (t: string) => t.match(/http:\/\/127\.0\.0\.1:\d+\//g)?.slice(0, 3);
    assert.deepEqual(urls(second), urls(first));
    const pineUrl = urls(first)![1];
    assert.match(second, /Pine stopped\. Its data stays in \.demo\/pine\/\./);
    assert.match(second, /Pine is already stopped\./);
    assert.ok(second.includes(`Pine is back at ${pineUrl} and catching up.`), second);
    assert.match(second, /Oak is already running/);
    assert.match(second, /The relay is back in Cedar: Pine reconnects over WebRTC/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
