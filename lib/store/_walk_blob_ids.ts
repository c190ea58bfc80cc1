/**
 * Ordered traversal of the `blobs/ab/cd/<id>` fan-out. Reading each directory level sorted
 * yields ids in ascending order without listing the whole store, and a cursor skips every
 * directory before it, so a page of a 100k-blob store reads only the directories it returns.
 */

import { join } from "node:path";
import { type BlobId, isBlobId } from "./blob_id.ts";

const FAN_DIR = /^[0-9a-f]{2}$/;

/** Yields the ids stored under `blobsDir` in ascending order, starting after `after`. */
export async function* walkBlobIds(blobsDir: string, after?: BlobId): AsyncGenerator<BlobId> {
  const from = after ?? "";
  for (const a of await sortedNames(blobsDir, (e) => e.isDirectory && FAN_DIR.test(e.name))) {
    if (a < from.slice(0, 2)) continue;
    const dirA = join(blobsDir, a);
    for (const b of await sortedNames(dirA, (e) => e.isDirectory && FAN_DIR.test(e.name))) {
      if (a + b < from.slice(0, 4)) continue;
      const prefix = a + b;
      // A file in the wrong fan-out directory would never be found by get(); skip it here too.
      const ids = await sortedNames(
        join(dirA, b),
        (e) => e.isFile && isBlobId(e.name) && e.name.startsWith(prefix),
      );
      for (const id of ids) if (id > from) yield id;
    }
  }
}

async function sortedNames(dir: string, keep: (e: Deno.DirEntry) => boolean): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) if (keep(entry)) names.push(entry.name);
  } catch (err) {
    // A directory can vanish between listing its parent and reading it.
    if (err instanceof Deno.errors.NotFound) return names;
    throw err;
  }
  // Code-unit order equals byte order for hex names.
  return names.sort();
}
