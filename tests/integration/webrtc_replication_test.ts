/**
 * Nodes behind NAT (issue #11) with real processes on 127.0.0.1: two nodes whose
 * URLs cannot reach each other pair through a relay process and converge on an
 * album, both ways, over a data channel; the status says so.
 */

import assert from "node:assert/strict";
import type { ReplicationStatus } from "../../lib/replication/mod.ts";
import { startRelayProcess } from "../_support/relay_process.ts";
import {
  createAlbum,
  FAST_ENV,
  getJson,
  recordsOf,
  uploadPhoto,
  waitFor,
} from "./replication_cluster.ts";
import { blobOn, pairBehindNat, sameRecords } from "./webrtc_cluster.ts";
import { type Rig, rigTest } from "../_support/rig.ts";

/**
 * Oak and Pine, each on the given data-channel engine, pair through a relay with no URL between
 * them, converge on an album both ways over the data channel, and say so in the status.
 */
async function convergeOverWebrtc(rig: Rig, engines: { oak: string; pine: string }) {
  const relay = rig.track(await startRelayProcess());
  const env = { ...FAST_ENV, P2POS_SIGNAL_URL: relay.url, P2POS_ICE_LOOPBACK: "on" };
  const { oak, pine, admin } = await pairBehindNat(rig, env, {
    oak: { P2POS_WEBRTC_ENGINE: engines.oak },
    pine: { P2POS_WEBRTC_ENGINE: engines.pine },
  });
  assert.ok(recordsOf(oak.dataDir).has(`node/${pine.nodeId}`));
  const album = await createAlbum(admin, oak.url);
  const photos = [];
  for (let i = 0; i < 4; i++) photos.push(await uploadPhoto(admin, oak.url, album, 200_000 + i));
  photos.push(await uploadPhoto(admin, pine.url, album, 150_000)); // and the other way
  for (const id of photos.flatMap((p) => p.blobs)) {
    const [a, b] = await Promise.all([blobOn(oak, id, 90_000), blobOn(pine, id, 90_000)]);
    assert.deepEqual(a, b, `blob ${id} is byte-identical`);
  }
  await sameRecords(oak, pine);
  // The status says so (on a loaded machine a link may be re-opening at this moment: the
  // status must show it back up over the channel, not over HTTP).
  const peer = await waitFor(
    "Oak's status to show Pine reachable over WebRTC",
    async () => {
      const status = await getJson<ReplicationStatus>(admin, oak.url, "/v1/replication/status");
      const p = status.peers.find((p) => p.nodeId === pine.nodeId)!;
      return p.reachable && p;
    },
    30_000,
    200,
  );
  assert.equal(peer.path, "webrtc/host");
  assert.equal(peer.url, undefined);
  assert.match(oak.output(), /Data channel open/);
}

const CASES: [name: string, oak: string, pine: string][] = [
  [
    "Two nodes that cannot reach each other's URL pair through the relay and converge over WebRTC",
    "werift",
    "werift",
  ],
  [
    "On libwebrtc (--webrtc-engine libwebrtc) the two nodes converge over WebRTC the same way",
    "libwebrtc",
    "libwebrtc",
  ],
  // A family mixes engines where the addon cannot load (werift is the fallback): each way round,
  // since the node that pairs the other offers (PROTOCOL §8.3: the engines differ in who starts
  // the SCTP association).
  [
    "A libwebrtc node pairs a werift node through the relay and they converge over WebRTC",
    "libwebrtc",
    "werift",
  ],
  [
    "A werift node pairs a libwebrtc node through the relay and they converge over WebRTC",
    "werift",
    "libwebrtc",
  ],
];

for (const [name, oak, pine] of CASES) {
  rigTest(name, (rig) => convergeOverWebrtc(rig, { oak, pine }));
}
