/**
 * Inventory reconciliation (DESIGN §7, PROTOCOL §3.4): page through a peer's
 * blob ids, record that it holds each of them, and queue a pull for every one
 * this node lacks. Pull-only by design: every node runs it against every
 * peer, so each side fetches what it misses and no blob is sent twice. This is
 * what lets a node that was off, or lost a job, catch up by itself.
 */

import type { PeerAddress, Transport } from "../core/transport.ts";
import type { BlobStore } from "../store/mod.ts";
import type { BlobJobQueue } from "./blob_jobs.ts";
import type { LocationStore } from "./locations.ts";

export interface InventoryResult {
  listed: number;
  queued: number;
  /** Locations dropped because the peer no longer lists the blob. */
  gone: number;
}

export const INVENTORY_PAGE = 5000;

export async function reconcileInventory(
  deps: {
    blobs: BlobStore;
    jobs: BlobJobQueue;
    locations: LocationStore;
    now: () => number;
    inbound: Set<string>;
    onLocations: (ids: string[]) => void;
  },
  peer: PeerAddress,
  t: Transport,
): Promise<InventoryResult> {
  const since = deps.now();
  let after: string | undefined;
  let listed = 0;
  let queued = 0;
  for (let pages = 0; pages < 100_000; pages++) {
    const page = await t.inventory(peer, after, INVENTORY_PAGE);
    const ids = page.ids.filter((id) => /^[0-9a-f]{64}$/.test(id));
    listed += ids.length;
    const fresh = deps.locations.ackMany(ids, peer.nodeId, deps.now());
    if (fresh.length) {
      deps.jobs.completePushes(peer.nodeId, fresh);
      deps.onLocations(fresh);
    }
    // One question for the page: an object store lists the range instead of a HEAD per id.
    const held = await deps.blobs.hasMany(ids);
    const missing = ids.filter((id, k) => !held[k] && !deps.inbound.has(id));
    queued += deps.jobs.enqueueMany(
      missing.map((blobId) => ({ blobId, peerId: peer.nodeId, dir: "pull" as const })),
    );
    if (!page.next || page.next === after) break;
    after = page.next;
  }
  const gone = deps.locations.removeUnseen(peer.nodeId, since);
  return { listed, queued, gone };
}
