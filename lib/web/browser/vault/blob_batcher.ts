/**
 * Thumbnail bytes in batches (issue #16 §3): the blob ids asked within one tick go to the node
 * as one `POST /v1/blobs/batch` (PROTOCOL.md §9), up to `maxIds` per request, and each id's
 * promise settles as soon as its frame has arrived, so decryption starts while the rest of the
 * answer is still streaming. A node without the route (an older node: 404) gets single
 * `GET /v1/blobs/:id` requests from then on. Only ciphertext passes through here; nothing is
 * kept. Browser-compatible.
 *
 * @module
 */

import { BLOB_BATCH_MAX_IDS, readBlobBatch } from "../../../core/blob_batch.ts";
import { ApiError } from "../api.ts";

export interface BlobBatcherOptions {
  /** Ids per request. @default 32 */
  maxIds?: number;
  /** Batch requests in flight at once (HTTP/1.1 gives a page six connections). @default 3 */
  maxBatches?: number;
}

interface Waiter {
  resolve(bytes: Uint8Array): void;
  reject(err: unknown): void;
}

/** The answer for an id the node would not give: as a single GET's 404 says it. */
export function notHeldError(): ApiError {
  return new ApiError(
    404,
    "not_found",
    "This node does not hold this photo's encrypted file yet (it may still be replicating).",
  );
}

export class BlobBatcher {
  readonly #waiting = new Map<string, Waiter[]>();
  readonly #maxIds: number;
  readonly #maxBatches: number;
  #inFlight = 0;
  #scheduled = false;
  /** Set once the node answered that it has no batch route. */
  #single = false;

  /**
   * `doFetch` reaches the node (same origin, session cookie); `fetchOne` reads one blob the
   * old way, for nodes without the batch route and for batches past the node's byte cap.
   */
  constructor(
    private readonly doFetch: typeof fetch,
    private readonly fetchOne: (id: string) => Promise<Uint8Array>,
    options: BlobBatcherOptions = {},
  ) {
    this.#maxIds = options.maxIds ?? 32;
    this.#maxBatches = options.maxBatches ?? 3;
    if (!Number.isInteger(this.#maxIds) || this.#maxIds < 1 || this.#maxIds > BLOB_BATCH_MAX_IDS) {
      throw new RangeError(`"maxIds" expected 1…${BLOB_BATCH_MAX_IDS}, got ${this.#maxIds}`);
    }
    if (!Number.isInteger(this.#maxBatches) || this.#maxBatches < 1) {
      throw new RangeError(`"maxBatches" expected ≥ 1, got ${this.#maxBatches}`);
    }
  }

  /** The blob's (still encrypted) bytes, fetched with the other ids asked in the same tick. */
  get(id: string): Promise<Uint8Array> {
    if (this.#single) return this.fetchOne(id);
    return new Promise((resolve, reject) => {
      const waiters = this.#waiting.get(id);
      if (waiters) waiters.push({ resolve, reject });
      else this.#waiting.set(id, [{ resolve, reject }]);
      if (!this.#scheduled) {
        this.#scheduled = true;
        setTimeout(() => {
          this.#scheduled = false;
          this.#flush();
        }, 0);
      }
    });
  }

  #flush(): void {
    while (this.#waiting.size > 0 && this.#inFlight < this.#maxBatches) {
      const batch = new Map<string, Waiter[]>();
      for (const [id, waiters] of this.#waiting) {
        if (batch.size === this.#maxIds) break;
        batch.set(id, waiters);
        this.#waiting.delete(id);
      }
      this.#inFlight++;
      this.#send(batch).finally(() => {
        this.#inFlight--;
        this.#flush();
      });
    }
  }

  async #send(batch: Map<string, Waiter[]>): Promise<void> {
    const ids = [...batch.keys()];
    const settle = (id: string, bytes: Uint8Array | null, err?: unknown) => {
      for (const w of batch.get(id) ?? []) bytes ? w.resolve(bytes) : w.reject(err);
      batch.delete(id);
    };
    const oneByOne = () => {
      for (const id of [...batch.keys()]) {
        this.fetchOne(id).then((bytes) => settle(id, bytes), (err) => settle(id, null, err));
      }
    };
    let res: Response;
    try {
      res = await this.doFetch("/v1/blobs/batch", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ids }),
      });
    } catch (cause) {
      const err = new ApiError(0, "unreachable", "Cannot reach this node to fetch the photo.", {
        cause,
      });
      for (const id of ids) settle(id, null, err);
      return;
    }
    if (res.status === 404 || res.status === 405 || res.status === 413) {
      await res.body?.cancel();
      // 404/405: a node older than the route. 413: these blobs are too big to go together.
      if (res.status !== 413) this.#single = true;
      return oneByOne();
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      const err = new ApiError(
        res.status,
        `http_${res.status}`,
        `The node refused the photos (HTTP ${res.status}).`,
      );
      for (const id of ids) settle(id, null, err);
      return;
    }
    try {
      for await (const item of readBlobBatch(res.body, ids.length)) {
        settle(ids[item.index], item.bytes, notHeldError());
      }
    } catch (cause) {
      // A cut or damaged answer: what arrived whole stands, the rest fails and may be asked again.
      const err = new ApiError(0, "unreachable", "The node's answer broke off; try again.", {
        cause,
      });
      for (const id of [...batch.keys()]) settle(id, null, err);
    }
  }
}
