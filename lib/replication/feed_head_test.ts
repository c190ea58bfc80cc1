import assert from "node:assert/strict";
import { FeedHeadFile } from "./feed_head.ts";

/** A feed whose position and id the test moves by hand (a real one lives in index.db). */
function feed(lastSeq: number) {
  let indexId = "aaaa";
  let rotations = 0;
  return {
    records: { lastSeq: () => lastSeq },
    peers: {
      indexId: () => indexId,
      rotateIndexId: () => {
        rotations++;
        indexId = `new${rotations}`;
        return indexId;
      },
    },
    set: (n: number) => void (lastSeq = n),
    rotations: () => rotations,
  };
}

Deno.test("The feed head file finds a database behind it, and only that", async () => {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-feedhead-" });
  try {
    const path = `${dir}/feed-head.json`;
    const f = feed(10);
    // No file yet (first start, or an older version): nothing to compare.
    assert.equal(await new FeedHeadFile(path, f.records, f.peers).check(), false);
    await new FeedHeadFile(path, f.records, f.peers).write();
    assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), { indexId: "aaaa", lastSeq: 10 });

    // Ahead of the file (written before a crash, then more records): not a restore.
    f.set(14);
    assert.equal(await new FeedHeadFile(path, f.records, f.peers).check(), false);
    assert.equal(f.rotations(), 0);

    // Behind the file with the same feed id: restored. A new id, written back at once.
    await new FeedHeadFile(path, f.records, f.peers).write();
    f.set(9);
    assert.equal(await new FeedHeadFile(path, f.records, f.peers).check(), true);
    assert.equal(f.rotations(), 1);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), { indexId: "new1", lastSeq: 9 });
    // The next start sees a matching file.
    assert.equal(await new FeedHeadFile(path, f.records, f.peers).check(), false);

    // A torn or foreign file is ignored, not trusted.
    await Deno.writeTextFile(path, '{"indexId":"new1","last');
    assert.equal(await new FeedHeadFile(path, f.records, f.peers).check(), false);
    await Deno.writeTextFile(path, '{"indexId":"new1","lastSeq":"99"}');
    assert.equal(await new FeedHeadFile(path, f.records, f.peers).check(), false);
    assert.equal(f.rotations(), 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
