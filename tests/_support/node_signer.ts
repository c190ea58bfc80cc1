/**
 * A fresh node key for tests, signing in memory. Uses only lib/crypto and lib/core, so tests
 * of any layer may use it.
 */

import { ed25519 } from "@noble/curves/ed25519.js";
import { nodeIdFromPublicKey } from "../../lib/core/node_id.ts";
import type { NodeSigner } from "../../lib/core/transport.ts";

/** A new random node key as a {@link NodeSigner}. */
export async function newNodeSigner(): Promise<NodeSigner> {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const publicKey = ed25519.getPublicKey(seed);
  return {
    nodeId: await nodeIdFromPublicKey(publicKey),
    publicKey,
    sign: (m) => ed25519.sign(m, seed),
  };
}
