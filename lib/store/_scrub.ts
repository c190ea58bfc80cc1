/**
 * Re-hashes stored blobs to find silent corruption (bit rot, a bad disk, a stray editor).
 * Streaming, one blob at a time, in fan-out order.
 */

import { getLogger } from "../core/log.ts";
import type { BlobId } from "./blob_id.ts";
import type { Fanout } from "./_fanout.ts";
import type { ScrubOptions, ScrubReport } from "./blob_store_types.ts";
import { hashFile } from "./hash_file.ts";
import { walkBlobIds } from "./_walk_blob_ids.ts";

const log = getLogger("store");

/**
 * Corrupt blobs are reported, never deleted: the caller decides whether to fetch a good copy
 * from a peer. `total` is the count taken before the walk; blobs put meanwhile may be seen.
 */
export async function scrubBlobs(
  blobs: Fanout,
  total: number,
  options: ScrubOptions,
): Promise<ScrubReport> {
  const corrupt: BlobId[] = [];
  let checked = 0;
  let done = 0;
  for await (const id of walkBlobIds(blobs.dir)) {
    options.signal?.throwIfAborted();
    try {
      const { hex } = await hashFile(blobs.path(id));
      checked++;
      if (hex !== id) {
        corrupt.push(id);
        log.warn("Blob is corrupt", { id, hashesTo: hex });
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err; // deleted while scrubbing
    }
    options.onProgress?.(++done, Math.max(total, done));
  }
  return { checked, corrupt };
}
