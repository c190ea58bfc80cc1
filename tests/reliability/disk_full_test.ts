/**
 * Disk full (issue #14 §2): Oak's data dir is on a small ext4 image the test loop-mounts
 * (tests/reliability/_small_disk.ts); Pine's is on the ordinary disk. With Oak's disk filled:
 * uploads answer 507 with the JSON error and leave nothing half-written, SQLite's own writes
 * failing with SQLITE_FULL answer 507 too, reads keep working, replication pauses and both
 * Nodes pages say why. With the space freed, everything resumes by itself.
 */

import assert from "node:assert/strict";
import { call, headsAt } from "../../demo.ts";
import {
  blobFiles,
  cookieOn,
  recordsOf,
  startCluster,
  waitFor,
} from "../integration/replication_cluster.ts";
import { mountSmallDisk, type SmallDisk } from "./_small_disk.ts";
import {
  blobPath,
  entries,
  integrityCheck,
  inviteRecords,
  report,
  sha256Hex,
  uniqueBytes,
} from "./_support.ts";

const disk = await mountSmallDisk(64);
if (typeof disk === "string") console.warn(`SKIPPED disk-full test: ${disk}`);

const ENV = { P2POS_STALL_TIMEOUT_SECS: "3", P2POS_REP_FAILED_RETRY_AFTER_SECS: "1" };

async function putBlob(url: string, cookie: string, bytes: Uint8Array<ArrayBuffer>) {
  const id = await sha256Hex(bytes);
  const res = await fetch(`${url}/v1/blobs/${id}`, {
    method: "PUT",
    headers: { cookie },
    body: bytes,
  });
  return { id, status: res.status, body: await res.json().catch(() => undefined) };
}

