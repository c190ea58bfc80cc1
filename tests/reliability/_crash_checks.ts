/**
 * The checks of a kill -9 round (tests/reliability/crash_rounds.ts) that read the nodes' data
 * dirs: blobs rotted on purpose for the scrub, convergence of the two nodes, what differs when
 * they do not converge, and what a crash may leave behind.
 */

import type { NodeProcess } from "../_support/node_process.ts";
import { blobFiles, recordsOf } from "../integration/replication_cluster.ts";
import { blobPath, BlobVerifier, countRows, entries, readIndex, Rng } from "./_support.ts";
import { NAMES } from "./_crash_workload.ts";

/**
 * Damages one or two blobs on the (stopped) victim, chosen among those its peer holds whole:
 * the scrub must find them and fetch them again. Returns the ids it damaged.
 */
export async function rot(
  nodes: NodeProcess[],
  victim: number,
  acked: Map<string, { size: number }>,
  rng: Rng,
  verifier: BlobVerifier,
): Promise<string[]> {
  const other = nodes[1 - victim];
  const candidates = [...acked].filter(([, b]) => b.size > 0).map(([id]) => id);
  const damaged: string[] = [];
  for (let i = 0; i < 2 && candidates.length; i++) {
    const id = candidates.splice(rng.int(0, candidates.length - 1), 1)[0];
    if ((await verifier.bad(other.dataDir, [id])).length) continue;
    const path = blobPath(nodes[victim].dataDir, id);
    try {
      const file = await Deno.open(path, { read: true, write: true });
      try {
        const size = (await file.stat()).size;
        const at = rng.int(0, size - 1);
        await file.seek(at, Deno.SeekMode.Start);
        const one = new Uint8Array(1);
        await file.read(one);
        one[0] ^= 0x5a;
        await file.seek(at, Deno.SeekMode.Start);
        await file.write(one);
      } finally {
        file.close();
      }
      damaged.push(id);
    } catch {
      // Not on the victim (yet): nothing to rot.
    }
  }
  return damaged;
}

/** Waits until both nodes hold the same records and the same blobs, including every acked one. */
export async function converged(
  nodes: NodeProcess[],
  ackedBlobs: Map<string, unknown>,
  ackedRecords: Map<string, { sig: string }>,
  boundMs: number,
  alsoDone: () => Promise<boolean>,
): Promise<true | undefined> {
  const deadline = performance.now() + boundMs;
  while (performance.now() < deadline) {
    const [a, b] = await Promise.all(nodes.map((n) => blobFiles(n.dataDir)));
    const sameBlobs = a.size === b.size && [...a].every(([id, size]) => b.get(id) === size) &&
      [...ackedBlobs.keys()].every((id) => a.has(id));
    if (sameBlobs) {
      const ra = recordsOf(nodes[0].dataDir);
      const rb = recordsOf(nodes[1].dataDir);
      const sameRecords = ra.size === rb.size && [...ra].every(([k, sig]) => rb.get(k) === sig) &&
        [...ackedRecords].every(([k, r]) => ra.get(k) === r.sig);
      if (sameRecords && await alsoDone()) return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

/** What differs between the nodes, for a finding. */
export async function difference(nodes: NodeProcess[]): Promise<string> {
  const [a, b] = await Promise.all(nodes.map((n) => blobFiles(n.dataDir)));
  const ra = recordsOf(nodes[0].dataDir);
  const rb = recordsOf(nodes[1].dataDir);
  const onlyA = [...a.keys()].filter((id) => !b.has(id));
  const onlyB = [...b.keys()].filter((id) => !a.has(id));
  const recA = [...ra].filter(([k, s]) => rb.get(k) !== s).length;
  const recB = [...rb].filter(([k, s]) => ra.get(k) !== s).length;
  const jobs = nodes.map((n) =>
    countRows(n.dataDir, "SELECT count(*) AS n FROM blob_jobs WHERE state != 'done'")
  );
  return `blobs only on ${NAMES[0]}: ${onlyA.length} (${onlyA.slice(0, 2).join(", ")}), only on ${
    NAMES[1]
  }: ${onlyB.length} (${
    onlyB.slice(0, 2).join(", ")
  }); records differing: ${recA}/${recB}; unfinished jobs: ${jobs.join("/")}`;
}

/**
 * Leftover temp and upload files, or unfinished upload sessions a client knows of, on a
 * converged node; and how many sessions were opened without their opener ever hearing so (the
 * node died before answering): those hold no bytes and expire after the sessions' 24 h TTL.
 */
export async function leftovers(
  node: NodeProcess,
  known: Set<string>,
): Promise<{ problem?: string; unheard: number }> {
  // A transfer may still be writing its temp file: leftovers are what stays.
  const deadline = performance.now() + 10_000;
  let tmp: string[] = [];
  do {
    tmp = await entries(`${node.dataDir}/tmp`);
    if (tmp.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  } while (performance.now() < deadline);
  const uploads = await entries(`${node.dataDir}/uploads`);
  const open = openSessions(node.dataDir);
  const stuck = open.filter((id) => known.has(id));
  const parts: string[] = [];
  if (tmp.length) parts.push(`${tmp.length} files left in tmp/`);
  if (uploads.length) parts.push(`${uploads.length} files left in uploads/`);
  if (stuck.length) parts.push(`${stuck.length} upload sessions a client opened left unfinished`);
  return {
    problem: parts.length ? parts.join(", ") : undefined,
    unheard: open.length - stuck.length,
  };
}

function openSessions(dataDir: string): string[] {
  return readIndex(
    dataDir,
    (db) =>
      (db.prepare("SELECT id FROM upload_sessions WHERE finished_at IS NULL").all() as {
        id: string;
      }[]).map((r) => r.id),
  );
}
