/**
 * `PUT /v1/blobs/:id` (streaming body) and `GET /v1/blobs/:id` (with Range);
 * `POST /v1/blobs/batch` (many blobs in one framed answer: ./blob_batch.ts).
 *
 * Every id is validated before the store is touched, so path tricks never
 * reach the filesystem. Uploads stream to disk through the store, which
 * verifies the SHA-256 and acknowledges only after fsync; the answer carries
 * the uploader's receipt (FORMAT §13) and is the same whether the bytes were
 * stored already or not.
 */

import { type Context, Hono } from "hono";
import { NotFoundError, ValidationError } from "../../core/errors.ts";
import { rethrowBodyFailure } from "../errors.ts";
import { assertDeclaredBlobSize } from "../validate.ts";
import { describe } from "./openapi.ts";
import { type AppEnv, requireAuth } from "../auth/middleware.ts";
import { assertBlobId } from "../../core/blob_id.ts";
import type { BlobStore } from "../../store/mod.ts";
import { parseRange } from "../range.ts";
import type { UploadReceipt } from "../../vault/upload_receipt.ts";
import { BLOB_BODIES, blobBatchHandler } from "./blob_batch.ts";

export interface BlobRoutesDeps {
  blobs: BlobStore;
  maxBlobBytes: number;
  /** An upload that sends nothing for this long fails with 408 and keeps nothing. */
  stallMs: number;
  /** The read policy: may this member read this blob? (Only asked about valid ids.) */
  canRead(blobId: string, memberKey: string): boolean;
  /** Called after a member stored a blob's bytes; returns her upload receipt. */
  uploaded(blobId: string, memberKey: string, size: number): Promise<UploadReceipt>;
}

export function blobRoutes(deps: BlobRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.put(
    "/:id",
    describe({
      summary: "Store a blob in one request (streamed; 422 on hash mismatch); answers my receipt",
    }),
    async (c) => {
      const id = c.req.param("id");
      assertBlobId(id);
      const auth = requireAuth(c);
      assertDeclaredBlobSize(c.req.header("content-length"), deps.maxBlobBytes);
      const body = c.req.raw.body;
      if (!body) throw new ValidationError("PUT /v1/blobs/:id needs the blob bytes as the body");
      let result;
      try {
        result = await deps.blobs.put(id, body, {
          maxBytes: deps.maxBlobBytes,
          stallMs: deps.stallMs,
        });
      } catch (err) {
        // The store has already removed its temp file; nothing was acknowledged.
        rethrowBodyFailure(err, "Blob upload");
      }
      const receipt = await deps.uploaded(id, auth.memberKey, result.size);
      // The same answer whether these bytes were here already or not: no existence oracle.
      return c.json({ id: result.id, size: result.size, receipt }, 201);
    },
  );

  const read = async (
    c: Context<AppEnv>,
    id: string,
    rangeHeader: string | undefined,
    head: boolean,
  ) => {
    assertBlobId(id);
    // Existence is not revealed to members who may not read the blob: the same 404.
    if (!deps.canRead(id, requireAuth(c).memberKey)) {
      throw new NotFoundError(`Cannot read blob ${id}: it is not stored`);
    }
    const stat = await deps.blobs.stat(id);
    const size = stat?.size ?? 0;
    const range = stat ? parseRange(rangeHeader, size) : undefined;
    const got = await deps.blobs.get(id, range);
    const headers = new Headers({
      "Content-Type": "application/octet-stream",
      "Accept-Ranges": "bytes",
      "Content-Length": String(got.end - got.start + 1),
      // Content-addressed: the bytes under an id never change.
      "ETag": `"${id}"`,
      "Cache-Control": "private, max-age=31536000, immutable",
    });
    if (range) headers.set("Content-Range", `bytes ${got.start}-${got.end}/${got.size}`);
    if (head) await got.stream.cancel();
    return new Response(head ? null : got.stream, { status: range ? 206 : 200, headers });
  };

  // Before "/:id": "batch" is not a blob id.
  app.post(
    "/batch",
    describe({
      summary: "Up to 100 blobs in one framed stream ({ids}; PROTOCOL §9): each one's bytes, " +
        'or "not readable" alike for unreadable, unknown and not-yet-stored ids; 16 MiB at most',
      body: BLOB_BODIES["POST /v1/blobs/batch"],
    }),
    blobBatchHandler(deps),
  );
  app.get(
    "/:id",
    describe({ summary: "Read a blob I may read (Range supported); 404 otherwise" }),
    (c) => read(c, c.req.param("id"), c.req.header("range"), false),
  );
  app.on(
    "HEAD",
    "/:id",
    describe({ summary: "Blob size, if I may read it" }),
    (c) => read(c, c.req.param("id"), undefined, true),
  );

  return app;
}
