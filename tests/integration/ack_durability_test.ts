/**
 * "Nothing acknowledged is ever lost, even on kill -9": a real node takes
 * signed records and blobs from several clients at once, is killed with
 * SIGKILL mid-stream, restarts, and must hold everything it acknowledged.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { signRecord, toBase64Url } from "../../lib/crypto/mod.ts";
import { HybridClock } from "../../lib/core/hlc.ts";
import { rigTest } from "../_support/rig.ts";
import { postJson, remoteSignIn, setupRemoteFamily } from "../_support/remote_family.ts";

rigTest(
  "Records and blobs acknowledged before a kill -9 are all there after the restart",
  async (rig) => {
    const node = await rig.node();
    const alice = await setupRemoteFamily(node.url, node.setupCode!);
    const clock = new HybridClock();
    clock.observe(alice.follows.hlc);
    const ackedInvites: string[] = [];
    const ackedBlobs: { id: string; bytes: Uint8Array }[] = [];
    let stop = false;

    const recordWorker = async () => {
      while (!stop) {
        const id = toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
        const record = signRecord({
          v: 2,
          kind: "invite",
          id,
          author: alice.key,
          hlc: clock.next(),
          prev: alice.follows.prev,
          body: {
            tokenHash: "a".repeat(64),
            x25519: toBase64Url(crypto.getRandomValues(new Uint8Array(32))),
            role: "member",
            expiresAt: Date.now() + 3600_000,
            revoked: false,
          },
        }, alice.signingSecretKey);
        try {
          const res = await postJson(`${node.url}/v1/records`, { records: [record] }, alice.cookie);
          if (res.status === 200) ackedInvites.push(id);
          await res.body?.cancel();
        } catch {
          return; // the node died under us: this request was never acknowledged
        }
      }
    };
    const blobWorker = async () => {
      while (!stop) {
        // Random-ish bytes, unique per blob: a random 64 KiB block repeated, 64 KiB to 2.5 MiB,
        // so both write paths are cut short: through the page cache (under 1 MiB) and direct.
        const block = crypto.getRandomValues(new Uint8Array(65536));
        const bytes = new Uint8Array(65536 * (1 + Math.floor(Math.random() * 40)));
        for (let off = 0; off < bytes.length; off += 65536) bytes.set(block, off);
        const id = createHash("sha256").update(bytes).digest("hex");
        try {
          const res = await fetch(`${node.url}/v1/blobs/${id}`, {
            method: "PUT",
            headers: { cookie: alice.cookie },
            body: bytes,
          });
          if (res.status === 201) ackedBlobs.push({ id, bytes });
          await res.body?.cancel();
        } catch {
          return;
        }
      }
    };
    const workers = [recordWorker(), recordWorker(), blobWorker(), blobWorker()];
    // Let a good number of acknowledgements pile up, then kill the node mid-stream.
    const deadline = Date.now() + 20_000;
    while (ackedInvites.length < 60 || ackedBlobs.length < 20) {
      if (Date.now() > deadline) throw new Error("the node acknowledged too little to test");
      await new Promise((r) => setTimeout(r, 20));
    }
    await node.stop("SIGKILL");
    stop = true;
    await Promise.all(workers);

    const again = await rig.node({ dataDir: node.dataDir });
    const cookie = await remoteSignIn(again.url, alice);
    const res = await fetch(`${again.url}/v1/invites`, { headers: { cookie } });
    const stored = new Set((await res.json()).invites.map((i: { id: string }) => i.id));
    const lostInvites = ackedInvites.filter((id) => !stored.has(id));
    assert.deepEqual(
      lostInvites,
      [],
      `${lostInvites.length} of ${ackedInvites.length} acknowledged records lost`,
    );
    for (const { id, bytes } of ackedBlobs) {
      const path = `${node.dataDir}/blobs/${id.slice(0, 2)}/${id.slice(2, 4)}/${id}`;
      const onDisk = await Deno.readFile(path);
      assert.equal(createHash("sha256").update(onDisk).digest("hex"), id, `blob ${id} is whole`);
      assert.equal(onDisk.length, bytes.length);
    }
    assert.deepEqual([...Deno.readDirSync(`${node.dataDir}/tmp`)], [], "no temp leftovers");
  },
);
