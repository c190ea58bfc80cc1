/**
 * The rule that a photo names only blobs that are here (and that its uploader sent): checked
 * for photos a browser registers, before the record log stores them.
 *
 * @module
 */

import { ForbiddenError, ValidationError } from "../core/errors.ts";
import { RandomId } from "../core/schemas.ts";
import type { BlobStore, RecordLog } from "../store/mod.ts";
import { PhotoBody } from "./album_kinds.ts";
import { checkUploadReceipt } from "./upload_receipt.ts";

/**
 * A photo record may only be registered once its blobs are stored here, so
 * that nobody is shown a photo that cannot be opened. A new version of a photo
 * this node already holds (a file key re-wrapped for a new album epoch) that
 * keeps the same blobs is let through: this node may still be fetching them
 * from a peer, and the version it holds already points at them.
 *
 * Each blob's upload receipt is checked first (the record log checks it again):
 * a blob the uploader did not send herself is refused before the store is
 * asked, so no answer tells whether someone else's blob is here, or its size.
 */
export async function checkPhotoBlobs(
  records: unknown[],
  blobs: BlobStore,
  log: RecordLog,
): Promise<void> {
  for (const [i, r] of records.entries()) {
    const rec = r as { kind?: unknown; id?: unknown; body?: unknown };
    // A malformed body is for the record log to explain.
    const parsed = rec?.kind === "photo" ? PhotoBody.safeParse(rec.body) : undefined;
    if (!parsed?.success) continue;
    const body = parsed.data;
    const held = typeof rec.id === "string" && RandomId.safeParse(rec.id).success
      ? log.get<PhotoBody>("photo", rec.id)?.body
      : undefined;
    for (
      const [role, what] of [["original", "original"], ["thumb", "thumbnail"], [
        "meta",
        "metadata",
      ]] as const
    ) {
      const ref = body[role];
      if (!ref || (held && held[role]?.id === ref.id && held[role]?.size === ref.size)) continue;
      try {
        checkUploadReceipt(log, body.uploader, ref, { via: "api" }, what);
      } catch (err) {
        if (err instanceof ForbiddenError) err.message = `Record ${i}: ${err.message}`;
        throw err;
      }
      if (!(await blobs.stat(ref.id))) {
        throw new ValidationError(
          `Record ${i}: its ${what} blob has not reached this node yet; upload it here, ` +
            `or wait until it has come from the node that took the upload`,
        );
      }
    }
  }
}
