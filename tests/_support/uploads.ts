/**
 * Resumable uploads cut short by a kill -9 during their finish, for the crash tests of
 * `upload_finish_crash_test.ts` (files) and `s3_node_test.ts` (an S3 bucket).
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { call, createFamily } from "../../demo.ts";
import type { Rig } from "./rig.ts";

/** The steps of a finish, in order (FORMAT-independent: lib/store/upload_sessions.ts). */
export const FINISH_STEPS = [
  "blob.import.hashed", // bytes verified, not yet moved into blobs/
  "blob.import.moved", // renamed into blobs/, directory not yet synced
  "upload.finish.stored", // stored, session not yet marked finished
  "upload.finish.committed", // finished and uploader noted, answer not yet sent
];

export function unfinishedSessions(dataDir: string): number {
  const db = new DatabaseSync(`${dataDir}/index.db`, { readOnly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM upload_sessions WHERE finished_at IS NULL")
      .get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/**
 * Starts a node in `rig` armed at `fault`, creates the family, and sends `size` random bytes
 * through a resumable upload in 1 MiB chunks, short of finishing it. `env` configures the node.
 */
export async function uploadedButNotFinished(
  rig: Rig,
  fault: string,
  size: number,
  env: Record<string, string> = {},
) {
  const node = await rig.node({ env: { ...env, P2POS_FAULTS: fault } });
  const admin = await createFamily(
    { url: node.url, setupCode: node.setupCode! },
    { family: "River", founder: "Alice", node: "Oak" },
  );
  const cookie = admin.cookies.get(node.url)!;
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(bytes.subarray(i, i + 65_536));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const blob = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  const opened = await call(`${node.url}/v1/uploads`, "POST", { blob, size }, cookie);
  assert.equal(opened.status, 201);
  const { upload } = await opened.json();
  for (let off = 0; off < size; off += 1 << 20) {
    const res = await fetch(`${node.url}/v1/uploads/${upload}`, {
      method: "PATCH",
      headers: { cookie, "upload-offset": String(off) },
      body: bytes.slice(off, off + (1 << 20)),
    });
    assert.equal(res.status, 200, await res.text());
  }
  return { node, cookie, bytes, blob, upload };
}
