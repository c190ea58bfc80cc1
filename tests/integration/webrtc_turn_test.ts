/**
 * Through TURN (issue #11): a real coturn started by the test, the relay handing
 * out REST credentials for it, and both nodes allowed relayed paths only
 * (`--ice-transport-policy relay`). They pair and converge, and the status names
 * the path.
 */

import assert from "node:assert/strict";
import type { ReplicationStatus } from "../../lib/replication/mod.ts";
import { startCoturn } from "../_support/coturn.ts";
import { startRelayProcess } from "../_support/relay_process.ts";
import { createAlbum, FAST_ENV, getJson, uploadPhoto } from "./replication_cluster.ts";
import { blobOn, pairBehindNat, sameRecords } from "./webrtc_cluster.ts";
import { rigTest } from "../_support/rig.ts";

rigTest(
  "Nodes pair and converge through coturn with REST credentials from the relay",
  async (rig) => {
    const turn = rig.track(await startCoturn());
    const relay = rig.track(
      await startRelayProcess({
        args: ["--turn-urls", turn.url, "--turn-ttl-secs", "600"],
        env: { P2POS_TURN_SECRET: turn.secret },
      }),
    );
    const env = {
      ...FAST_ENV,
      P2POS_SIGNAL_URL: relay.url,
      P2POS_ICE_TRANSPORT_POLICY: "relay",
    };
    const { oak, pine, admin } = await pairBehindNat(rig, env);
    assert.match(relay.output(), /TURN credentials: handed out for turn:127\.0\.0\.1/);
    const album = await createAlbum(admin, oak.url);
    const photo = await uploadPhoto(admin, oak.url, album, 1_500_000);
    for (const id of photo.blobs) {
      const [a, b] = await Promise.all([blobOn(oak, id, 90_000), blobOn(pine, id, 90_000)]);
      assert.deepEqual(a, b);
    }
    await sameRecords(oak, pine);
    const status = await getJson<ReplicationStatus>(admin, pine.url, "/v1/replication/status");
    assert.equal(status.peers[0].path, "webrtc/relay");
    assert.ok(!relay.output().includes(turn.secret), "the relay never prints the TURN secret");
  },
);
