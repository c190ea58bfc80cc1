/**
 * Proof of possession (DESIGN §7, PROTOCOL §3.7): the holder of a blob returns
 * SHA-256(nonce ‖ blob) for a fresh random nonce. Without the whole blob that
 * value cannot be computed, and a fresh nonce makes an old answer worthless.
 */

import { createHash } from "node:crypto";
import type { BlobStore } from "../store/mod.ts";

export const PROOF_NONCE_BYTES = 32;

/**
 * Lowercase hex SHA-256 of `nonce ‖ blob`, streamed from the store, and in the
 * same pass the SHA-256 of the blob alone: a proof computed from a local copy
 * that rotted would wrongly accuse the peer, so the caller checks `hex === id`.
 */
export async function proofOf(
  blobs: BlobStore,
  id: string,
  nonce: Uint8Array,
): Promise<{ proof: string; hex: string }> {
  if (nonce.length < 16 || nonce.length > 64) {
    throw new RangeError(`Proof nonce expected 16 to 64 bytes, got ${nonce.length}`);
  }
  const { stream } = await blobs.get(id);
  const proof = createHash("sha256").update(nonce);
  const plain = createHash("sha256");
  for await (const chunk of stream) {
    proof.update(chunk);
    plain.update(chunk);
  }
  return { proof: proof.digest("hex"), hex: plain.digest("hex") };
}
