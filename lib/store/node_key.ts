/**
 * The node's own Ed25519 key: created at first start, stored in
 * `<data>/node.key` with mode 0600, never logged. The file holds a versioned
 * text line so a future format can be told apart.
 */

import { ed25519 } from "@noble/curves/ed25519.js";
import { nodeIdFromPublicKey } from "../core/node_id.ts";
import { fromBase64Url, fromHex, toBase64Url } from "../crypto/mod.ts";
import { IntegrityError } from "../core/errors.ts";

const HEADER = "p2pos-node-key-v1";

export interface NodeKey {
  /** Grouped base32 node id (see lib/core/node_id.ts). */
  nodeId: string;
  publicKey: Uint8Array;
  /**
   * Signs with the node's private key; the key itself never leaves this object. WebCrypto
   * where the runtime has Ed25519 (native, ≈ 10× faster than @noble: every node request is
   * signed), @noble otherwise; both give the same RFC 8032 signature.
   */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** PKCS #8 wrapping of a raw Ed25519 seed (RFC 8410 §7): a fixed 16-byte prefix. */
const PKCS8_ED25519 = fromHex("302e020100300506032b657004220420");

async function webCryptoSigner(seed: Uint8Array): Promise<CryptoKey | null> {
  const pkcs8 = new Uint8Array(PKCS8_ED25519.length + seed.length);
  pkcs8.set(PKCS8_ED25519);
  pkcs8.set(seed, PKCS8_ED25519.length);
  try {
    return await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
  } catch {
    return null;
  } finally {
    pkcs8.fill(0);
  }
}

async function fromSeed(seed: Uint8Array): Promise<NodeKey> {
  const publicKey = ed25519.getPublicKey(seed);
  const key = await webCryptoSigner(seed);
  return {
    nodeId: await nodeIdFromPublicKey(publicKey),
    publicKey,
    sign: async (message) =>
      key
        ? new Uint8Array(
          await crypto.subtle.sign("Ed25519", key, message as Uint8Array<ArrayBuffer>),
        )
        : ed25519.sign(message, seed),
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
    let seed: Uint8Array;
    try {
      seed = fromBase64Url(encoded.trim());
    } catch (err) {
      throw new IntegrityError(`Node key ${path} is damaged: ${(err as Error).message}`);
    }
    if (seed.length !== 32) {
      throw new IntegrityError(`Node key ${path} holds ${seed.length} bytes, expected 32`);
    }
    return { key: await fromSeed(seed), created: false };
  }
  const seed = crypto.getRandomValues(new Uint8Array(32));
  // createNew: two processes starting on one data dir must not overwrite each other's key.
  const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  try {
    await file.write(new TextEncoder().encode(`${HEADER}\n${toBase64Url(seed)}\n`));
    await file.sync();
  } finally {
    file.close();
  }
  return { key: await fromSeed(seed), created: true };
}
