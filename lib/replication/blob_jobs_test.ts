import assert from "node:assert/strict";
import { IndexDb } from "../store/mod.ts";
import { BlobJobQueue } from "./blob_jobs.ts";

const A = "a".repeat(64);
const B = "b".repeat(64);

async function queue(options: ConstructorParameters<typeof BlobJobQueue>[1] = {}) {
  let now = 1_000_000;
  const db = await IndexDb.open(":memory:");
  const q = new BlobJobQueue(db, { now: () => now, random: () => 0.5, ...options });
  return { q, db, advance: (ms: number) => (now += ms), now: () => now };
}

Deno.test("A job goes pending → in flight → done, and is claimed once", async () => {
  const { q, db } = await queue();
  assert.equal(q.enqueue(A, "pine", "push", 10), true);
  assert.equal(q.enqueue(A, "pine", "push", 10), false, "already pending");
  const [job] = q.claim(4);
  assert.equal(job.state, "in_flight");
  assert.deepEqual(q.claim(4), [], "nothing else is due");
  q.complete(job);
  assert.equal(q.get(A, "pine", "push")?.state, "done");
  db.close();
});

Deno.test("Failures back off exponentially, then fail, and failed jobs return after the retry delay", async () => {
  const { q, db, advance } = await queue({
    backoffBaseMs: 1000,
    maxAttempts: 3,
    failedRetryAfterMs: 120_000,
  });
  q.enqueue(A, "pine", "push");
  let [job] = q.claim(1);
  assert.equal(q.fail(job, "connection refused"), "pending");
  assert.deepEqual(q.claim(1), [], "waits for its backoff");
  advance(999);
  assert.deepEqual(q.claim(1), []);
  advance(1);
  [job] = q.claim(1);
  assert.equal(job.attempts, 1);
  assert.equal(q.fail(job, "again"), "pending");
  assert.equal(q.get(A, "pine", "push")!.nextAt - 1_001_000, 2000, "doubles");
  advance(2000);
  [job] = q.claim(1);
  assert.equal(q.fail(job, "third"), "failed");
  assert.equal(q.get(A, "pine", "push")?.lastError, "third");
  advance(119_999);
  assert.equal(q.requeueFailed(), 0);
  advance(1);
  assert.equal(q.requeueFailed(), 1, "P2POS_REP_FAILED_RETRY_AFTER_SECS later");
  const again = q.get(A, "pine", "push")!;
  assert.equal(again.state, "pending");
  assert.equal(again.attempts, 0);
  db.close();
});

Deno.test("An error that will not pass by itself fails the job at once", async () => {
  const { q, db } = await queue();
  q.enqueue(A, "pine", "pull");
  const [job] = q.claim(1);
  assert.equal(q.fail(job, "refused", false), "failed");
  db.close();
});

Deno.test("After a crash, jobs left in flight are pending again; a returning peer's jobs are due now", async () => {
  const { q, db, advance } = await queue();
  q.enqueue(A, "pine", "push");
  q.enqueue(B, "pine", "push");
  const [a] = q.claim(1);
  assert.equal(a.blobId, A);
  assert.equal(q.recoverInFlight(), 1);
  assert.equal(q.get(A, "pine", "push")?.state, "pending");
  const claimed = q.claim(2);
  for (const j of claimed) q.fail(j, "down");
  advance(10);
  assert.deepEqual(q.claim(2), []);
  assert.equal(q.kickPeer("pine"), 2);
  assert.equal(q.claim(2).length, 2);
  db.close();
});

Deno.test("One blob is pulled from one peer at a time, and busy blobs are skipped", async () => {
  const { q, db } = await queue();
  q.enqueue(A, "oak", "pull");
  q.enqueue(A, "cedar", "pull");
  q.enqueue(B, "oak", "pull");
  const claimed = q.claim(4, (j) => j.blobId === B);
  assert.deepEqual(claimed.map((j) => j.blobId), [A]);
  q.completePulls(A);
  assert.equal(q.get(A, "cedar", "pull")?.state, "done", "one copy is enough");
  db.close();
});

Deno.test("Backlog counts group by peer, direction and state", async () => {
  const { q, db } = await queue();
  q.enqueue(A, "pine", "push", 100);
  q.enqueue(B, "pine", "push", 50);
  q.enqueue(A, "cedar", "push", 100);
  q.completePushes("pine", [A]);
  const counts = q.counts().sort((x, y) => (x.peerId + x.state).localeCompare(y.peerId + y.state));
  assert.deepEqual(counts.map((c) => [c.peerId, c.state, c.n, c.bytes]), [
    ["cedar", "pending", 1, 100],
    ["pine", "done", 1, 100],
    ["pine", "pending", 1, 50],
  ]);
  q.dropPeer("cedar");
  assert.equal(q.counts().some((c) => c.peerId === "cedar"), false);
  db.close();
});
