/**
 * The exact message a member signs to log in to a node, and its verification (FORMAT §8.1).
 * Browser-compatible: no I/O, no Deno or Node APIs.
 *
 * The message names the origin and the node, so a signature a phishing page obtains for its
 * own origin, or one made for another family node, is useless elsewhere; the challenge is
 * random and single-use, so it cannot be replayed. The "p2pos-login-v1" prefix separates it
 * from record signatures (which start "p2pos-record-v1").
 *
 * @module
 */

import { assertBytes, assertString, fromBase64UrlOrNull, utf8Encode } from "./bytes.ts";
import { LoginError } from "./errors.ts";
import { verifyBase64Url } from "./identity.ts";

/** What the node sends (challenge, its id) and what the browser knows (its origin). */
export interface LoginChallenge {
  /** The page's origin, serialized as `URL.origin` does: `https://oak.example:8443`. */
  origin: string;
  /** The node id as displayed (FORMAT §8.1 allows letters, digits and dashes). */
  nodeId: string;
  /** base64url (no padding) of 16..64 random bytes from the node. */
  challenge: string;
}

const NODE_ID_PATTERN = /^[A-Za-z0-9-]{1,128}$/;

/**
 * FORMAT §8.1: UTF-8 of
 * `p2pos-login-v1\norigin:<origin>\nnode:<node id>\nchallenge:<challenge>\n`.
 * Each field is checked in the order of §8.1 (origin, node id, challenge), so none can smuggle
 * a newline and forge another line; a bad one throws {@link LoginError} naming it.
 */
export function loginMessage({ origin, nodeId, challenge }: LoginChallenge): Uint8Array {
  assertString(origin, "origin");
  assertString(nodeId, "nodeId");
  assertString(challenge, "challenge");
  if (!isSerializedOrigin(origin)) {
    throw new LoginError(
      "origin",
      `Cannot build login message: ${JSON.stringify(origin.slice(0, 100))} is not a serialized ` +
        "http(s) origin",
    );
  }
  if (!NODE_ID_PATTERN.test(nodeId)) {
    throw new LoginError(
      "node_id",
      "Cannot build login message: the node id must be 1..128 letters, digits or dashes",
    );
  }
  const bytes = fromBase64UrlOrNull(challenge);
  if (bytes === null || bytes.length < 16 || bytes.length > 64) {
    throw new LoginError(
      "challenge",
      "Cannot build login message: the challenge must be base64url of 16..64 bytes",
    );
  }
  return utf8Encode(
    `p2pos-login-v1\norigin:${origin}\nnode:${nodeId}\nchallenge:${challenge}\n`,
  );
}

/**
 * FORMAT §8.1 steps 1–4: builds the message from `fields` and verifies `signature` (base64url
 * of 64 bytes) over it with the member's Ed25519 `publicKey`, strictly (§6.3). Throws
 * {@link LoginError}; returns the message that was verified.
 */
export function verifyLogin(
  fields: LoginChallenge,
  signature: string,
  publicKey: Uint8Array,
): Uint8Array {
  assertString(signature, "signature");
  assertBytes(publicKey, "publicKey", 32);
  const message = loginMessage(fields);
  if (!verifyBase64Url(signature, message, publicKey)) {
    throw new LoginError(
      "signature",
      "Cannot verify login: the signature does not verify for this node, origin and challenge",
    );
  }
  return message;
}

/** True for an origin exactly as `new URL(x).origin` would print it, http or https only. */
function isSerializedOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return (url.protocol === "https:" || url.protocol === "http:") && url.origin === origin;
}
