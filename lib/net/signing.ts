/**
 * Signed node-to-node requests and responses (docs/PROTOCOL.md §2). A request
 * carries the sender's node id, a validity window of at most 60 seconds, a
 * random nonce and an RFC 9530 `Content-Digest`; the sender's Ed25519 node key
 * signs all of them with the method, the path and query, and the receiver's
 * node id. A response to a JSON call is signed by the responder over the
 * request's nonce, its status and its own digest, so a man in the middle can
 * neither replay nor alter an answer.
 *
 * Pure functions: no I/O, no storage. Nonce memory lives with the receiver.
 */

import { createHash } from "node:crypto";
import { base64 } from "@scure/base";
import {
  fromBase64Url,
  fromHex,
  isStrongSigningKey,
  toBase64Url,
  toHex,
  utf8Encode,
  verify,
} from "../crypto/mod.ts";
import { UnauthorizedError } from "../core/errors.ts";
import type { NodeSigner } from "../core/transport.ts";

export const REQUEST_DOMAIN = "p2pos-request-v1";
export const RESPONSE_DOMAIN = "p2pos-response-v1";
/** PROTOCOL §2.2: a signed request is valid for at most this long. */
export const MAX_VALIDITY_S = 60;
/** PROTOCOL §2.2: clocks of family nodes may disagree by this much. */
export const CLOCK_SKEW_S = 30;

export const H = {
  node: "p2pos-node",
  key: "p2pos-key",
  created: "p2pos-created",
  expires: "p2pos-expires",
  nonce: "p2pos-nonce",
  signature: "p2pos-signature",
  digest: "content-digest",
} as const;

