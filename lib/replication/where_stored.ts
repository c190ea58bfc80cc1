/**
 * "Where is it stored" for a set of blobs (a photo's original and thumbnail,
 * an album's photos): for every family node, whether it holds each blob,
 * acknowledged when, verified when, or what is pending.
 */

import type { NodeCopy, WhereStored } from "../core/replication_view.ts";
import type { BlobStore } from "../store/mod.ts";
import type { BlobJob } from "./blob_jobs.ts";
import type { Location } from "./locations.ts";
import type { Peer } from "./peers.ts";

export async function buildWhereStored(
  input: {
    blobs: BlobStore;
    self: string;
    peers: Peer[];
    locations: Location[];
    jobs: BlobJob[];
    lastScrub?: number;
  },
  blobIds: string[],
): Promise<WhereStored[]> {
  const stats = await Promise.all(blobIds.map((id) => input.blobs.stat(id)));
  return blobIds.map((blobId, i) => {
    const stat = stats[i];
    // This node's copy was hashed against its id when it was stored, and again by each scrub.
    const storedAt = stat?.mtime?.getTime();
    const here: NodeCopy = stat
      ? {
        nodeId: input.self,
        self: true,
        state: "verified",
        ackedAt: storedAt,
        verifiedAt: input.lastScrub && storedAt && input.lastScrub > storedAt
          ? input.lastScrub
          : storedAt,
      }
      : {
        nodeId: input.self,
        self: true,
        state: input.jobs.some((j) => j.blobId === blobId && j.dir === "pull" && j.state !== "done")
          ? "pending"
          : "missing",
      };
    const peers = input.peers.map((p): NodeCopy => {
      const loc = input.locations.find((l) => l.blobId === blobId && l.nodeId === p.nodeId);
      if (loc) {
        return {
          nodeId: p.nodeId,
          self: false,
          state: loc.verifiedAt ? "verified" : "stored",
          ackedAt: loc.ackedAt,
          verifiedAt: loc.verifiedAt,
        };
      }
      const job = input.jobs.find((j) =>
        j.blobId === blobId && j.peerId === p.nodeId && j.dir === "push" && j.state !== "done"
      );
      return {
        nodeId: p.nodeId,
        self: false,
        state: job?.state === "failed" ? "failed" : "pending",
        lastError: job?.lastError,
      };
    });
    return { blobId, nodes: [here, ...peers] };
  });
}
