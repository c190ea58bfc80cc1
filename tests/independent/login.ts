/**
 * The login message (FORMAT §8.1), written from the text: the three field rules and the strict
 * signature check, in their order. Part of the second implementation: imports nothing from lib/.
 *
 * @module
 */

import { unb64, utf8 } from "./encoding.ts";
import { verifyStrictText } from "./ed25519.ts";
import { Failure } from "./failure.ts";

export interface LoginFields {
  origin: string;
  nodeId: string;
  challenge: string;
}

/** §8.1 rule for `origin`: http(s), and its own WHATWG serialization. */
function isOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return (url.protocol === "http:" || url.protocol === "https:") && url.origin === origin;
}

/** §8.1 steps 1–3, then the message bytes. */
export function loginMessageOf({ origin, nodeId, challenge }: LoginFields): Uint8Array {
  if (!isOrigin(origin)) throw new Failure("login", "origin");
  if (!/^[A-Za-z0-9-]{1,128}$/.test(nodeId)) throw new Failure("login", "node_id");
  const bytes = unb64(challenge);
  if (bytes === null || bytes.length < 16 || bytes.length > 64) {
    throw new Failure("login", "challenge");
  }
  return utf8(`p2pos-login-v1\norigin:${origin}\nnode:${nodeId}\nchallenge:${challenge}\n`);
}

/** §8.1 steps 1–4. Returns the message that was verified. */
export function verifyLogin(
  fields: LoginFields,
  signature: string,
  publicKey: Uint8Array,
): Uint8Array {
  const message = loginMessageOf(fields);
  if (!verifyStrictText(signature, message, publicKey)) {
    throw new Failure("login", "signature");
  }
  return message;
}
