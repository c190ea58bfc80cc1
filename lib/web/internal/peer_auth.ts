/**
 * Authentication of `/internal/v1/...` (PROTOCOL §2.4). In this order, and
 * before anything is stored: the signature headers are present and the time
 * window holds (401); the key belongs to a current family node (401 unknown,
 * 403 removed); the signature verifies (401); the nonce is new (401); the
 * body matches its Content-Digest (400), within the size cap (413). Blob
 * bodies are checked against their id by the store while they stream (422).
 */

import type { Context, MiddlewareHandler } from "hono";
import { fromBase64Url, toHex } from "../../crypto/mod.ts";
import { ForbiddenError, P2posError, TooLargeError } from "../../core/errors.ts";
import { currentFamily } from "../../core/family_kinds.ts";
import { readCapped } from "../../core/read_capped.ts";
import { type NodeBody, nodeIdOfKey } from "../../core/node_kinds.ts";
import {
  blobDigest,
  CLOCK_SKEW_S,
  parseDigestHeader,
  PeerAuthError,
  readSignedHeaders,
  sha256,
  verifyRequest,
} from "../../net/signing.ts";
import type { RecordLog } from "../../store/mod.ts";
import type { AppEnv } from "../auth/middleware.ts";
import { rethrowBodyFailure } from "../errors.ts";
import type { NonceStore } from "../../replication/nonce_store.ts";

/** The authenticated sender of an internal request. */
export interface PeerAuth {
  nodeId: string;
  publicKey: string;
  nonce: string;
  /** The JSON body, already read and checked against its digest (empty for GET and blobs). */
  body: Uint8Array;
}

export type InternalEnv = { Variables: AppEnv["Variables"] & { peer?: PeerAuth } };

export interface PeerAuthDeps {
  records: RecordLog;
  nodeId: string;
  nonces: NonceStore;
  /** Cap on JSON bodies of node requests. */
  maxBodyBytes: number;
  now: () => number;
  onAuthenticated?: (nodeId: string) => void;
  /** The key of the node this one joined through, while its records do not name it yet. */
  pinnedKey?: (nodeId: string) => string | undefined;
}

const BLOB_PUT = /^\/internal\/v1\/blobs\/([0-9a-f]{64})$/;
const BOOTSTRAP = "/internal/v1/bootstrap";

class DigestMismatchError extends P2posError {
  constructor(message: string) {
    super("digest_mismatch", message);
  }
}

export function peerAuth(deps: PeerAuthDeps): MiddlewareHandler<InternalEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const target = url.pathname + url.search;
    const method = c.req.method;
    const h = readSignedHeaders((n) => c.req.header(n), deps.now());
    const { publicKey, removed } = senderKey(deps, h.from, h.key, url.pathname === BOOTSTRAP);
    await verifyRequest(h, { method, target, to: deps.nodeId }, fromBase64Url(publicKey));
    // Said only to the removed node itself: the signature proved it is that node.
    if (removed) throw new ForbiddenError(`This node was removed from the family by an admin`);
    const until = (h.expires + CLOCK_SKEW_S + 1) * 1000;
    if (!deps.nonces.remember(h.nonce, h.from, until)) {
      throw new PeerAuthError("replayed", "This signed request was already used (replay refused)");
    }
    const digest = parseDigestHeader(h.digest)!;
    let body: Uint8Array = new Uint8Array(0);
    const blob = method === "PUT" ? BLOB_PUT.exec(url.pathname) : null;
    if (blob) {
      // PROTOCOL §3.5: a blob's digest is its id; the store checks the bytes while they stream.
      if (blobDigest(blob[1]) !== h.digest.trim()) {
        throw new DigestMismatchError("The Content-Digest of a blob must be its id");
      }
    } else {
      body = await readBody(c, deps.maxBodyBytes);
      if (toHex(sha256(body)) !== toHex(digest)) {
        throw new DigestMismatchError("The body does not match its Content-Digest");
      }
    }
    c.set("peer", { nodeId: h.from, publicKey, nonce: h.nonce, body });
    deps.onAuthenticated?.(h.from);
    await next();
  };
}

/**
 * The sender's key: from its node record; while this node reads the family's records from
 * the node it joined through, that node's pinned key; or, only to bootstrap a node with no
 * family, from the request.
 */
function senderKey(
  deps: PeerAuthDeps,
  from: string,
  key: string | undefined,
  bootstrap: boolean,
): { publicKey: string; removed: boolean } {
  if (bootstrap && !currentFamily(deps.records)) {
    let derived: string | undefined;
    try {
      derived = key ? nodeIdOfKey(key) : undefined;
    } catch { /* malformed key: refused below */ }
    if (!key || derived !== from) {
      throw new PeerAuthError("unknown_node", "A bootstrap request must carry its node's key");
    }
    return { publicKey: key, removed: false };
  }
  const record = deps.records.get<NodeBody>("node", from);
  const pinned = record ? undefined : deps.pinnedKey?.(from);
  if (pinned) return { publicKey: pinned, removed: false };
  if (!record || from === deps.nodeId) {
    throw new PeerAuthError("unknown_node", "The sending node is not a node of this family");
  }
  return { publicKey: record.body.publicKey, removed: record.body.removed };
}

async function readBody(c: Context, max: number): Promise<Uint8Array> {
  const declared = c.req.header("content-length");
  if (declared !== undefined && Number(declared) > max) {
    throw new TooLargeError(`Request body of ${declared} bytes exceeds the limit of ${max}`);
  }
  try {
    return await readCapped(
      c.req.raw.body,
      max,
      () => new TooLargeError(`Request body exceeds the limit of ${max} bytes`),
    );
  } catch (err) {
    rethrowBodyFailure(err, "Node request");
  }
}
