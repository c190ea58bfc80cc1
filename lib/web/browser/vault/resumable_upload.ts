/**
 * Resumable blob upload (DESIGN §6, lib/web/api/uploads.ts): open a session for the expected
 * blob id and size, send chunks at offsets, finish. When a chunk fails in transit — a dropped
 * connection, a node restarting — ask the node how far it got and carry on from the last
 * acknowledged offset instead of starting over. Browser-compatible: fetch only.
 *
 * @module
 */

import { ApiError, UNREACHABLE_MESSAGE } from "../api.ts";
import type { UploadReceipt } from "./types.ts";

/** Chunk size asked for; the node's `chunkLimit` caps it. */
export const CHUNK_BYTES = 8 * 1024 * 1024;

export interface UploadBlobOptions {
  fetch: typeof fetch;
  signal?: AbortSignal;
  /** Called with the bytes the node has acknowledged so far. */
  onProgress?: (acknowledged: number, total: number) => void;
  /** @default CHUNK_BYTES */
  chunkBytes?: number;
  /** Consecutive failed attempts tolerated before giving up. @default 6 */
  retries?: number;
  /** Waits before retry `attempt` (1-based). @default 0.5 s, 1 s, 2 s … capped at 8 s */
  backoff?: (attempt: number) => Promise<void>;
}

interface Session {
  upload: string | null;
  offset?: number;
  chunkLimit?: number;
  complete?: boolean;
  /** With `complete`: this member's own earlier upload of the blob. */
  receipt?: UploadReceipt;
}

function receiptOf(body: { receipt?: UploadReceipt }): UploadReceipt {
  if (!body.receipt) {
    throw new ApiError(0, "no_receipt", "The node stored the upload but gave no receipt for it.");
  }
  return body.receipt;
}

const defaultBackoff = (attempt: number) =>
  new Promise<void>((r) => setTimeout(r, Math.min(8000, 250 * 2 ** attempt)));

function aborted(signal?: AbortSignal): boolean {
  return signal?.aborted === true;
}

async function errorOf(res: Response, action: string): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = `The node refused ${action} (HTTP ${res.status}).`;
  try {
    const body = await res.json();
    if (typeof body?.error?.code === "string") code = body.error.code;
    if (typeof body?.error?.message === "string") message = body.error.message;
  } catch { /* not JSON */ }
  return new ApiError(res.status, code, message);
}

/** True for failures worth retrying: the connection, or the node being briefly unwell. */
function transient(err: unknown): boolean {
  if (err instanceof DOMException && err.name === "AbortError") return false;
  if (err instanceof ApiError) return err.status === 0 || err.status >= 500 || err.status === 429;
  return err instanceof TypeError; // fetch's "Failed to fetch"
}

/**
 * Uploads `blob` as blob `id`; resolves once the node has stored and verified it, with the
 * node's receipt for it, which the photo record that names the blob must carry.
 */
export async function uploadBlob(
  blob: Blob,
  id: string,
  options: UploadBlobOptions,
): Promise<UploadReceipt> {
  const doFetch = options.fetch;
  const signal = options.signal;
  const backoff = options.backoff ?? defaultBackoff;
  const retries = options.retries ?? 6;
  const size = blob.size;
  const json = { "Content-Type": "application/json", Accept: "application/json" };

  /** Runs `step`, retrying transient failures with backoff; `recover` runs before each retry. */
  const withRetry = async <T>(step: () => Promise<T>, recover?: () => Promise<void>) => {
    for (let attempt = 1;; attempt++) {
      try {
        return await step();
      } catch (err) {
        if (!transient(err) || aborted(signal) || attempt > retries) {
          if (err instanceof TypeError) {
            throw new ApiError(0, "unreachable", UNREACHABLE_MESSAGE, { cause: err });
          }
          throw err;
        }
        await backoff(attempt);
        if (recover) {
          try {
            await recover();
          } catch { /* the next attempt of step decides */ }
        }
      }
    }
  };

  const start = async () => {
    const res = await doFetch("/v1/uploads", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ blob: id, size }),
      signal,
    });
    if (!res.ok) throw await errorOf(res, "to start the upload");
    return await res.json() as Session;
  };
  /** After a lost finish answer: the node says "complete" only for this member's own upload. */
  const alreadyStored = async () => {
    const again = await start();
    if (again.upload) {
      await doFetch(`/v1/uploads/${encodeURIComponent(again.upload)}`, { method: "DELETE" });
    }
    return again.complete === true ? receiptOf(again) : undefined;
  };
  const open = await withRetry(start);
  if (open.complete || open.upload === null) {
    options.onProgress?.(size, size);
    return receiptOf(open);
  }
  const session = open.upload;
  const url = `/v1/uploads/${encodeURIComponent(session)}`;
  const chunk = Math.max(
    1,
    Math.min(options.chunkBytes ?? CHUNK_BYTES, open.chunkLimit ?? CHUNK_BYTES),
  );
  let offset = open.offset ?? 0;
  options.onProgress?.(offset, size);

  const askOffset = async () => {
    const res = await doFetch(url, { headers: { Accept: "application/json" }, signal });
    if (!res.ok) throw await errorOf(res, "to say how much it received");
    offset = (await res.json()).offset;
  };

  try {
    while (offset < size) {
      await withRetry(async () => {
        const res = await doFetch(url, {
          method: "PATCH",
          headers: { "Upload-Offset": String(offset), "Content-Type": "application/octet-stream" },
          body: blob.slice(offset, Math.min(size, offset + chunk)),
          signal,
        });
        if (res.status === 409) {
          // The node is elsewhere (a chunk landed although its answer was lost): go on from there.
          const body = await res.json().catch(() => ({}));
          if (typeof body.offset !== "number") throw await errorOf(res, "the chunk");
          offset = body.offset;
          return;
        }
        if (!res.ok) throw await errorOf(res, "a chunk of the upload");
        offset = (await res.json()).offset;
      }, askOffset);
      options.onProgress?.(offset, size);
    }
    let tries = 0;
    return await withRetry(async () => {
      tries++;
      const res = await doFetch(`${url}/finish`, {
        method: "POST",
        headers: json,
        body: "{}",
        signal,
      });
      if (res.status === 404 && tries > 1) {
        // An earlier finish landed but its answer was lost: the session is gone, the blob stored.
        const receipt = await alreadyStored();
        if (receipt) return receipt;
      }
      if (!res.ok) throw await errorOf(res, "to store the upload");
      return receiptOf(await res.json());
    });
  } catch (err) {
    // Cancelled or failed for good: let the node drop the partial upload now, not at expiry.
    doFetch(url, { method: "DELETE" }).catch(() => {});
    throw err;
  }
}
