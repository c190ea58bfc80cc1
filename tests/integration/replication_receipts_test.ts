/**
 * Issue #10 §2 across real node processes: a photo may name only blobs its uploader sent to
 * a family node, and every node that admits the record checks the receipt, whichever node
 * relays it. A member's own upload through one node is admitted on the other.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { headsAt, signAs } from "../../demo.ts";
import { toBase64Url } from "../../lib/crypto/mod.ts";
import { HttpTransport } from "../../lib/net/http_transport.ts";
import { loadOrCreateNodeKey } from "../../lib/store/mod.ts";
import type { NodeProcess } from "../_support/node_process.ts";
import {
  addMember,
  cookieOn,
  createAlbum,
  getJson,
  recordsOf,
  startCluster,
  uploadPhoto,
  waitFor,
} from "./replication_cluster.ts";

const randomId = () => toBase64Url(crypto.getRandomValues(new Uint8Array(16)));

/** Pushes `records` to `to` as node `from` would: signed with `from`'s own node key. */
async function pushAs(from: NodeProcess, to: NodeProcess, records: unknown[]): Promise<void> {
  const { key } = await loadOrCreateNodeKey(`${from.dataDir}/node.key`);
  const { key: target } = await loadOrCreateNodeKey(`${to.dataDir}/node.key`);
  await new HttpTransport(key).pushRecords(
    { nodeId: to.nodeId, publicKey: toBase64Url(target.publicKey), url: to.url },
    { indexId: "0badc0de0badc0de", after: 0, lastSeq: records.length, records, more: false },
  );
}

function parkedReasons(node: NodeProcess, id: string): string[] {
  const db = new DatabaseSync(`${node.dataDir}/index.db`, { readOnly: true });
  try {
    return (db.prepare("SELECT reason FROM parked_records WHERE id = ?").all(id) as {
      reason: string;
    }[]).map((r) => r.reason);
  } finally {
    db.close();
  }
}

Deno.test({
  name: "A photo naming a blob its uploader never sent is refused by every node, whoever relays it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using c = await startCluster(["Oak", "Pine"]);
    const [oak, pine] = c.nodes;
    const secret = await createAlbum(c.admin, oak.url);
    const alicePhoto = await uploadPhoto(c.admin, oak.url, secret);
    const mallory = await addMember(c.admin, oak.url, "Mallory");
    const mine = await createAlbum(mallory, oak.url);
    const target = (await getJson<{ photo: { original: Record<string, unknown> } }>(
      c.admin,
      oak.url,
      `/v1/photos/${alicePhoto.id}`,
    )).photo.original;

    // Her own photo, through Pine: Pine's receipts are checked on Oak, and it arrives there.
    const own = await uploadPhoto(mallory, pine.url, mine, 4_000);
    await waitFor(
      "Mallory's own photo on Oak",
      () => Promise.resolve(recordsOf(oak.dataDir).has(`photo/${own.id}`)),
    );
    await waitFor(
      "Mallory's album on Pine",
      () => Promise.resolve(recordsOf(pine.dataDir).has(`album/${mine.id}`)),
    );

    // A compromised node relays her photos of Alice's blob: without a receipt, and with
    // Alice's (which names Alice, not her).
    const ownRecord = (await getJson<{ photo: { record: { body: Record<string, unknown> } } }>(
      mallory,
      oak.url,
      `/v1/photos/${own.id}`,
    )).photo.record.body;
    const heads = await headsAt(mallory, oak.url);
    const forged = [
      { id: target.id, size: target.size },
      target,
    ].map((original) => signAs(mallory, "photo", randomId(), { ...ownRecord, original }, heads));
    for (const [from, to] of [[pine, oak], [oak, pine]]) {
      await pushAs(from, to, forged);
      const held = recordsOf(to.dataDir);
      for (const f of forged) {
        assert.equal(held.has(`photo/${f.id}`), false, `stored on ${to === oak ? "Oak" : "Pine"}`);
        assert.match(parkedReasons(to, f.id).join(), /upload receipt/);
      }
      const read = await fetch(`${to.url}/v1/blobs/${target.id}`, {
        headers: { cookie: await cookieOn(mallory, to.url) },
      });
      await read.body?.cancel();
      assert.equal(read.status, 404);
    }
  },
});
