/**
 * The relay on several machines (issue #12): two `p2pos signal` processes
 * share registrations over a real NATS server, all on 127.0.0.1. Oak
 * registers with instance 1, Pine with instance 2; they pair and converge
 * over WebRTC. Instance 1 is killed: Oak moves to instance 2 (each node has
 * both URLs) and replication resumes over a new data channel.
 */

import assert from "node:assert/strict";
import type { ReplicationStatus } from "../../lib/replication/mod.ts";
import { startNats } from "../_support/nats.ts";
import { freePort } from "../_support/node_process.ts";
import { startRelayProcess } from "../_support/relay_process.ts";
import { createAlbum, FAST_ENV, getJson, uploadPhoto, waitFor } from "./replication_cluster.ts";
import { blobOn, pairBehindNat, sameRecords } from "./webrtc_cluster.ts";
import { rigTest } from "../_support/rig.ts";

rigTest(
  "Nodes on two relay instances sharing NATS converge, and move to the survivor when one is killed",
  async (rig) => {
    const nats = rig.track(await startNats({ user: "relay", pass: crypto.randomUUID() }));
    const bus = ["--signal-bus", nats.url];
    const r1 = rig.track(await startRelayProcess({ args: bus }));
    const r2 = rig.track(await startRelayProcess({ args: bus }));
    const env = { ...FAST_ENV, P2POS_ICE_LOOPBACK: "on" };
    // Oak lists instance 1 first, Pine instance 2: they start on different instances.
    const { oak, pine, admin } = await pairBehindNat(rig, env, {
      oak: { P2POS_SIGNAL_URL: `${r1.url},${r2.url}` },
      pine: { P2POS_SIGNAL_URL: `${r2.url},${r1.url}` },
    });
    assert.match(oak.output(), new RegExp(`Registered with the signaling relay.*${r1.port}`));
    assert.match(pine.output(), new RegExp(`Registered with the signaling relay.*${r2.port}`));
    const album = await createAlbum(admin, oak.url);
    const first = await uploadPhoto(admin, oak.url, album, 120_000);
    for (const id of first.blobs) {
      const [a, b] = await Promise.all([blobOn(oak, id, 90_000), blobOn(pine, id, 90_000)]);
      assert.deepEqual(a, b, `blob ${id} is byte-identical`);
    }
    const health = await (await fetch(r1.url.replace("ws:", "http:").replace("/signal", "/health")))
      .json();
    assert.equal(health.bus, "nats");
    assert.ok(health.forwardedViaBus >= 1, "the offers crossed the bus");

    await r1.stop("SIGKILL");
    // Oak finds instance 2 on its list; the link comes back through it.
    await waitFor(
      "Oak to register with instance 2",
      () =>
        Promise.resolve(
          new RegExp(`Registered with the signaling relay.*${r2.port}`).test(oak.output()),
        ),
      60_000,
      100,
    );
    const second = await uploadPhoto(admin, oak.url, album, 130_000);
    for (const id of second.blobs) {
      const [a, b] = await Promise.all([blobOn(oak, id, 120_000), blobOn(pine, id, 120_000)]);
      assert.deepEqual(a, b, `blob ${id} is byte-identical after the move`);
    }
    await sameRecords(oak, pine);
    const peer = await waitFor(
      "Oak's status to show Pine over WebRTC again",
      async () => {
        const status = await getJson<ReplicationStatus>(admin, oak.url, "/v1/replication/status");
        const p = status.peers.find((p) => p.nodeId === pine.nodeId)!;
        return p.reachable && p.path.startsWith("webrtc") && p;
      },
      60_000,
      200,
    );
    assert.equal(peer.path, "webrtc/host");
  },
);

Deno.test("A relay whose bus does not answer exits 1, naming the host and not the password", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../main.ts", import.meta.url).pathname,
      "signal",
      "--port",
      "0",
      "--signal-bus",
      `nats://relay:s3cret-pw@127.0.0.1:${freePort()}`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  assert.equal(code, 1);
  assert.match(text, /Cannot reach the NATS bus at 127\.0\.0\.1:\d+/);
  assert.doesNotMatch(text, /s3cret-pw/);
});
