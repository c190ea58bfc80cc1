/**
 * Pairing and removal with real node processes (PROTOCOL §4): a fresh node
 * shows a join code, an admin approves it on a family node, the node receives
 * the family; a removed node is refused by every node.
 */

import assert from "node:assert/strict";
import { call, createFamily, headsAt, pairNode, removeNode, signAs } from "../../demo.ts";
import { contentDigest, signRequest } from "../../lib/net/signing.ts";
import { loadOrCreateNodeKey } from "../../lib/store/mod.ts";
import type { FamilyResponse } from "../../lib/web/browser/api_types.ts";
import { openFamilyNames } from "../../lib/web/browser/family_keys.ts";
import { rigTest } from "../_support/rig.ts";
import {
  createAlbum,
  FAST_ENV,
  getJson,
  recordsOf,
  startCluster,
  uploadPhoto,
  waitFor,
} from "./replication_cluster.ts";

interface NodesAnswer {
  self: { nodeId: string; paired: boolean };
  peers: { nodeId: string; name: string; reachable: boolean; path: string }[];
}

Deno.test("Three nodes paired by join codes share the family and see each other", async () => {
  await using c = await startCluster(["Oak", "Pine", "Cedar"]);
  const [oak, pine, cedar] = c.nodes;
  // Every node holds the same signed records (family, Alice, three node records …).
  const expected = recordsOf(oak.dataDir);
  assert.ok([...expected.keys()].filter((k) => k.startsWith("node/")).length === 3);
  for (const n of [pine, cedar]) {
    await waitFor(
      "the family on every node",
      () => Promise.resolve(recordsOf(n.dataDir).size >= expected.size),
    );
  }
  for (const n of c.nodes) {
    const nodes = await waitFor("both peers reachable", async () => {
      const a = await getJson<NodesAnswer>(c.admin, n.url, "/v1/nodes");
      return a.peers.length === 2 && a.peers.every((p) => p.reachable) ? a : undefined;
    });
    assert.equal(nodes.self.paired, true);
    assert.deepEqual(nodes.peers.map((p) => p.path), ["http", "http"]);
  }
  // Alice signs in on Pine with the same key: the family arrived there, and her browser opens
  // its sealed name with her key.
  const answer = await getJson<FamilyResponse>(c.admin, pine.url, "/v1/family");
  assert.equal((await openFamilyNames(answer, c.admin.x25519SecretKey)).family, "River");
});

rigTest(
  "A join code needs the new node's setup code, and a stale code is refused at pairing",
  async (rig) => {
    const c = await startCluster(["Oak"], {}, [], { rig });
    const fresh = await rig.node({ env: FAST_ENV });
    const wrong = await call(`${fresh.url}/v1/nodes/join-code`, "POST", { code: "AAAA-BBBB-CCCC" });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    // A join code with a code the node no longer accepts: the approval is stored on Oak,
    // but the fresh node refuses the family, and says why.
    const ok = await (await call(`${fresh.url}/v1/nodes/join-code`, "POST", {
      code: fresh.setupCode,
    })).json();
    const forged = btoa(JSON.stringify({
      ...JSON.parse(atob(ok.joinCode.replace(/-/g, "+").replace(/_/g, "/"))),
      code: "ZZZZZZZZZZZZ",
    })).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const record = signAs(c.admin, "node", ok.nodeId, {
      publicKey: ok.publicKey,
      url: ok.url,
      name: "Pine",
      removed: false,
    }, await headsAt(c.admin, c.nodes[0].url));
    const res = await call(
      `${c.nodes[0].url}/v1/nodes/peers`,
      "POST",
      { joinCode: forged, record },
      c.admin.cookies.get(c.nodes[0].url),
    );
    assert.equal(res.status, 502);
    assert.match((await res.json()).error.message, /setup code/);
    const status = await (await call(`${fresh.url}/v1/nodes/join-status`, "GET")).json();
    assert.equal(status.joined, false);
    // With the right code, pairing again hands the family over.
    await pairNode(
      c.admin,
      c.nodes[0].url,
      { url: fresh.url, setupCode: fresh.setupCode! },
      "Pine",
    );
    const joined = await (await call(`${fresh.url}/v1/nodes/join-status`, "GET")).json();
    assert.equal(joined.joined, true);
  },
);

