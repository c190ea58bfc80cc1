/**
 * Nodes behind NAT (issue #11) with real processes on 127.0.0.1: two nodes whose
 * URLs cannot reach each other pair through a relay process and converge on an
 * album, both ways, over a data channel; the status says so.
 */

import assert from "node:assert/strict";
import { createFamily, pairNode } from "../../demo.ts";
import { startNode } from "../_support/node_process.ts";
import { startRelayProcess } from "../_support/relay_process.ts";
import {
  blobFiles,
  createAlbum,
  FAST_ENV,
  getJson,
  recordsOf,
  uploadPhoto,
  waitFor,
} from "./replication_cluster.ts";
import type { ReplicationStatus } from "../../lib/replication/mod.ts";

/** A URL nothing listens on: what another house's private address is to this one. */
const DEAD_URL = "http://127.0.0.1:9";

Deno.test("Two nodes that cannot reach each other's URL pair through the relay and converge over WebRTC", async () => {
  const relay = await startRelayProcess();
  const env = { ...FAST_ENV, P2POS_SIGNAL_URL: relay.url, P2POS_ICE_LOOPBACK: "on" };
  const oak = await startNode({ env });
  const pine = await startNode({ env });
  try {
    // Oak's record names an address Pine cannot reach; Pine has none (its join code says so).
    const admin = await createFamily(
      { url: oak.url, setupCode: oak.setupCode! },
      { family: "River", founder: "Alice", node: "Oak" },
      undefined,
      DEAD_URL,
    );
    await pairNode(admin, oak.url, { url: pine.url, setupCode: pine.setupCode! }, "Pine");
    const pineRecord = recordsOf(oak.dataDir);
    assert.ok(pineRecord.has(`node/${pine.nodeId}`));

    const album = await createAlbum(admin, oak.url);
    const photos = [];
    for (let i = 0; i < 4; i++) photos.push(await uploadPhoto(admin, oak.url, album, 200_000 + i));
    photos.push(await uploadPhoto(admin, pine.url, album, 150_000)); // and the other way
    const ids = photos.flatMap((p) => p.blobs);
    await waitFor(
      "every blob on both nodes",
      async () => {
        const [a, b] = await Promise.all([blobFiles(oak.dataDir), blobFiles(pine.dataDir)]);
        return ids.every((id) => a.has(id) && b.has(id));
      },
      90_000,
      250,
    );
    await waitFor(
      "the same records on both",
      () => {
        const a = recordsOf(oak.dataDir);
        const b = recordsOf(pine.dataDir);
        return Promise.resolve(a.size === b.size && [...a].every(([k, v]) => b.get(k) === v));
      },
      60_000,
      250,
    );
    for (const id of ids) {
      const [a, b] = await Promise.all([
        Deno.readFile(`${oak.dataDir}/blobs/${id.slice(0, 2)}/${id.slice(2, 4)}/${id}`),
        Deno.readFile(`${pine.dataDir}/blobs/${id.slice(0, 2)}/${id.slice(2, 4)}/${id}`),
      ]);
      assert.deepEqual(a, b, `blob ${id} is byte-identical`);
    }
    const status = await getJson<ReplicationStatus>(admin, oak.url, "/v1/replication/status");
    const peer = status.peers.find((p) => p.nodeId === pine.nodeId)!;
    assert.equal(peer.reachable, true);
    assert.equal(peer.path, "webrtc/host");
    assert.equal(peer.url, undefined);
    assert.match(oak.output(), /Data channel open/);
  } finally {
    await Promise.allSettled([oak.stop("SIGKILL"), pine.stop("SIGKILL"), relay.stop("SIGKILL")]);
    await Promise.allSettled([oak, pine].map((n) => Deno.remove(n.dataDir, { recursive: true })));
  }
});
