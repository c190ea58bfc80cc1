/**
 * TURN REST credentials (draft-uberti-behave-turn-rest, coturn's
 * `use-auth-secret`): username `<expiry unix seconds>:<node id>`, password
 * base64(HMAC-SHA1(shared secret, username)). coturn checks them with the same
 * secret, so the relay hands them out without talking to coturn, and a node
 * never learns the secret.
 */

import { createHmac } from "node:crypto";
import type { TurnCredentials } from "../lib/net/signal_protocol.ts";

export interface TurnConfig {
  /** coturn's `static-auth-secret`. */
  secret: string;
  /** TURN URLs handed to nodes with the credentials, e.g. `turn:turn.example.org:3478`. */
  urls: string[];
  /** Lifetime of one set of credentials. */
  ttlSecs: number;
}

export function turnCredentials(
  config: TurnConfig,
  nodeId: string,
  nowMs: number,
): TurnCredentials {
  const expiry = Math.floor(nowMs / 1000) + config.ttlSecs;
  const username = `${expiry}:${nodeId}`;
  const credential = createHmac("sha1", config.secret).update(username).digest("base64");
  return { urls: config.urls, username, credential, expiresAt: expiry * 1000 };
}
