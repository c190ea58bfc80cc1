/**
 * Proof of possession (DESIGN §7, PROTOCOL §3.6): the holder of a blob returns
 * SHA-256(nonce ‖ blob) for a fresh random nonce. Without the whole blob that
 * value cannot be computed, and a fresh nonce makes an old answer worthless.
 */

import { createHash } from "node:crypto";
import type { BlobStore } from "../store/mod.ts";

export const PROOF_NONCE_BYTES = 32;

function checkNonce(nonce: Uint8Array): void {
  if (nonce.length < 16 || nonce.length > 64) {
    throw new RangeError(`Proof nonce expected 16 to 64 bytes, got ${nonce.length}`);
  }
}

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
  const { proofs, hex } = await proofsOf(blobs, id, [nonce]);
  return { proof: proofs[0], hex };
}

/**
 * {@link proofOf} for several nonces (one per peer asked) in one read of the blob, so
 * proving two peers' copies costs one pass over the local bytes, not two.
 */
export async function proofsOf(
  blobs: BlobStore,
  id: string,
  nonces: Uint8Array[],
  read?: { stream: ReadableStream<Uint8Array> },
): Promise<{ proofs: string[]; hex: string }> {
  try {
    nonces.forEach(checkNonce);
  } catch (err) {
    await read?.stream.cancel().catch(() => {});
    throw err;
  }
  const { stream } = read ?? await blobs.get(id);
  const hashes = nonces.map((n) => createHash("sha256").update(n));
  const plain = createHash("sha256");
  for await (const chunk of stream) {
    for (const h of hashes) h.update(chunk);
    plain.update(chunk);
  }
  return { proofs: hashes.map((h) => h.digest("hex")), hex: plain.digest("hex") };
}
