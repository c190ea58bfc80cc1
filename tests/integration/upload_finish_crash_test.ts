/**
 * A resumable upload's finish survives a kill -9 at each of its steps (issue #13): the
 * node dies at a fault point (P2POS_FAULTS, lib/core/faults.ts), restarts on the same data
 * dir, and the client's finish, asked again, answers 2xx; the uploader reads her blob; no
 * unfinished session and no upload file is left behind.
 */

import assert from "node:assert/strict";
import { call } from "../../demo.ts";
import { rigTest } from "../_support/rig.ts";
import { FINISH_STEPS, unfinishedSessions, uploadedButNotFinished } from "../_support/uploads.ts";

for (const step of FINISH_STEPS) {
  rigTest(
    `kill -9 at ${step} during a resumable finish: the finish asked again answers 2xx and the uploader reads her blob`,
    async (rig) => {
      const up = await uploadedButNotFinished(rig, step, 2_500_000);
      let node = up.node;
      const { cookie, bytes, blob, upload } = up;
      // The node dies at the step: the client gets no answer.
      await assert.rejects(call(`${node.url}/v1/uploads/${upload}/finish`, "POST", {}, cookie));
      const status = await node.stop();
      assert.equal(status.signal, "SIGKILL", `the node died at ${step}`);

      node = await rig.node({ dataDir: node.dataDir, args: ["--port", String(node.port)] });
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
    },
  );
}

rigTest(
  "A finish that died after the move is completed at start: the uploader reads her blob without asking again",
  async (rig) => {
    const up = await uploadedButNotFinished(rig, "upload.finish.stored", 40_000);
    let node = up.node;
    const { cookie, bytes, blob, upload } = up;
    await assert.rejects(call(`${node.url}/v1/uploads/${upload}/finish`, "POST", {}, cookie));
    await node.stop();
    node = await rig.node({ dataDir: node.dataDir, args: ["--port", String(node.port)] });
    const read = await fetch(`${node.url}/v1/blobs/${blob}`, { headers: { cookie } });
    assert.equal(read.status, 200, "readable by its uploader straight after the restart");
    assert.deepEqual(new Uint8Array(await read.arrayBuffer()), bytes);
    assert.equal(unfinishedSessions(node.dataDir), 0);
    const status = await (await call(`${node.url}/v1/uploads/${upload}`, "GET", undefined, cookie))
      .json();
    assert.equal(status.finished, true);
    assert.equal(status.offset, bytes.length);
  },
);