Deno.test({
  name:
    "A full disk: 507 and nothing half-written, reads keep working, replication pauses and says why, and all resumes when space is freed",
  ignore: typeof disk === "string",
  async fn() {
    await using small = disk as SmallDisk;
    const figures: Record<string, unknown> = { filesystem: small.kind };
    // Oak is started on the small disk, then the cluster pairs Pine with it.
    const oakDir = `${small.dir}/oak`;
    await using c = await startCluster(["Oak", "Pine"], ENV, [{}, {}], { dataDirs: [oakDir] });
    const [oak, pine] = c.nodes;
    const oakCookie = await cookieOn(c.admin, oak.url);
    const pineCookie = await cookieOn(c.admin, pine.url);

    // Before: a few blobs on Oak, replicated to Pine.
    const before: { id: string; bytes: Uint8Array<ArrayBuffer> }[] = [];
    for (let i = 0; i < 4; i++) {
      const bytes = uniqueBytes(1 << 20);
      const r = await putBlob(oak.url, oakCookie, bytes);
      assert.equal(r.status, 201);
      before.push({ id: r.id, bytes });
    }

    // A resumable upload with its first MiB acknowledged.
    const big = uniqueBytes(6 << 20);
    const bigId = await sha256Hex(big);
    const opened = await (await call(`${oak.url}/v1/uploads`, "POST", {
      blob: bigId,
      size: big.length,
    }, oakCookie)).json();
    const patch = (offset: number, end: number) =>
      fetch(`${oak.url}/v1/uploads/${opened.upload}`, {
        method: "PATCH",
        headers: { cookie: oakCookie, "upload-offset": String(offset) },
        body: big.slice(offset, end),
      });
    assert.equal((await patch(0, 1 << 20)).status, 200);

    // Fill Oak's disk to 1 MiB of its end.
    await small.fill(1 << 20);

    // 1. A single-request upload larger than the room left: 507, nothing kept.
    const tooBig = await putBlob(oak.url, oakCookie, uniqueBytes(3 << 20));
    assert.equal(tooBig.status, 507, JSON.stringify(tooBig.body));
    assert.equal(tooBig.body.error.code, "insufficient_storage");
    assert.match(tooBig.body.error.message, /disk is full/);
    assert.equal((await blobFiles(oak.dataDir)).has(tooBig.id), false);
    assert.deepEqual(await entries(`${oak.dataDir}/tmp`), [], "no temp file left");

    // 2. A resumable chunk that does not fit: 507, the acknowledged offset and file unchanged.
    const chunk = await patch(1 << 20, 5 << 20);
    assert.equal(chunk.status, 507, await chunk.clone().text());
    assert.equal((await chunk.json()).error.code, "insufficient_storage");
    const state =
      await (await call(`${oak.url}/v1/uploads/${opened.upload}`, "GET", undefined, oakCookie))
        .json();
    assert.equal(state.offset, 1 << 20);
    assert.equal((await Deno.stat(`${oak.dataDir}/uploads/${opened.upload}`)).size, 1 << 20);

    // 3. Every byte gone: SQLite's own writes fail (SQLITE_FULL) and answer 507 too, and a
    // record refused so is not stored.
    await small.fill(0);
    let full: { status: number; body: { error: { code: string } } } | undefined;
    const stored: string[] = [];
    for (let i = 0; i < 400 && !full; i++) {
      const batch = inviteRecords(c.admin, await headsAt(c.admin, oak.url), 50);
      const res = await call(`${oak.url}/v1/records`, "POST", { records: batch }, oakCookie);
      const body = await res.json();
      assert.ok(
        res.status === 200 || res.status === 507,
        `records: ${res.status} ${JSON.stringify(body)}`,
      );
      if (res.status === 507) full = { status: res.status, body };
      else stored.push(...batch.map((r) => r.id));
    }
    assert.ok(full, "SQLite ran out of room");
    assert.equal(full.body.error.code, "insufficient_storage");
    figures.recordsStoredBeforeSqliteFull = stored.length;
    figures.answered507 = ["a 3 MiB upload", "a 4 MiB resumable chunk", "a batch of 50 records"];

    // 4. Reads keep working.
    for (const b of before) {
      const res = await fetch(`${oak.url}/v1/blobs/${b.id}`, { headers: { cookie: oakCookie } });
      assert.equal(res.status, 200);
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), b.bytes);
    }
    for (const path of ["/v1/session", "/v1/albums", "/v1/nodes", "/v1/replication/status"]) {
      const res = await call(`${oak.url}${path}`, "GET", undefined, oakCookie);
      assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
      await res.body?.cancel();
    }
    const page = await fetch(`${oak.url}/nodes`, {
      headers: { cookie: oakCookie, accept: "text/html" },
    });
    assert.equal(page.status, 200);
    figures.readsWhileFull = `${before.length} blobs, 4 API reads and the Nodes page answered 200`;

    // 5. Replication towards Oak pauses, and both nodes' Nodes pages say why.
    const fromPine: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await putBlob(pine.url, pineCookie, uniqueBytes(700_000 + i));
      assert.equal(r.status, 201);
      fromPine.push(r.id);
    }
    const pineUploaded = performance.now();
    await waitFor("Oak to say its disk is full", async () => {
      const s = await (await call(`${oak.url}/v1/replication/status`, "GET", undefined, oakCookie))
        .json();
      return s.diskFull !== undefined;
    }, 30_000);
    figures.oakSaysFullWithinMs = Math.round(performance.now() - pineUploaded);
    await waitFor("Pine to say Oak's disk is full", async () => {
      const s =
        await (await call(`${pine.url}/v1/replication/status`, "GET", undefined, pineCookie))
          .json();
      return s.peers[0].diskFull === true;
    }, 30_000);
    figures.pineSaysOakFullWithinMs = Math.round(performance.now() - pineUploaded);
    const oakPage = await (await fetch(`${oak.url}/nodes`, {
      headers: { cookie: oakCookie, accept: "text/html" },
    })).text();
    assert.match(oakPage, /disk is full/);
    const pinePage = await (await fetch(`${pine.url}/nodes`, {
      headers: { cookie: pineCookie, accept: "text/html" },
    })).text();
    assert.match(pinePage, /disk is full/);
    assert.equal(integrityCheck(oak.dataDir), "ok");
    assert.doesNotMatch(oak.output(), /Unhandled error|uncaught/i);

    // 6. Space freed: everything resumes by itself.
    await small.unfill();
    const freedAt = performance.now();
    const after = await putBlob(oak.url, oakCookie, uniqueBytes(2 << 20));
    assert.equal(after.status, 201, JSON.stringify(after.body));
    for (let off = 1 << 20; off < big.length; off += 1 << 20) {
      assert.equal((await patch(off, off + (1 << 20))).status, 200);
    }
    const fin = await call(`${oak.url}/v1/uploads/${opened.upload}/finish`, "POST", {}, oakCookie);
    assert.equal(fin.status, 201, await fin.clone().text());
    const again = await call(
      `${oak.url}/v1/records`,
      "POST",
      { records: inviteRecords(c.admin, await headsAt(c.admin, oak.url)) },
      oakCookie,
    );
    assert.equal(again.status, 200);
    await waitFor(
      "the nodes to converge",
      async () => {
        const [a, b] = await Promise.all([blobFiles(oak.dataDir), blobFiles(pine.dataDir)]);
        const same = a.size === b.size && [...a.keys()].every((id) => b.has(id));
        return same && fromPine.every((id) => a.has(id)) && a.has(bigId) &&
          recordsOf(oak.dataDir).size === recordsOf(pine.dataDir).size;
      },
      60_000,
      200,
    );
    figures.resumedWithinMs = Math.round(performance.now() - freedAt);
    const s = await (await call(`${oak.url}/v1/replication/status`, "GET", undefined, oakCookie))
      .json();
    assert.equal(s.diskFull, undefined, "Oak no longer says its disk is full");
    await waitFor("Pine to see Oak has room again", async () => {
      const p =
        await (await call(`${pine.url}/v1/replication/status`, "GET", undefined, pineCookie))
          .json();
      return p.peers[0].diskFull !== true;
    });
    for (const id of [...fromPine, bigId]) {
      assert.ok((await Deno.stat(blobPath(oak.dataDir, id))).size > 0);
    }
    assert.equal(integrityCheck(oak.dataDir), "ok");
    assert.doesNotMatch(oak.output(), /Unhandled error|uncaught/i);
    await report("disk_full", figures);
  },
});
