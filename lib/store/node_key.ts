/**
 * The node's own Ed25519 key: created at first start, stored in
 * `<data>/node.key` with mode 0600, never logged. The file holds a versioned
 * text line so a future format can be told apart.
 */

import { ed25519 } from "@noble/curves/ed25519.js";
import { nodeIdFromPublicKey } from "../core/node_id.ts";
import { IntegrityError } from "../core/errors.ts";

const HEADER = "p2pos-node-key-v1";

export interface NodeKey {
  /** Grouped base32 node id (see lib/core/node_id.ts). */
  nodeId: string;
  publicKey: Uint8Array;
  /** Signs with the node's private key; the key itself never leaves this object. */
  sign(message: Uint8Array): Uint8Array;
}

function b64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

function fromB64url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function fromSeed(seed: Uint8Array): Promise<NodeKey> {
  const publicKey = ed25519.getPublicKey(seed);
  return {
    nodeId: await nodeIdFromPublicKey(publicKey),
    publicKey,
    sign: (message) => ed25519.sign(message, seed),
  };
}

/**
 * Loads `path`, or creates it when missing. Returns `created: true` on first
 * start so the caller can greet the operator. Refuses a key file that other
 * users can read, because whoever holds it can speak for this node.
 */
export async function loadOrCreateNodeKey(
  path: string,
): Promise<{ key: NodeKey; created: boolean }> {
  let text: string | undefined;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (text !== undefined) {
    const info = await Deno.stat(path);
    if (info.mode !== null && (info.mode & 0o077) !== 0) {
      throw new Error(
        `Node key ${path} is readable by other users (mode ${(info.mode & 0o777).toString(8)}); ` +
          `run: chmod 600 ${path}`,
      );
    }
    const [header, encoded] = text.trim().split("\n");
    if (header !== HEADER || !encoded) {
      throw new IntegrityError(`Node key ${path} is not a ${HEADER} file`);
    }
    const seed = fromB64url(encoded.trim());
    if (seed.length !== 32) {
      throw new IntegrityError(`Node key ${path} holds ${seed.length} bytes, expected 32`);
    }
    return { key: await fromSeed(seed), created: false };
  }
  const seed = crypto.getRandomValues(new Uint8Array(32));
  // createNew: two processes starting on one data dir must not overwrite each other's key.
  const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  try {
    await file.write(new TextEncoder().encode(`${HEADER}\n${b64url(seed)}\n`));
    await file.sync();
  } finally {
    file.close();
  }
  return { key: await fromSeed(seed), created: true };
}