/** A request could not be authenticated; `code` says why (docs/PROTOCOL.md §2.4). */
export class PeerAuthError extends UnauthorizedError {
  override readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const NONCE = /^[A-Za-z0-9_-]{22,64}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{86}$/;
const SECONDS = /^\d{1,12}$/;

/** `sha-256=:<base64 of the digest>:` (RFC 9530 with RFC 8941 byte sequences). */
export function digestHeaderOf(digest: Uint8Array): string {
  if (digest.length !== 32) throw new RangeError(`SHA-256 digest expected 32 bytes`);
  return `sha-256=:${base64.encode(digest)}:`;
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

/** The Content-Digest of a body held in memory. */
export function contentDigest(body: Uint8Array): string {
  return digestHeaderOf(sha256(body));
}

/** The Content-Digest of a blob's bytes is its id: the id *is* their SHA-256 (FORMAT §5). */
export function blobDigest(hexId: string): string {
  if (!/^[0-9a-f]{64}$/.test(hexId)) throw new SyntaxError("Blob id expected 64 hex characters");
  return digestHeaderOf(fromHex(hexId));
}

/** The SHA-256 in a Content-Digest header, or `undefined` when it names no sha-256 value. */
export function parseDigestHeader(header: string | null | undefined): Uint8Array | undefined {
  if (!header) return undefined;
  const m = /(?:^|,)\s*sha-256=:([A-Za-z0-9+/]{43}=):\s*(?:,|$)/.exec(header);
  if (!m) return undefined;
  try {
    return base64.decode(m[1]);
  } catch {
    return undefined; // non-zero bits after the digest's 256: not a canonical byte sequence
  }
}

export interface RequestParams {
  method: string;
  /** Path and query exactly as sent, e.g. `/internal/v1/records?after=4`. */
  target: string;
  /** Receiver's node id. */
  to: string;
  /** Sender's node id. */
  from: string;
  created: number;
  expires: number;
  nonce: string;
  digest: string;
}

/** PROTOCOL §2.3: the bytes a request signature covers. */
export function requestSigningInput(p: RequestParams): Uint8Array {
  return utf8Encode(
    [
      REQUEST_DOMAIN,
      p.method.toUpperCase(),
      p.target,
      p.to,
      p.from,
      String(p.created),
      String(p.expires),
      p.nonce,
      p.digest,
    ].join("\n"),
  );
}

/** PROTOCOL §2.5: the bytes a response signature covers. */
export function responseSigningInput(
  p: { status: number; nonce: string; from: string; digest: string },
): Uint8Array {
  return utf8Encode([RESPONSE_DOMAIN, String(p.status), p.nonce, p.from, p.digest].join("\n"));
}

/** Headers that authenticate one request from `signer` to node `to`. */
export async function signRequest(
  signer: NodeSigner,
  req: { method: string; target: string; to: string; digest: string },
  options: { now?: number; validity?: number; includeKey?: boolean } = {},
): Promise<Record<string, string>> {
  const created = Math.floor((options.now ?? Date.now()) / 1000);
  const expires = created + Math.min(options.validity ?? MAX_VALIDITY_S, MAX_VALIDITY_S);
  const nonce = toBase64Url(crypto.getRandomValues(new Uint8Array(24)));
  const params: RequestParams = { ...req, from: signer.nodeId, created, expires, nonce };
  const headers: Record<string, string> = {
    [H.node]: signer.nodeId,
    [H.created]: String(created),
    [H.expires]: String(expires),
    [H.nonce]: nonce,
    [H.digest]: req.digest,
    [H.signature]: toBase64Url(await signer.sign(requestSigningInput(params))),
  };
  if (options.includeKey) headers[H.key] = toBase64Url(signer.publicKey);
  return headers;
}

/** The signed fields of a request, read from its headers before anything is trusted. */
export interface SignedRequestHeaders {
  from: string;
  created: number;
  expires: number;
  nonce: string;
  digest: string;
  signature: Uint8Array;
  /** Only on bootstrap requests (PROTOCOL §4): the sender's key, for a node with no family yet. */
  key?: string;
}

/**
 * Reads the authentication headers; throws {@link PeerAuthError} `unsigned`
 * when one is missing or malformed, `expired` outside the time window.
 */
export function readSignedHeaders(
  get: (name: string) => string | null | undefined,
  nowMs: number,
): SignedRequestHeaders {
  const from = get(H.node);
  const created = get(H.created);
  const expires = get(H.expires);
  const nonce = get(H.nonce);
  const digest = get(H.digest);
  const signature = get(H.signature);
  if (!from || !created || !expires || !nonce || !digest || !signature) {
    throw new PeerAuthError(
      "unsigned",
      "This endpoint is for family nodes: the request carries no node signature",
    );
  }
  if (
    !SECONDS.test(created) || !SECONDS.test(expires) || !NONCE.test(nonce) ||
    !SIGNATURE.test(signature) || from.length > 80 || !parseDigestHeader(digest)
  ) {
    throw new PeerAuthError("unsigned", "The node signature headers are malformed");
  }
  const c = Number(created);
  const e = Number(expires);
  const now = Math.floor(nowMs / 1000);
  if (e <= c || e - c > MAX_VALIDITY_S) {
    throw new PeerAuthError(
      "expired",
      `A signed request may be valid for 1 to ${MAX_VALIDITY_S} seconds, this one claims ${e - c}`,
    );
  }
  if (now > e + CLOCK_SKEW_S || now < c - CLOCK_SKEW_S) {
    throw new PeerAuthError(
      "expired",
      "The signed request is expired or not yet valid: check both nodes' clocks",
    );
  }
  const key = get(H.key) ?? undefined;
  return { from, created: c, expires: e, nonce, digest, signature: fromBase64Url(signature), key };
}

const keys = new Map<string, Promise<CryptoKey | null>>();

/**
 * Ed25519 verification with WebCrypto where the runtime has it (native: about 5×
 * faster than JS, and every node request is verified), else with @noble.
 */
export async function verifyEd25519(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): Promise<boolean> {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  const id = toHex(publicKey);
  let key = keys.get(id);
  if (!key) {
    // WebCrypto verifies cofactorless and takes small-order keys, for which R = identity,
    // S = 0 verifies any message: only a key that passes the strict check is handed to it.
    key = !isStrongSigningKey(publicKey) ? Promise.resolve(null) : crypto.subtle.importKey(
      "raw",
      publicKey as Uint8Array<ArrayBuffer>,
      { name: "Ed25519" },
      false,
      ["verify"],
    ).catch(() => null);
    if (keys.size > 1000) keys.clear();
    keys.set(id, key);
  }
  const k = await key;
  // No WebCrypto Ed25519 here, or a weak key (which the strict check then refuses).
  if (!k) return verify(signature, message, publicKey);
  return await crypto.subtle.verify(
    "Ed25519",
    k,
    signature as Uint8Array<ArrayBuffer>,
    message as Uint8Array<ArrayBuffer>,
  );
}

/** Checks the request signature with the sender's public key; throws `bad_request_signature`. */
export async function verifyRequest(
  h: SignedRequestHeaders,
  req: { method: string; target: string; to: string },
  publicKey: Uint8Array,
): Promise<void> {
  const input = requestSigningInput({
    ...req,
    from: h.from,
    created: h.created,
    expires: h.expires,
    nonce: h.nonce,
    digest: h.digest,
  });
  if (!(await verifyEd25519(h.signature, input, publicKey))) {
    throw new PeerAuthError(
      "bad_request_signature",
      "The request signature does not verify with that node's key",
    );
  }
}

/** Headers that sign a JSON response to the request with `nonce`. */
export async function signResponse(
  signer: NodeSigner,
  status: number,
  nonce: string,
  body: Uint8Array,
): Promise<Record<string, string>> {
  const digest = contentDigest(body);
  const sig = await signer.sign(
    responseSigningInput({ status, nonce, from: signer.nodeId, digest }),
  );
  return { [H.node]: signer.nodeId, [H.digest]: digest, [H.signature]: toBase64Url(sig) };
}

/** Whether a response body really comes, unaltered, from the node with `publicKey`. */
export async function verifyResponse(
  res: { status: number; get: (name: string) => string | null },
  body: Uint8Array,
  nonce: string,
  peer: { nodeId: string; publicKey: Uint8Array },
): Promise<boolean> {
  const digest = res.get(H.digest);
  const sig = res.get(H.signature);
  if (!digest || !sig || !SIGNATURE.test(sig) || res.get(H.node) !== peer.nodeId) return false;
  const expected = parseDigestHeader(digest);
  const actual = sha256(body);
  if (!expected || toHex(expected) !== toHex(actual)) return false;
  return await verifyEd25519(
    fromBase64Url(sig),
    responseSigningInput({ status: res.status, nonce, from: peer.nodeId, digest }),
    peer.publicKey,
  );
}
