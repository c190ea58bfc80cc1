/**
 * Kill -9 during and right after `BlobStore.put()` in a real child process (DESIGN §11):
 * an interrupted upload leaves no blob under a final name and its temp file is removed at
 * the next open; an acknowledged blob is present and hash-correct after the kill.
 *
 * SIGKILL tests crash consistency of the process, not power loss: the page cache survives.
 * Power-loss ordering rests on fsync(file) → rename → fsync(dir) in `blob_store.ts`.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { FsBlobStore, hashFile } from "../../lib/store/mod.ts";

const FIXTURE = new URL("./fixtures/slow_put.ts", import.meta.url).pathname;

async function filesUnder(dir: string): Promise<Array<{ path: string; size: number }>> {
  const out: Array<{ path: string; size: number }> = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await filesUnder(path));
    else out.push({ path, size: (await Deno.stat(path)).size });
  }
  return out;
}

/** Starts the fixture and returns it with a reader of its stdout lines. */
function spawnPut(root: string, mode: "mid" | "ack") {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", FIXTURE, root, mode],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const nextLine = async (): Promise<string> => {
    while (!buffered.includes("\n")) {
      const { done, value } = await lines.read();
      if (done) {
        throw new Error(`Child exited before printing a line (got ${JSON.stringify(buffered)})`);
      }
      buffered += value;
    }
    const at = buffered.indexOf("\n");
    const line = buffered.slice(0, at);
    buffered = buffered.slice(at + 1);
    return line;
  };
  const kill = async () => {
    child.kill("SIGKILL");
    const status = await child.status;
    await lines.cancel();
    assert.equal(status.signal, "SIGKILL", "the child was killed, not exited");
  };
  return { nextLine, kill };
}

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-crash-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("A put killed with SIGKILL mid-stream leaves no blob and open() clears tmp/", async () => {
  await withTempDir(async (root) => {
    const child = spawnPut(root, "mid");
    try {
      assert.match(await child.nextLine(), /^mid-put \d+$/);
      // The store writes one buffer while it fills the next, so the 16th MiB may still be on
      // its way to the file when the child says so: wait until it is there (the child keeps
      // sending a MiB every 50 ms), then kill.
      let partial = await filesUnder(join(root, "tmp"));
      for (let i = 0; i < 200 && !(partial[0]?.size >= 16 << 20); i++) {
        await new Promise((r) => setTimeout(r, 50));
        partial = await filesUnder(join(root, "tmp"));
      }
      assert.equal(partial.length, 1, "one upload in progress");
      assert.ok(partial[0].size >= 16 << 20, `tmp file has ${partial[0].size} bytes`);
    } finally {
      await child.kill();
    }
    assert.deepEqual(await filesUnder(join(root, "blobs")), [], "no blob under a final name");
    assert.equal((await filesUnder(join(root, "tmp"))).length, 1, "the partial file survived");

    const store = await FsBlobStore.open(root);
    assert.deepEqual(await filesUnder(join(root, "tmp")), []);
    assert.deepEqual(await store.list(), { ids: [] });
  });
});

Deno.test("A blob acknowledged just before SIGKILL is stored whole after reopening", async () => {
  await withTempDir(async (root) => {
    const child = spawnPut(root, "ack");
    let line: string;
    try {
      line = await child.nextLine();
    } finally {
      await child.kill();
    }
    const [word, id, size] = line.split(" ");
    assert.equal(word, "acked");

    const store = await FsBlobStore.open(root);
    assert.deepEqual(await store.list(), { ids: [id] });
    assert.equal((await store.stat(id))?.size, Number(size));
    const path = join(root, "blobs", id.slice(0, 2), id.slice(2, 4), id);
    assert.deepEqual(await hashFile(path), { hex: id, size: Number(size) });
    assert.deepEqual(await store.scrub(), { checked: 1, corrupt: [] });
    assert.deepEqual(await filesUnder(join(root, "tmp")), []);
  });
});
