/**
 * Nodes whose blobs live in S3, as real processes against a real Ceph RADOS Gateway (one for
 * this file, shared by its steps): replication between a filesystem node and an S3 node both
 * ways, kill -9 during uploads, the gateway stopped mid-transfer and started again, and
 * `p2pos blobs migrate` killed midway and run again.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type CephRgw, startCephRgw } from "../_support/ceph_rgw.ts";
import { Rig } from "../_support/rig.ts";
import { FINISH_STEPS, unfinishedSessions, uploadedButNotFinished } from "../_support/uploads.ts";
import { call } from "../../demo.ts";
import { remoteSignIn, setupRemoteFamily } from "../_support/remote_family.ts";
import {
  blobFiles,
  cookieOn,
  getJson,
  putBlob,
  startCluster,
  waitFor,
} from "./replication_cluster.ts";
import { S3Client } from "../../lib/store/s3/mod.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
let buckets = 0;

async function freshBucket(ceph: CephRgw): Promise<string> {
  const bucket = `node-${++buckets}-${crypto.randomUUID().slice(0, 8)}`;
  await ceph.createBucket(bucket);
  return bucket;
}

function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

/** 200 photo-like files: 2 KiB to 400 KiB, and two of 12 MiB (multipart, pulled not pushed). */
function fileSet(): Uint8Array<ArrayBuffer>[] {
  return Array.from(
    { length: 200 },
    (_, i) => randomBytes(i < 2 ? 12 << 20 : 2048 + Math.floor(Math.random() * 400 * 1024)),
  );
}

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** The bucket's blob ids under the default prefix, each checked to hash to its id. */
async function verifiedObjects(ceph: CephRgw, bucket: string): Promise<Set<string>> {
  const keys = await ceph.keys(bucket);
  const client = new S3Client(ceph.config(bucket));
  const ids = new Set<string>();
  await pool(keys, 8, async (key) => {
    const id = key.replace(/^p2pos\/blobs\//, "");
    assert.match(id, /^[0-9a-f]{64}$/, `unexpected key ${key}`);
    const res = await client.send({ method: "GET", key, what: "check" });
    assert.equal(sha256(new Uint8Array(await res.arrayBuffer())), id, `object ${key} is whole`);
    ids.add(id);
  });
  return ids;
}

async function allKeys(ceph: CephRgw, bucket: string): Promise<string[]> {
  // The test listing is one page of 1000: enough for these tests, checked here.
  const keys = await ceph.keys(bucket);
  assert.ok(keys.length < 1000);
  return keys;
}

Deno.test({
  name: "S3-backed nodes against a real Ceph RADOS Gateway",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using ceph = await startCephRgw();

    await t.step(
      "a 200-file set replicates from a filesystem node to an S3 node and back",
      async () => {
        const bucket = await freshBucket(ceph);
        await using cluster = await startCluster(["Oak", "Cedar"], {}, [{}, ceph.nodeEnv(bucket)]);
        const [oak, cedar] = cluster.nodes;
        assert.match(
          cedar.output(),
          /Blobs: +http:\/\/127\.0\.0\.1:\d+\/node-\d+-\w+\/p2pos\/ \(S3\)/,
        );
        const toCedar = fileSet();
        await pool(toCedar, 4, (b) => putBlob(cluster.admin, oak.url, b));
        const wantA = new Set(toCedar.map(sha256));
        await waitFor(
          "Cedar to hold the set in its bucket",
          async () => {
            const keys = await allKeys(ceph, bucket);
            return keys.length >= wantA.size;
          },
          120_000,
          500,
        );
        assert.deepEqual(await verifiedObjects(ceph, bucket), wantA);

        const toOak = fileSet();
        await pool(toOak, 4, (b) => putBlob(cluster.admin, cedar.url, b));
        const wantB = toOak.map(sha256);
        await waitFor(
          "Oak to hold the set Cedar took",
          async () => {
            const files = await blobFiles(oak.dataDir);
            return wantB.every((id) => files.has(id));
          },
          120_000,
          500,
        );
        for (const id of wantB) {
          const path = `${oak.dataDir}/blobs/${id.slice(0, 2)}/${id.slice(2, 4)}/${id}`;
          assert.equal(sha256(await Deno.readFile(path)), id);
        }
        assert.deepEqual(await verifiedObjects(ceph, bucket), new Set([...wantA, ...wantB]));
        assert.deepEqual(await ceph.pendingUploads(bucket), [], "no multipart upload left open");
        // Nothing but blobs in the data dir's place for them: Cedar keeps no blob files.
        assert.equal((await blobFiles(cedar.dataDir)).size, 0);
        // Each node tells the other where it keeps its blobs (the Nodes page shows it).
        const status = await getJson<{ peers: { name: string; storage?: { backend?: string } }[] }>(
          cluster.admin,
          oak.url,
          "/v1/replication/status",
        );
        assert.equal(status.peers.find((p) => p.name === "Cedar")?.storage?.backend, "s3");
        const page = await fetch(`${oak.url}/nodes`, {
          headers: { cookie: await cookieOn(cluster.admin, oak.url) },
        });
        assert.match(await page.text(), /Files in the data dir.*free of/s);
        const cedarPage = await fetch(`${cedar.url}/nodes`, {
          headers: { cookie: await cookieOn(cluster.admin, cedar.url) },
        });
        const html = await cedarPage.text();
        assert.match(html, /S3 object storage/);
        assert.match(html, /Capacity: not reported by the object store/);
        assert.ok(!html.includes(ceph.secretAccessKey), "never the secret");
      },
    );

    await t.step(
      "an object corrupted or deleted in the bucket is fetched again from a peer",
      async () => {
        const bucket = await freshBucket(ceph);
        await using cluster = await startCluster(
          ["Oak", "Cedar"],
          { P2POS_REP_SCRUB_INTERVAL_SECS: "2" },
          [{}, ceph.nodeEnv(bucket)],
        );
        const [oak, cedar] = cluster.nodes;
        const [bad, gone] = [randomBytes(300_000), randomBytes(9 << 20)];
        for (const b of [bad, gone]) await putBlob(cluster.admin, oak.url, b);
        const [badId, goneId] = [sha256(bad), sha256(gone)];
        await waitFor("Cedar to hold both", async () => (await allKeys(ceph, bucket)).length === 2);
        // Bit rot, or an operator's mistake, behind the node's back.
        const flipped = new Uint8Array(bad);
        flipped[1234] ^= 0xff;
        await ceph.putRaw(bucket, `p2pos/blobs/${badId}`, flipped);
        await ceph.deleteRaw(bucket, `p2pos/blobs/${goneId}`);
        await waitFor(
          "Cedar to repair the corrupt object and fetch the missing one",
          async () => {
            const ids = await verifiedObjects(ceph, bucket).catch(() => new Set<string>());
            return ids.has(badId) && ids.has(goneId);
          },
          60_000,
          500,
        );
        assert.match(cedar.output(), /Blob corrupt on disk; fetching it again from a peer/);
      },
    );

    await t.step(
      "kill -9 during uploads to an S3 node loses nothing acknowledged and leaves nothing half-written",
      async () => {
        await using rig = new Rig();
        const bucket = await freshBucket(ceph);
        const node = await rig.node({ env: ceph.nodeEnv(bucket) });
        const alice = await setupRemoteFamily(node.url, node.setupCode!);
        const acked: string[] = [];
        let stop = false;
        const worker = async () => {
          while (!stop) {
            // 64 KiB to 11 MiB: single PUTs and multipart uploads are both cut short.
            const bytes = randomBytes(65536 * (1 + Math.floor(Math.random() * 176)));
            const id = sha256(bytes);
            try {
              const res = await fetch(`${node.url}/v1/blobs/${id}`, {
                method: "PUT",
                headers: { cookie: alice.cookie },
                body: bytes,
              });
              if (res.status === 201) acked.push(id);
              await res.body?.cancel();
            } catch {
              return; // the node died under us: never acknowledged
            }
          }
        };
        const workers = [worker(), worker(), worker()];
        const deadline = Date.now() + 60_000;
        while (acked.length < 12) {
          if (Date.now() > deadline) throw new Error("the node acknowledged too little to test");
          await new Promise((r) => setTimeout(r, 20));
        }
        await node.stop("SIGKILL");
        stop = true;
        await Promise.all(workers);
        const pendingBefore = await ceph.pendingUploads(bucket);

        const again = await rig.node({ dataDir: node.dataDir, env: ceph.nodeEnv(bucket) });
        const stored = await verifiedObjects(ceph, bucket); // every key hashes to its id
        const lost = acked.filter((id) => !stored.has(id));
        assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged blobs lost`);
        assert.deepEqual(await ceph.pendingUploads(bucket), [], "the restart aborted them");
        if (pendingBefore.length) assert.match(again.output(), /Aborted multipart uploads/);
        const cookie = await remoteSignIn(again.url, alice);
        const res = await fetch(`${again.url}/v1/blobs/${acked[0]}`, { headers: { cookie } });
        assert.equal(sha256(new Uint8Array(await res.arrayBuffer())), acked[0]);
      },
    );

    await t.step(
      "a node killed with every part sent but the upload not completed acknowledges nothing and keeps nothing",
      async () => {
        await using rig = new Rig();
        const bucket = await freshBucket(ceph);
        const node = await rig.node({
          env: { ...ceph.nodeEnv(bucket), P2POS_FAULTS: "s3.put.completing" },
        });
        const alice = await setupRemoteFamily(node.url, node.setupCode!);
        const bytes = randomBytes(11 << 20); // two parts, both sent when the node dies
        const id = sha256(bytes);
        const answer = await fetch(`${node.url}/v1/blobs/${id}`, {
          method: "PUT",
          headers: { cookie: alice.cookie },
          body: bytes,
        }).then((r) => r.status, () => "no answer");
        assert.equal(answer, "no answer");
        await node.stop("SIGKILL");
        assert.equal(
          (await ceph.pendingUploads(bucket)).length,
          1,
          "an unfinished multipart upload",
        );
        assert.deepEqual(await allKeys(ceph, bucket), [], "nothing visible under the id");
        const again = await rig.node({ dataDir: node.dataDir, env: ceph.nodeEnv(bucket) });
        assert.deepEqual(await ceph.pendingUploads(bucket), []);
        const cookie = await remoteSignIn(again.url, alice);
        const retry = await fetch(`${again.url}/v1/blobs/${id}`, {
          method: "PUT",
          headers: { cookie },
          body: bytes,
        });
        assert.equal(retry.status, 201);
        await retry.body?.cancel();
      },
    );

    await t.step(
      "kill -9 at each step of a resumable upload's finish into S3: the finish asked again answers 201 and the uploader reads her blob",
      async () => {
        for (const step of FINISH_STEPS) {
          await using rig = new Rig();
          const bucket = await freshBucket(ceph);
          const env = ceph.nodeEnv(bucket);
          const up = await uploadedButNotFinished(rig, step, 9_500_000, env); // two parts
          let node = up.node;
          await assert.rejects(
            call(`${node.url}/v1/uploads/${up.upload}/finish`, "POST", {}, up.cookie),
          );
          assert.equal((await node.stop()).signal, "SIGKILL", `the node died at ${step}`);
          node = await rig.node({
            dataDir: node.dataDir,
            args: ["--port", String(node.port)],
            env,
          });
          const again = await call(
            `${node.url}/v1/uploads/${up.upload}/finish`,
            "POST",
            {},
            up.cookie,
          );
          assert.equal(again.status, 201, `${step}: ${await again.clone().text()}`);
          const read = await fetch(`${node.url}/v1/blobs/${up.blob}`, {
            headers: { cookie: up.cookie },
          });
          assert.equal(sha256(new Uint8Array(await read.arrayBuffer())), up.blob, step);
          assert.equal(unfinishedSessions(node.dataDir), 0, step);
          assert.deepEqual([...Deno.readDirSync(`${node.dataDir}/uploads`)], [], step);
          assert.deepEqual(await ceph.pendingUploads(bucket), [], step);
          assert.deepEqual(await allKeys(ceph, bucket), [`p2pos/blobs/${up.blob}`], step);
        }
      },
    );

    await t.step(
      "the gateway stopped mid-transfer: uploads get 503 with a reason, replication backs off and resumes",
      async () => {
        const bucket = await freshBucket(ceph);
        await using cluster = await startCluster(["Oak", "Cedar"], {}, [{}, ceph.nodeEnv(bucket)]);
        const [oak, cedar] = cluster.nodes;
        const first = [
          randomBytes(30 << 20),
          ...Array.from({ length: 20 }, () => randomBytes(200_000)),
        ];
        await pool(first, 4, (b) => putBlob(cluster.admin, oak.url, b));
        // Down while Cedar is still taking the first batch (the 30 MiB blob is pulled in parts).
        await ceph.stopGateway();
        const second = Array.from({ length: 20 }, () => randomBytes(150_000));
        await pool(second, 4, (b) => putBlob(cluster.admin, oak.url, b));
        const cookie = await cookieOn(cluster.admin, cedar.url);
        const bytes = randomBytes(5000);
        const refused = await fetch(`${cedar.url}/v1/blobs/${sha256(bytes)}`, {
          method: "PUT",
          headers: { cookie },
          body: bytes,
        });
        assert.equal(refused.status, 503);
        assert.ok(Number(refused.headers.get("retry-after")) > 0);
        const body = await refused.json();
        assert.equal(body.error.code, "store_unavailable");
        assert.match(
          body.error.message,
          /object store at http:\/\/127\.0\.0\.1:\d+ cannot be reached/,
        );
        // Cedar keeps running and reports the store's trouble instead of crashing.
        const page = await fetch(`${cedar.url}/nodes`, { headers: { cookie } });
        assert.equal(page.status, 200);
        assert.match(await page.text(), /cannot be reached right now/);
        // Oak's pushes of the second batch are refused meanwhile, and back off.
        await waitFor(
          "Oak's pushes to Cedar to fail while its store is down",
          () =>
            Promise.resolve(
              /Blob transfer failed[^\n]*"dir":"push"[^\n]*answered 503/.test(oak.output()),
            ),
          60_000,
        );
        await ceph.startGateway();
        const want = [...first, ...second].map(sha256);
        await waitFor(
          "Cedar to catch up once the gateway is back",
          async () => {
            const keys = new Set((await allKeys(ceph, bucket)).map((k) => k.slice(12)));
            return want.every((id) => keys.has(id));
          },
          120_000,
          500,
        );
        const stored = await verifiedObjects(ceph, bucket);
        assert.ok(want.every((id) => stored.has(id)));
        assert.ok(!cedar.output().includes(ceph.secretAccessKey), "the secret is never logged");
      },
    );

    await t.step(
      "p2pos blobs migrate moves a node to S3, is killed midway and resumes, the node runs on S3, and it moves back",
      async () => {
        const bucket = await freshBucket(ceph);
        const env = ceph.nodeEnv(bucket);
        delete (env as Record<string, string>).P2POS_BLOB_STORE;
        await using rig = new Rig();
        const node = await rig.node();
        const alice = await setupRemoteFamily(node.url, node.setupCode!);
        const blobs = Array.from({ length: 80 }, (_, i) => randomBytes(i < 3 ? 9 << 20 : 100_000));
        for (const b of blobs) {
          const res = await fetch(`${node.url}/v1/blobs/${sha256(b)}`, {
            method: "PUT",
            headers: { cookie: alice.cookie },
            body: b,
          });
          assert.equal(res.status, 201);
          await res.body?.cancel();
        }
        await node.stop();
        const dataDir = node.dataDir;
        const ids = blobs.map(sha256);
        // First run: killed as soon as it reports progress.
        const first = migrate(rig, dataDir, env);
        await first.waitFor(/blobs checked/);
        first.child.kill("SIGKILL");
        await first.child.status;
        const midway = (await allKeys(ceph, bucket)).length;
        assert.ok(midway < ids.length, `killed midway (${midway} of ${ids.length} copied)`);

        // The node refuses to start on either backend until the migration is finished.
        for (const store of ["fs", "s3"]) {
          const refused = await runMain(["node", "--data-dir", dataDir, "--port", "0"], {
            ...env,
            P2POS_BLOB_STORE: store,
          });
          assert.equal(refused.code, 2);
          assert.match(refused.text, /migration of this node's blobs to s3 is under way/);
        }

        const second = migrate(rig, dataDir, env);
        const status = await second.child.status;
        assert.equal(status.code, 0, second.text());
        assert.match(second.text(), /Done: all 80 blobs are in S3/);
        assert.deepEqual(await verifiedObjects(ceph, bucket), new Set(ids));
        assert.deepEqual(await ceph.pendingUploads(bucket), []);

        const onFs = await runMain(["node", "--data-dir", dataDir, "--port", "0"], env);
        assert.equal(onFs.code, 2);
        assert.match(
          onFs.text,
          /blobs are in S3 \(s3\), but it was started with --blob-store fs/,
        );

        const onS3 = await rig.node({ dataDir, env: { ...env, P2POS_BLOB_STORE: "s3" } });
        {
          const cookie = await remoteSignIn(onS3.url, alice);
          for (const id of [ids[0], ids[40], ids[79]]) {
            const res = await fetch(`${onS3.url}/v1/blobs/${id}`, { headers: { cookie } });
            assert.equal(sha256(new Uint8Array(await res.arrayBuffer())), id);
          }
          const ranged = await fetch(`${onS3.url}/v1/blobs/${ids[0]}`, {
            headers: { cookie, range: "bytes=100-199" },
          });
          assert.equal(ranged.status, 206);
          assert.deepEqual(
            new Uint8Array(await ranged.arrayBuffer()),
            blobs[0].subarray(100, 200),
          );
        }
        await onS3.stop();

        // And back: blobs uploaded while on S3 come along too.
        await Deno.remove(`${dataDir}/blobs`, { recursive: true });
        const home = migrate(rig, dataDir, env, "fs");
        assert.equal((await home.child.status).code, 0, home.text());
        assert.match(home.text(), /Done: all 80 blobs are in the data dir/);
        const files = await blobFiles(dataDir);
        assert.deepEqual(new Set(files.keys()), new Set(ids));
        const onFsAgain = await rig.node({ dataDir });
        const cookie = await remoteSignIn(onFsAgain.url, alice);
        const res = await fetch(`${onFsAgain.url}/v1/blobs/${ids[1]}`, { headers: { cookie } });
        assert.equal(sha256(new Uint8Array(await res.arrayBuffer())), ids[1]);
      },
    );
  },
});

function migrate(rig: Rig, dataDir: string, env: Record<string, string>, to = "s3") {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "blobs", "migrate", "--to", to, "--data-dir", dataDir],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  rig.defer(() => {
    child.kill("SIGKILL");
    return child.status;
  });
  let text = "";
  const decoder = new TextDecoder();
  for (const s of [child.stdout, child.stderr]) {
    (async () => {
      for await (const c of s) text += decoder.decode(c, { stream: true });
    })().catch(() => {});
  }
  return {
    child,
    text: () => text,
    async waitFor(re: RegExp) {
      const deadline = Date.now() + 60_000;
      while (!re.test(text)) {
        if (Date.now() > deadline) throw new Error(`migrate printed no ${re}:\n${text}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

async function runMain(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}
