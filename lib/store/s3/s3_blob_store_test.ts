/**
 * The blob store's suite against a real S3 server (a Ceph RADOS Gateway started for this
 * file), then what only an object store does: its prefix, multipart uploads left by a
 * crash, and the errors an operator must be able to act on.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { StoreUnavailableError } from "../../core/errors.ts";
import { type CephRgw, startCephRgw } from "../../../tests/_support/ceph_rgw.ts";
import { type Backend, SUITE } from "../_blob_store_suite.ts";
import { byteStreamOf, patterned, readAll, sha256, streamOf } from "../_testing.ts";
import { S3BlobStore, type S3BlobStoreOptions } from "./s3_blob_store.ts";
import { S3Client } from "./s3_client.ts";
import { S3Config } from "./s3_config.ts";

let buckets = 0;
const newBucket = () => `t${++buckets}-${crypto.randomUUID().slice(0, 8)}`;

function s3Backend(ceph: CephRgw): Backend {
  return {
    name: "s3",
    async open() {
      const bucket = newBucket();
      await ceph.createBucket(bucket);
      const root = await Deno.makeTempDir({ prefix: "p2pos-s3store-" });
      const open = () => S3BlobStore.open({ root, config: ceph.config(bucket), partSize: 5 << 20 });
      return {
        store: await open(),
        async everything() {
          const keys = await ceph.keys(bucket);
          const uploads = (await ceph.pendingUploads(bucket)).map((k) => `unfinished:${k}`);
          return [...keys, ...uploads].sort();
        },
        async corrupt(id) {
          const key = `p2pos/blobs/${id}`;
          const res = await fetchRaw(ceph, bucket, key);
          res[3] ^= 0x01;
          await ceph.putRaw(bucket, key, res);
        },
        reopen: open,
        [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
      };
    },
  };
}

async function fetchRaw(ceph: CephRgw, bucket: string, key: string) {
  const res = await new S3Client(ceph.config(bucket)).send({ method: "GET", key, what: "get" });
  return new Uint8Array(await res.arrayBuffer());
}

const enc = new TextEncoder();
const HELLO = enc.encode("hello, family vault");
const HELLO_ID = sha256(HELLO);

Deno.test({
  name: "S3BlobStore against a real Ceph RADOS Gateway",
  // The gateway's processes live across the steps, and are stopped at the end.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using ceph = await startCephRgw();
    const backend = s3Backend(ceph);
    /** A store on a new bucket, holding one generated blob of `size` bytes. */
    async function storeWithBlob(options: Partial<S3BlobStoreOptions>, size: number, seed: number) {
      const bucket = newBucket();
      await ceph.createBucket(bucket);
      const store = await S3BlobStore.open({ root: "/x", config: ceph.config(bucket), ...options });
      const big = patterned(size, seed);
      const id = sha256(big);
      await store.put(id, byteStreamOf(big).stream);
      return { bucket, store, big, id };
    }

    for (const c of SUITE) await t.step(c.name, () => c.fn(backend));

    await t.step(
      "keeps a blob as the object <prefix>blobs/<id>, bytes only, no metadata",
      async () => {
        const bucket = newBucket();
        await ceph.createBucket(bucket);
        const store = await S3BlobStore.open({
          root: "/nonexistent",
          config: ceph.config(bucket, "fam/cedar/"),
        });
        await store.put(HELLO_ID, streamOf(HELLO));
        assert.deepEqual(await ceph.keys(bucket), [`fam/cedar/blobs/${HELLO_ID}`]);
        const res = await new S3Client(ceph.config(bucket)).send({
          method: "HEAD",
          key: `fam/cedar/blobs/${HELLO_ID}`,
          what: "head",
        });
        const meta = [...res.headers.keys()].filter((k) =>
          k.startsWith("x-amz-meta-") || k === "x-amz-tagging-count"
        );
        assert.deepEqual(meta, []);
        assert.deepEqual(await fetchRaw(ceph, bucket, `fam/cedar/blobs/${HELLO_ID}`), HELLO);
        // Not readable without credentials: the bucket is private.
        const anon = await fetch(`${ceph.endpoint}/${bucket}/fam/cedar/blobs/${HELLO_ID}`);
        await anon.body?.cancel();
        assert.equal(anon.status, 403);
        assert.deepEqual(await store.describe(), {
          backend: "s3",
          location: `${ceph.endpoint}/${bucket}/fam/cedar/`,
        });
      },
    );

    await t.step(
      "touches nothing outside its prefix, and lists only blob ids inside it",
      async () => {
        const bucket = newBucket();
        await ceph.createBucket(bucket);
        const other = new Uint8Array(patterned(100, 1));
        await ceph.putRaw(bucket, "photos-app/readme.txt", other);
        await ceph.putRaw(bucket, `other/blobs/${sha256(other)}`, other);
        await ceph.putRaw(bucket, "p2pos/blobs/not-a-blob-id", other);
        const store = await S3BlobStore.open({ root: "/nonexistent", config: ceph.config(bucket) });
        assert.deepEqual(await store.list(), { ids: [] });
        assert.equal(await store.count(), 0);
        assert.deepEqual(await store.scrub(), { checked: 0, corrupt: [] });
        await store.put(HELLO_ID, streamOf(HELLO));
        assert.deepEqual((await store.list()).ids, [HELLO_ID]);
        assert.deepEqual(
          await ceph.keys(bucket),
          [
            "other/blobs/" + sha256(other),
            "p2pos/blobs/" + HELLO_ID,
            "p2pos/blobs/not-a-blob-id",
            "photos-app/readme.txt",
          ].sort(),
        );
      },
    );

    await t.step(
      "open() aborts unfinished multipart uploads under its prefix, and only there",
      async () => {
        const bucket = newBucket();
        await ceph.createBucket(bucket);
        const client = new S3Client(ceph.config(bucket));
        const start = async (key: string) => {
          const res = await client.send({
            method: "POST",
            key,
            query: { uploads: "" },
            what: "start",
          });
          await res.text();
        };
        // What a node killed mid-upload leaves, and another program's upload beside it.
        await start(`p2pos/blobs/${HELLO_ID}`);
        await start(`p2pos/blobs/${"ab".repeat(32)}`);
        await start("photos-app/big.mov");
        assert.equal((await ceph.pendingUploads(bucket)).length, 3);
        await S3BlobStore.open({ root: "/nonexistent", config: ceph.config(bucket) });
        assert.deepEqual(await ceph.pendingUploads(bucket), ["photos-app/big.mov"]);
        assert.deepEqual(await ceph.keys(bucket), []);
      },
    );

    await t.step(
      "wrong credentials: an error naming the settings to check, never the secret",
      async () => {
        const bucket = newBucket();
        await ceph.createBucket(bucket);
        const secret = "wrong-secret-that-must-not-leak-000000000";
        const config = new S3Config({
          endpoint: ceph.endpoint,
          bucket,
          accessKeyId: ceph.accessKeyId,
          secretAccessKey: secret,
        });
        await assert.rejects(S3BlobStore.open({ root: "/x", config, tries: 1 }), (err) => {
          assert.ok(err instanceof StoreUnavailableError);
          assert.match(err.message, /refused the node's credentials \(SignatureDoesNotMatch/);
          assert.match(err.message, /P2POS_S3_SECRET_ACCESS_KEY/);
          assert.ok(!err.message.includes(secret));
          return true;
        });
        const unknown = new S3Config({
          endpoint: ceph.endpoint,
          bucket,
          accessKeyId: "NOSUCHKEY",
          secretAccessKey: secret,
        });
        await assert.rejects(
          S3BlobStore.open({ root: "/x", config: unknown, tries: 1 }),
          /InvalidAccessKeyId.*P2POS_S3_ACCESS_KEY_ID/,
        );
        assert.ok(!JSON.stringify(config).includes(secret));
        assert.ok(!Deno.inspect(config).includes(secret));
      },
    );

    await t.step("a missing bucket: an error saying to create it", async () => {
      await assert.rejects(
        S3BlobStore.open({ root: "/x", config: ceph.config("no-such-bucket-here") }),
        (err) => {
          assert.ok(err instanceof StoreUnavailableError);
          assert.match(err.message, /no such bucket; create it/);
          return true;
        },
      );
    });

    await t.step("a clock 20 minutes off: an error saying to set the clock", async () => {
      const bucket = newBucket();
      await ceph.createBucket(bucket);
      const now = () => Date.now() + 20 * 60_000;
      await assert.rejects(
        S3BlobStore.open({ root: "/x", config: ceph.config(bucket), now, tries: 1 }),
        (err) => {
          assert.ok(err instanceof StoreUnavailableError);
          assert.match(err.message, /clock is 20 minutes ahead of the store's.*enable NTP/);
          return true;
        },
      );
      // Behind, through a HEAD (no error body to read): told by the Date header.
      const store = await S3BlobStore.open({ root: "/x", config: ceph.config(bucket) });
      const behind = new S3BlobStore({
        root: "/x",
        config: ceph.config(bucket),
        now: () => Date.now() - 30 * 60_000,
        tries: 1,
      });
      await store.put(HELLO_ID, streamOf(HELLO));
      await assert.rejects(
        (behind as unknown as { client: S3Client }).client.send({
          method: "HEAD",
          key: `p2pos/blobs/${HELLO_ID}`,
          what: "look up blob",
        }),
        /clock is 30 minutes behind the store's/,
      );
    });

    await t.step(
      "a gateway that goes down: puts fail with a reason and keep nothing, reads fail instead of hanging, and all resumes when it is back",
      async () => {
        const { bucket, store, big, id: bigId } = await storeWithBlob(
          { partSize: 5 << 20, tries: 2, backoffMs: 50, stallMs: 2_000 },
          30 << 20,
          8,
        );
        // A reader mid-blob when the gateway stops.
        const reading = await store.get(bigId);
        const reader = reading.stream.getReader();
        await reader.read();
        // A writer mid-blob too: its first part is out, the rest is waiting for the source.
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const next = patterned(12 << 20, 9);
        let sent = 0;
        const slow = new ReadableStream<Uint8Array>({
          async pull(c) {
            if (sent >= next.byteLength) return c.close();
            if (sent >= 6 << 20) await gate;
            c.enqueue(next.slice(sent, sent += 1 << 20));
          },
        });
        const putting = store.put(sha256(next), slow);
        putting.catch(() => {});
        // Mid-blob: the writer has taken the source up to the gate.
        for (let i = 0; i < 1000 && sent < 6 << 20; i++) {
          await new Promise((r) => setTimeout(r, 10));
        }
        assert.ok(sent >= 6 << 20, "the writer read its source up to the gate");
        await ceph.stopGateway();
        release();
        await assert.rejects(putting, (err) => {
          assert.ok(err instanceof StoreUnavailableError, String(err));
          assert.match(err.message, /cannot be reached/);
          return true;
        });
        // The reader gets the whole blob (it was already on its way) or an error: never a
        // short blob taken for whole, never a wait without end.
        const read = await (async () => {
          const hash = createHash("sha256");
          let n = 0;
          for (let r = await reader.read(); !r.done; r = await reader.read()) {
            hash.update(r.value);
            n += r.value.byteLength;
          }
          return { hex: hash.digest("hex"), n };
        })().catch((err) => err);
        if (!(read instanceof StoreUnavailableError)) {
          assert.deepEqual(read, { hex: bigId, n: big.byteLength });
        }
        await assert.rejects(store.has(HELLO_ID), StoreUnavailableError);
        assert.match((await store.describe()).problem ?? "", /cannot be reached/);
        await assert.rejects(store.put(HELLO_ID, streamOf(HELLO)), /cannot be reached/);
        await ceph.startGateway();
        assert.equal(await store.has(sha256(next)), false, "nothing of the cut-off put is visible");
        assert.equal((await store.describe()).problem, undefined);
        await store.put(HELLO_ID, streamOf(HELLO));
        assert.deepEqual(await readAll((await store.get(bigId)).stream), big);
        // The cut-off multipart upload may still be pending: the next start aborts it.
        await store.open();
        await S3BlobStore.open({ root: "/x", config: ceph.config(bucket) });
        assert.deepEqual(await ceph.pendingUploads(bucket), []);
        assert.deepEqual((await store.list()).ids, [bigId, HELLO_ID].sort());
      },
    );

    await t.step(
      "a gateway that stops answering: requests and reads fail after their limits instead of hanging",
      async () => {
        const { store, id } = await storeWithBlob(
          { tries: 1, timeoutMs: 1500, stallMs: 1500 },
          64 << 20,
          11,
        );
        const got = await store.get(id);
        const reader = got.stream.getReader();
        await reader.read();
        ceph.pauseGateway();
        try {
          await assert.rejects(store.has(HELLO_ID), /no answer within 1500 ms/);
          await assert.rejects(
            (async () => {
              while (!(await reader.read()).done) { /* the rest is not coming */ }
            })(),
            /sent nothing for 1500 ms/,
          );
        } finally {
          ceph.resumeGateway();
        }
        assert.equal(await store.has(id), true);
      },
    );
  },
});

