import assert from "node:assert/strict";
import { join } from "node:path";
import { FsBlobStore } from "./fs_blob_store.ts";
import { IndexDb } from "./index_db.ts";
import { UploadSessions } from "./upload_sessions.ts";
import { patterned, sha256, streamOf } from "./_testing.ts";

async function withNode(fn: (dir: string, db: IndexDb, blobs: FsBlobStore) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-uploads-" });
  const db = await IndexDb.open(join(dir, "index.db"));
  try {
    await fn(dir, db, await FsBlobStore.open(dir));
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** A session with every byte appended, as a kill -9 during its finish leaves it. */
async function fullSession(uploads: UploadSessions, blobId: string, bytes: Uint8Array) {
  const s = uploads.create("member-a", blobId, bytes.byteLength);
  await uploads.append(s.id, "member-a", 0, streamOf(bytes, 65_536));
  return s;
}

Deno.test("UploadSessions at start completes a session whose verified bytes are stored but whose file is still there", async () => {
  await withNode(async (dir, db, blobs) => {
    const bytes = patterned(300_000, 1);
    const id = sha256(bytes);
    const noted: string[] = [];
    const onFinished = (s: { blobId: string; memberKey: string }) => void noted.push(s.memberKey);
    const s = await fullSession(await UploadSessions.open(db, blobs), id, bytes);
    // An object store's import: the blob is stored, the node died before removing the file.
    await blobs.put(id, streamOf(bytes));
    const again = await UploadSessions.open(db, blobs, { onFinished });
    assert.deepEqual(again.get(s.id, "member-a").finished?.created, true);
    assert.deepEqual(noted, ["member-a"]);
    await assert.rejects(Deno.stat(join(dir, "uploads", s.id)), Deno.errors.NotFound);
  });
});

Deno.test("UploadSessions at start never completes a session whose bytes are not the stored blob's", async () => {
  await withNode(async (dir, db, blobs) => {
    // Someone else's blob is stored; an attacker declares its id and sends other bytes of
    // its size, hoping a restart completes the session and lets them read the blob.
    const victim = patterned(300_000, 2);
    const id = sha256(victim);
    await blobs.put(id, streamOf(victim));
    const noted: string[] = [];
    const onFinished = (s: { memberKey: string }) => void noted.push(s.memberKey);
    const s = await fullSession(await UploadSessions.open(db, blobs), id, patterned(300_000, 3));
    const again = await UploadSessions.open(db, blobs, { onFinished });
    assert.equal(again.get(s.id, "member-a").finished, undefined);
    assert.deepEqual(noted, []);
    assert.equal((await Deno.stat(join(dir, "uploads", s.id))).size, 300_000);
  });
});
