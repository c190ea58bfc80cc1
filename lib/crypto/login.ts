/**
 * The exact message a member signs to log in to a node (FORMAT §8.1). Browser-compatible: no
 * I/O, no Deno or Node APIs.
 *
 * The message names the origin and the node, so a signature a phishing page obtains for its
 * own origin, or one made for another family node, is useless elsewhere; the challenge is
 * random and single-use, so it cannot be replayed. The "p2pos-login-v1" prefix separates it
 * from record signatures (which start "p2pos-record-v1").
 *
 * @module
 */

import { assertString, fromBase64Url, utf8Encode } from "./bytes.ts";

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
 * Each field is validated so none can smuggle a newline and forge another line.
 */
export function loginMessage({ origin, nodeId, challenge }: LoginChallenge): Uint8Array {
  assertString(origin, "origin");
  assertString(nodeId, "nodeId");
  assertString(challenge, "challenge");
  if (!isSerializedOrigin(origin)) {
    throw new RangeError(
      `"origin" expected a serialized http(s) origin, got ${JSON.stringify(origin)}`,
    );
  }
  if (!NODE_ID_PATTERN.test(nodeId)) {
    throw new RangeError(`"nodeId" expected 1..128 letters, digits or dashes`);
  }
  const bytes = fromBase64Url(challenge); // SyntaxError when not canonical base64url
  if (bytes.length < 16 || bytes.length > 64) {
    throw new RangeError(`"challenge" expected 16..64 bytes, got ${bytes.length}`);
  }
  return utf8Encode(
    `p2pos-login-v1\norigin:${origin}\nnode:${nodeId}\nchallenge:${challenge}\n`,
  );
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
