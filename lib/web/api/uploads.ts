/**
 * Resumable uploads (DESIGN §6): `POST /v1/uploads {blob, size}` opens a
 * session; `PATCH /v1/uploads/:id` with `Upload-Offset: N` appends a chunk at
 * N (409 with the current offset otherwise, so a client resumes after a
 * dropped connection); `GET` tells the offset; `POST …/finish` stores the blob
 * only if the bytes hash to the expected id, and answers with the uploader's
 * receipt (FORMAT §13); `DELETE` cancels. Opening a session for a blob that is
 * stored already answers as for a new one: the bytes must still be sent.
 */

import { Hono } from "hono";
import { z } from "zod";
import { ConflictError, TooLargeError, ValidationError } from "../../core/errors.ts";
import { Hex64 } from "../../core/schemas.ts";
import type { BlobStore, UploadSessions } from "../../store/mod.ts";
import { describe } from "./openapi.ts";
import { type AppEnv, requireAuth } from "../auth/middleware.ts";
import { readJson } from "../validate.ts";
import { rethrowBodyFailure } from "../errors.ts";
import type { UploadReceipt } from "../../vault/upload_receipt.ts";

export interface UploadRoutesDeps {
  uploads: UploadSessions;
  blobs: BlobStore;
  maxBlobBytes: number;
  /** Whether this member uploaded all of this blob's bytes to this node before. */
  isUploader(blobId: string, memberKey: string): boolean;
  /** This node's upload receipt for a member who uploaded a blob (FORMAT §13). */
  receipt(blobId: string, memberKey: string, size: number): Promise<UploadReceipt>;
}

/** The JSON bodies these routes read, by operation (the OpenAPI document describes them). */
export const UPLOAD_BODIES = {
  "POST /v1/uploads": z.object({ blob: Hex64, size: z.number().int().nonnegative() }).strict(),
};

export function uploadRoutes(deps: UploadRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post(
    "/uploads",
    describe({
      summary: "Open a resumable upload for {blob, size} (complete at once only for my own)",
      body: UPLOAD_BODIES["POST /v1/uploads"],
    }),
    async (c) => {
      const auth = requireAuth(c);
      const { blob, size } = await readJson(c, UPLOAD_BODIES["POST /v1/uploads"]);
      if (size > deps.maxBlobBytes) {
        throw new TooLargeError(
          `A blob of ${size} bytes exceeds this node's limit of ${deps.maxBlobBytes}`,
        );
      }
      // Her own earlier upload (a retry after a lost answer) is complete. Anyone else sends
      // the bytes, whether they are stored already or not: the answer must not tell, and
      // only having the bytes makes her an uploader (SECURITY.md, "Reading blobs").
      if (
        deps.isUploader(blob, auth.memberKey) && (await deps.blobs.stat(blob))?.size === size
      ) {
        const receipt = await deps.receipt(blob, auth.memberKey, size);
        return c.json({ upload: null, blob, size, complete: true, receipt });
      }
      const s = deps.uploads.create(auth.memberKey, blob, size);
      return c.json(
        { upload: s.id, blob, size, offset: 0, chunkLimit: deps.uploads.maxChunkBytes },
        201,
      );
    },
  );

  app.get(
    "/uploads/:id",
    describe({ summary: "The acknowledged offset of an upload (finished: true once stored)" }),
    (c) => {
      const auth = requireAuth(c);
      const s = deps.uploads.get(c.req.param("id"), auth.memberKey);
      return c.json({
        upload: s.id,
        blob: s.blobId,
        size: s.size,
        offset: s.offset,
        ...(s.finished ? { finished: true } : {}),
      });
    },
  );

  app.patch(
    "/uploads/:id",
    describe({ summary: "Append a chunk at Upload-Offset (409 tells the offset)" }),
    async (c) => {
      const auth = requireAuth(c);
      const header = c.req.header("upload-offset");
      if (!header || !/^\d+$/.test(header)) {
        throw new ValidationError("Send the chunk's position as Upload-Offset: <bytes>");
      }
      const body = c.req.raw.body;
      if (!body) throw new ValidationError("Send the chunk's bytes as the body");
      try {
        const offset = await deps.uploads.append(
          c.req.param("id"),
          auth.memberKey,
          Number(header),
          body,
        );
        return c.json({ offset });
      } catch (err) {
        if (err instanceof ConflictError) {
          const s = deps.uploads.get(c.req.param("id"), auth.memberKey);
          return c.json(
            { error: { code: "conflict", message: err.message }, offset: s.offset },
            409,
          );
        }
        rethrowBodyFailure(err, "Upload chunk");
      }
    },
  );

  app.post(
    "/uploads/:id/finish",
    describe({
      summary:
        "Store the blob if the bytes hash to its id (else 422); answers my receipt; asked again, the same answer",
    }),
    async (c) => {
      const auth = requireAuth(c);
      // The session's end and the uploader's right to read the blob commit together (the
      // sessions' onFinished), so a crash never leaves one without the other.
      const result = await deps.uploads.finish(c.req.param("id"), auth.memberKey);
      // All her bytes arrived and hashed right: she had them, so she is an uploader (noted with
      // the session's end) and gets her receipt, the same whether the bytes were new or not.
      const receipt = await deps.receipt(result.id, auth.memberKey, result.size);
      return c.json({ blob: result.id, size: result.size, receipt }, 201);
    },
  );

  app.delete("/uploads/:id", describe({ summary: "Cancel an upload" }), async (c) => {
    const auth = requireAuth(c);
    await deps.uploads.cancel(c.req.param("id"), auth.memberKey);
    return c.body(null, 204);
  });

  return app;
}
