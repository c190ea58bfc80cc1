import assert from "node:assert/strict";
import { DIRECT_BLOCK, DirectIo } from "./_direct_io.ts";
import {
  byteStreamOf,
  filesUnder,
  patterned,
  readAll,
  sha256,
  streamOf,
  withStore,
} from "./_testing.ts";

const MiB = 1 << 20;

/** Filesystems that take O_DIRECT on Linux (tmpfs since 6.6): a store on one must use it. */
async function takesDirectIo(dir: string): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  const out = await new Deno.Command("stat", { args: ["-f", "-c", "%T", dir] }).output();
  const type = new TextDecoder().decode(out.stdout).trim();
  return ["ext2/ext3", "xfs", "btrfs"].includes(type);
}

Deno.test("BlobStore writes with O_DIRECT and keeps exact bytes and sizes at every block edge", async () => {
  const sizes = [0, 1, 511, 4095, 4096, 4097, MiB - 1, MiB, MiB + 1, 3 * MiB + 17];
  await withStore(async (direct, root) => {
    if (await takesDirectIo(root)) assert.equal(direct.directIo, true, "direct I/O in use here");
    await withStore(async (buffered) => {
      assert.equal(buffered.directIo, false);
      for (const [i, size] of sizes.entries()) {
        const bytes = patterned(size, i);
        const id = sha256(bytes);
        // Both ways into each store: a byte stream (BYOB reads) and a plain one (copies).
        const plain = i % 2 === 0;
        for (const store of [direct, buffered]) {
          const stream = plain ? streamOf(bytes, 65_537) : byteStreamOf(bytes).stream;
          assert.deepEqual(await store.put(id, stream), { id, size, created: true });
          assert.equal((await store.stat(id))?.size, size, `${size} bytes on disk, no padding`);
          assert.deepEqual(await readAll((await store.get(id)).stream), bytes);
        }
      }
    }, { directIo: false });
    assert.deepEqual(await filesUnder(`${root}/tmp`), [], "no temp file or probe left");
  });
});

/** Whether temp dirs here are on such a filesystem (else the direct-only test is ignored). */
const DIRECT_HERE = await (async () => {
  const dir = await Deno.makeTempDir();
  try {
    return await takesDirectIo(dir);
  } finally {
    await Deno.remove(dir);
  }
})();

Deno.test({
  name: "A direct write that fails rejects the put, keeps nothing, and the next put works",
  ignore: !DIRECT_HERE,
}, async () => {
  await withStore(async (store, root) => {
    assert.equal(store.directIo, true);
    const bytes = patterned(3 * MiB, 7);
    const id = sha256(bytes);
    let sent = 0;
    // The first 100 KiB stay in the buffer; then the temp file vanishes under the store, so
    // the direct I/O thread's open of it fails at the first full buffer.
    const stream = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (sent === 100_000) {
          for await (const e of Deno.readDir(`${root}/tmp`)) {
            await Deno.remove(`${root}/tmp/${e.name}`);
          }
        }
        if (sent >= bytes.byteLength) return c.close();
        const n = sent === 0 ? 100_000 : MiB;
        c.enqueue(bytes.slice(sent, sent + n));
        sent += n;
      },
    }, { highWaterMark: 0 });
    await assert.rejects(store.put(id, stream), /^Error: Cannot write the blob to disk: ENOENT/);
    assert.equal(await store.has(id), false);
    assert.deepEqual(await filesUnder(root), []);
    assert.deepEqual(await store.put(id, byteStreamOf(bytes).stream), {
      id,
      size: bytes.byteLength,
      created: true,
    });
    assert.deepEqual(await readAll((await store.get(id)).stream), bytes);
  });
});

Deno.test("DirectIo: a failed write hands the buffer back; bad alignment and missing dirs are refused", async () => {
  const io = DirectIo.shared();
  const dir = await Deno.makeTempDir({ prefix: "p2pos-direct-" });
  try {
    assert.equal(await io.probe(`${dir}/missing`), false, "no such directory: no direct I/O");
    const buffer = new ArrayBuffer(MiB);
    new Uint8Array(buffer).fill(9);
    const r = await io.write(`${dir}/missing-file`, buffer, MiB, 0);
    assert.match(String(r.error), /missing-file/);
    assert.equal(buffer.byteLength, 0, "lent to the thread");
    assert.equal(r.buffer?.byteLength, MiB, "and given back");
    assert.equal(new Uint8Array(r.buffer!)[MiB - 1], 9);
    await assert.rejects(
      io.write(`${dir}/f`, new ArrayBuffer(16), 16, DIRECT_BLOCK / 2),
      RangeError,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("DirectIo stops its thread when idle with no file open in it, and starts it again to write", async () => {
  const io = new DirectIo({ idleMs: 50 });
  const dir = await Deno.makeTempDir({ prefix: "p2pos-direct-idle-" });
  const stopped = async () => {
    for (let i = 0; i < 200 && io.running; i++) await new Promise((r) => setTimeout(r, 10));
    return !io.running;
  };
  try {
    const direct = await io.probe(dir); // starts the thread
    assert.ok(await stopped(), "stopped after the probe");
    if (!direct) return; // this filesystem takes no O_DIRECT: nothing more to write here
    const path = `${dir}/blob`;
    await Deno.writeFile(path, new Uint8Array(0));
    const first = new ArrayBuffer(MiB);
    new Uint8Array(first).fill(1);
    const r1 = await io.write(path, first, MiB, 0);
    assert.equal(r1.error, undefined);
    assert.ok(io.running);
    // The file is open in the thread: it must not be stopped under it.
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(io.running, "kept while a file is open in it");
    const r2 = await io.write(path, r1.buffer!, 100, MiB);
    assert.equal(r2.error, undefined);
    await io.close(path);
    assert.ok(await stopped(), "stopped once the file is closed and nothing is waiting");
    // A new thread takes the next write.
    const again = new ArrayBuffer(MiB);
    new Uint8Array(again).fill(3);
    const r3 = await io.write(path, again, DIRECT_BLOCK, 0);
    assert.equal(r3.error, undefined);
    await io.close(path);
    const bytes = await Deno.readFile(path);
    assert.equal(bytes[0], 3);
    assert.equal(bytes[DIRECT_BLOCK], 1);
    assert.equal(bytes[MiB], 1, "the second write's bytes (from the first buffer, returned)");
    assert.ok(await stopped());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
