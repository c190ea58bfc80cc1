/**
 * A resumable upload's finish survives a kill -9 at each of its steps (issue #13): the
 * node dies at a fault point (P2POS_FAULTS, lib/core/faults.ts), restarts on the same data
 * dir, and the client's finish, asked again, answers 2xx; the uploader reads her blob; no
 * unfinished session and no upload file is left behind.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { call, createFamily } from "../../demo.ts";
import { startNode } from "../_support/node_process.ts";

/** The steps of a finish, in order (FORMAT-independent: lib/store/upload_sessions.ts). */
const STEPS = [
  "blob.import.hashed", // bytes verified, not yet moved into blobs/
  "blob.import.moved", // renamed into blobs/, directory not yet synced
  "upload.finish.stored", // stored, session not yet marked finished
  "upload.finish.committed", // finished and uploader noted, answer not yet sent
];

function unfinishedSessions(dataDir: string): number {
  const db = new DatabaseSync(`${dataDir}/index.db`, { readOnly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM upload_sessions WHERE finished_at IS NULL")
      .get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/**
 * Starts a node armed at `fault`, creates the family, and sends `size` random bytes through
 * a resumable upload in 1 MiB chunks, short of finishing it.
 */
async function uploadedButNotFinished(fault: string, size: number) {
  const node = await startNode({ env: { P2POS_FAULTS: fault } });
  const admin = await createFamily(
    { url: node.url, setupCode: node.setupCode! },
    { family: "River", founder: "Alice", node: "Oak" },
  );
  const cookie = admin.cookies.get(node.url)!;
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(bytes.subarray(i, i + 65_536));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const blob = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  const opened = await call(`${node.url}/v1/uploads`, "POST", { blob, size }, cookie);
  assert.equal(opened.status, 201);
  const { upload } = await opened.json();
  for (let off = 0; off < size; off += 1 << 20) {
    const res = await fetch(`${node.url}/v1/uploads/${upload}`, {
      method: "PATCH",
      headers: { cookie, "upload-offset": String(off) },
      body: bytes.slice(off, off + (1 << 20)),
    });
    assert.equal(res.status, 200, await res.text());
  }
  return { node, cookie, bytes, blob, upload };
}

for (const step of STEPS) {
  Deno.test(`kill -9 at ${step} during a resumable finish: the finish asked again answers 2xx and the uploader reads her blob`, async () => {
    const up = await uploadedButNotFinished(step, 2_500_000);
    let node = up.node;
    const { cookie, bytes, blob, upload } = up;
    try {
      // The node dies at the step: the client gets no answer.
      await assert.rejects(call(`${node.url}/v1/uploads/${upload}/finish`, "POST", {}, cookie));
      const status = await node.stop();
      assert.equal(status.signal, "SIGKILL", `the node died at ${step}`);

      node = await startNode({ dataDir: node.dataDir, args: ["--port", String(node.port)] });
      const again = await call(`${node.url}/v1/uploads/${upload}/finish`, "POST", {}, cookie);
      assert.equal(again.status, 201, await again.clone().text());
      const { receipt, ...answer } = await again.json();
      assert.deepEqual(answer, { blob, size: bytes.length });
      assert.equal(receipt.node, node.nodeId, "her upload receipt, as the first finish");
      const read = await fetch(`${node.url}/v1/blobs/${blob}`, { headers: { cookie } });
      assert.equal(read.status, 200);
      assert.deepEqual(new Uint8Array(await read.arrayBuffer()), bytes);
      assert.equal(unfinishedSessions(node.dataDir), 0);
      const left: string[] = [];
      for await (const e of Deno.readDir(`${node.dataDir}/uploads`)) left.push(e.name);
      assert.deepEqual(left, [], "no upload file left");
      assert.doesNotMatch(node.output(), /Unhandled error/);
    } finally {
      await node.stop("SIGKILL");
      await Deno.remove(node.dataDir, { recursive: true });
    }
  });
}

Deno.test("A finish that died after the move is completed at start: the uploader reads her blob without asking again", async () => {
  const up = await uploadedButNotFinished("upload.finish.stored", 40_000);
  let node = up.node;
  const { cookie, bytes, blob, upload } = up;
  try {
    await assert.rejects(call(`${node.url}/v1/uploads/${upload}/finish`, "POST", {}, cookie));
    await node.stop();
    node = await startNode({ dataDir: node.dataDir, args: ["--port", String(node.port)] });
    const read = await fetch(`${node.url}/v1/blobs/${blob}`, { headers: { cookie } });
    assert.equal(read.status, 200, "readable by its uploader straight after the restart");
    assert.deepEqual(new Uint8Array(await read.arrayBuffer()), bytes);
    assert.equal(unfinishedSessions(node.dataDir), 0);
    const status = await (await call(`${node.url}/v1/uploads/${upload}`, "GET", undefined, cookie))
      .json();
    assert.equal(status.finished, true);
    assert.equal(status.offset, bytes.length);
  } finally {
    await node.stop("SIGKILL");
    await Deno.remove(node.dataDir, { recursive: true });
  }
});