Deno.test("S3Config refuses unsafe or malformed settings with a reason", () => {
  const ok = {
    endpoint: "https://s3.example.org",
    bucket: "family-photos",
    accessKeyId: "A",
    secretAccessKey: "S",
  };
  assert.equal(new S3Config(ok).location, "https://s3.example.org/family-photos/p2pos/");
  assert.throws(
    () => new S3Config({ ...ok, endpoint: "https://key:secret@s3.example.org" }),
    /must not carry credentials/,
  );
  assert.throws(() => new S3Config({ ...ok, endpoint: "ftp://s3.example.org" }), /http or https/);
  assert.throws(
    () => new S3Config({ ...ok, endpoint: "https://s3.example.org/bucket" }),
    /only scheme, host and port/,
  );
  assert.throws(() => new S3Config({ ...ok, bucket: "Family_Photos" }), /not a valid bucket name/);
  assert.throws(() => new S3Config({ ...ok, prefix: "../" }), /prefix/);
  assert.throws(() => new S3Config({ ...ok, prefix: "no-slash" }), /prefix/);
  assert.throws(() => new S3Config({ ...ok, secretAccessKey: "" }), /secret access key/);
  assert.equal(
    new S3Config({ ...ok, prefix: "fam/cedar/" }).url("fam/cedar/blobs/x").href,
    "https://s3.example.org/family-photos/fam/cedar/blobs/x",
  );
  assert.equal(
    new S3Config({ ...ok, pathStyle: false }).url("k").href,
    "https://family-photos.s3.example.org/k",
  );
});
