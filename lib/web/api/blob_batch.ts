/**
 * `POST /v1/blobs/batch` `{ ids }`: many blobs in one streamed answer (issue #16 §3), so an
 * album page's first thumbnails take one request instead of sixty. Each id is checked exactly
 * as `GET /v1/blobs/:id` checks it; an id she may not read, one nobody stored and one not
 * stored on this node yet all get the same "not readable" frame, with no length
 * (lib/core/blob_batch.ts, PROTOCOL.md §9). The byte cap counts only what she may read, so
 * hitting it tells nothing of the rest either.
 */

import type { Context } from "hono";
import { z } from "zod";
import {
  BLOB_BATCH_MAX_BYTES,
  BLOB_BATCH_MAX_IDS,
  FRAME_BYTES,
  FRAME_NOT_READABLE,
  frameHeader,
} from "../../core/blob_batch.ts";
import { IntegrityError, NotFoundError, TooLargeError } from "../../core/errors.ts";
import { getLogger } from "../../core/log.ts";
import type { BlobStore } from "../../store/mod.ts";
import { type AppEnv, requireAuth } from "../auth/middleware.ts";
import { readJson } from "../validate.ts";

const log = getLogger("web");

const BlobBatchBody = z.object({
  ids: z.array(z.string().regex(/^[0-9a-f]{64}$/, "a blob id is 64 lowercase hex characters"))
    .min(1).max(BLOB_BATCH_MAX_IDS),
}).strict();

/** The JSON bodies these routes read, by operation (the OpenAPI document describes them). */
export const BLOB_BODIES = { "POST /v1/blobs/batch": BlobBatchBody };

export interface BlobBatchDeps {
  blobs: BlobStore;
  canRead(blobId: string, memberKey: string): boolean;
  /** @default BLOB_BATCH_MAX_BYTES */
  maxBatchBytes?: number;
}

/** Cached as a single blob's answer when every blob in it was readable; else as a 404 is. */
const IMMUTABLE = "private, max-age=31536000, immutable";

export function blobBatchHandler(deps: BlobBatchDeps) {
  const maxBytes = deps.maxBatchBytes ?? BLOB_BATCH_MAX_BYTES;
  return async (c: Context<AppEnv>) => {
    const { memberKey } = requireAuth(c);
    const { ids } = await readJson(c, BLOB_BODIES["POST /v1/blobs/batch"]);
    // Sizes of readable blobs only: a hidden or missing one counts 0, as its frame does.
    const sizes = await Promise.all(ids.map(async (id) => {
      if (!deps.canRead(id, memberKey)) return null;
      return (await deps.blobs.stat(id))?.size ?? null;
    }));
    const total = sizes.reduce<number>((sum, s) => sum + (s ?? 0), 0);
    if (total > maxBytes) {
      throw new TooLargeError(
        `The blobs asked for come to more than this node's limit of ${maxBytes} bytes per ` +
          `batch: ask for fewer ids at a time`,
      );
    }
    let next = 0;
    let open: ReadableStreamDefaultReader<Uint8Array> | undefined;
    // Bytes the current frame still owes: a blob that reads shorter or longer than its header
    // said would shift every later frame, so the answer is cut off instead (a damaged body).
    let owed = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (open) {
          const { done, value } = await open.read();
          if (!done && value.length <= owed) {
            owed -= value.length;
            return controller.enqueue(value);
          }
          if (!done || owed !== 0) {
            await open.cancel();
            throw new IntegrityError(
              `Cannot send blob ${ids[next - 1]}: it read ${
                done ? "shorter" : "longer"
              } than its size`,
            );
          }
          open = undefined;
        }
        if (next === ids.length) return controller.close();
        const i = next++;
        if (sizes[i] === null) return controller.enqueue(frameHeader(FRAME_NOT_READABLE, 0));
        let read;
        try {
          read = await deps.blobs.readable(ids[i]);
        } catch (err) {
          // Removed since it was counted (purged, or a scrub quarantined it): not readable now.
          if (!(err instanceof NotFoundError)) throw err;
          return controller.enqueue(frameHeader(FRAME_NOT_READABLE, 0));
        }
        controller.enqueue(frameHeader(FRAME_BYTES, read.size));
        owed = read.size;
        open = read.stream.getReader();
      },
      async cancel() {
        await open?.cancel();
      },
    }, { highWaterMark: 0 });
    const readable = sizes.every((s) => s !== null);
    log.debug("Blob batch", { ids: ids.length, bytes: total });
    return new Response(body, {
      headers: {
        "Content-Type": "application/vnd.p2pos.blob-batch",
        "Cache-Control": readable ? IMMUTABLE : "no-store",
      },
    });
  };
}