rigTest(
  "Pairing refuses a node record altered in transit; the new node stays fresh",
  async (rig) => {
    const [oak, fresh] = await Promise.all([
      rig.node({ env: FAST_ENV }),
      rig.node({ env: FAST_ENV }),
    ]);
    const alice = await createFamily(
      { url: oak.url, setupCode: oak.setupCode! },
      { family: "River", founder: "Alice", node: "Oak" },
    );
    const ok = await (await call(`${fresh.url}/v1/nodes/join-code`, "POST", {
      code: fresh.setupCode,
    })).json();
    const record = signAs(alice, "node", ok.nodeId, {
      publicKey: ok.publicKey,
      url: ok.url,
      name: "Pine",
      removed: false,
    }, await headsAt(alice, oak.url));
    const res = await call(
      `${oak.url}/v1/nodes/peers`,
      "POST",
      {
        joinCode: ok.joinCode,
        record: { ...record, body: { ...(record.body as object), name: "Evil" } },
      },
      alice.cookies.get(oak.url),
    );
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, /signature/);
    const status = await (await call(`${fresh.url}/v1/nodes/join-status`, "GET")).json();
    assert.equal(status.joined, false);
  },
);

Deno.test("A removed node is refused by every node and receives nothing new", async () => {
  await using c = await startCluster(["Oak", "Pine", "Cedar"]);
  const [oak, pine, cedar] = c.nodes;
  await removeNode(c.admin, oak.url, cedar.nodeId);
  // Pine learns of the removal from Oak.
  await waitFor("Pine to drop Cedar", async () => {
    const a = await getJson<NodesAnswer>(c.admin, pine.url, "/v1/nodes");
    return a.peers.length === 1 && a.peers[0].nodeId === oak.nodeId;
  });
  // New photos on Oak reach Pine. Cedar may still be finishing its first catch-up, so what it
  // may hold is bounded by what Oak held at removal time (its removal record included).
  const allowed = recordsOf(oak.dataDir);
  const album = await createAlbum(c.admin, oak.url);
  const photo = await uploadPhoto(c.admin, oak.url, album);
  await waitFor(
    "Pine to get the photo",
    () => Promise.resolve(recordsOf(pine.dataDir).has(`photo/${photo.id}`)),
  );
  // Nothing can reach Cedar any more, by either way a record travels. Pushes go to the
  // family's nodes only, and neither Oak nor Pine counts Cedar among them:
  for (const n of [oak, pine]) {
    const a = await getJson<NodesAnswer>(c.admin, n.url, "/v1/nodes");
    assert.deepEqual(
      a.peers.map((p) => p.nodeId),
      [oak, pine].filter((x) => x !== n).map((x) => x.nodeId),
    );
  }
  // and Cedar's pulls are refused: its own key, signing a perfectly good request for the feed
  // that now holds the photo, gets 403 from Oak and from Pine.
  const { key } = await loadOrCreateNodeKey(`${cedar.dataDir}/node.key`);
  for (const n of [oak, pine]) {
    const headers = await signRequest(key, {
      method: "GET",
      target: "/internal/v1/records?after=0&limit=10",
      to: n.nodeId,
      digest: contentDigest(new Uint8Array(0)),
    });
    const res = await fetch(`${n.url}/internal/v1/records?after=0&limit=10`, { headers });
    assert.equal(res.status, 403, n.url);
    assert.match((await res.json()).error.message, /removed/);
  }
  // Cedar's own sync loop has met that refusal too (it keeps asking, and is told why).
  await waitFor("Cedar to be refused by Oak and Pine", async () => {
    const s = await getJson<{ peers: { nodeId: string; lastError?: string }[] }>(
      c.admin,
      cedar.url,
      "/v1/replication/status",
    );
    return [oak, pine].every((n) =>
      /removed/.test(s.peers.find((p) => p.nodeId === n.nodeId)?.lastError ?? "")
    );
  });
  const onCedar = recordsOf(cedar.dataDir);
  assert.equal(onCedar.has(`photo/${photo.id}`), false);
  assert.equal(onCedar.has(`album/${album.id}`), false);
  for (const key of onCedar.keys()) {
    assert.ok(allowed.has(key), `Cedar holds ${key}, which Oak did not hold at removal`);
  }
});
