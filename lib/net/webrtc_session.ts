/**
 * Signed offers and answers (docs/PROTOCOL.md §8.2). The relay carries them
 * but cannot forge, alter or replay one: each is signed with the sending
 * node's Ed25519 key over its type, both node ids, the session id, a fresh
 * time and nonce, the SHA-256 of the whole SDP and the DTLS fingerprint in
 * it. The receiver checks the key against the family's admin-signed node
 * records, so whoever completes the DTLS handshake (werift checks the peer's
 * certificate against that fingerprint) holds the node key's certificate.
 *
 * Pure apart from the in-memory nonce set; no I/O.
 */

import { z } from "zod";
import { fromBase64Url, toBase64Url, toHex, utf8Encode } from "../crypto/mod.ts";
import { nodeIdOfKey } from "../core/node_kinds.ts";
import type { NodeSigner } from "../core/transport.ts";
import { sha256, verifyEd25519 } from "./signing.ts";

export const SESSION_DOMAIN = "p2pos-webrtc-v1";
/** An offer or answer is accepted this long after (or before, clocks differ) it was made. */
export const SESSION_MAX_AGE_MS = 90_000;
const MAX_SDP = 16 * 1024;

const B64 = /^[A-Za-z0-9_-]+$/;
export const SessionMessage = z.object({
  v: z.literal(1),
  type: z.enum(["offer", "answer"]),
  from: z.string().max(80),
  to: z.string().max(80),
  session: z.string().regex(B64).min(16).max(64),
  created: z.number().int().nonnegative(),
  nonce: z.string().regex(B64).min(16).max(64),
  sdp: z.string().min(1).max(MAX_SDP),
  fingerprint: z.string().max(200),
  /** The sender's key, for a receiver that has no family yet (pairing, PROTOCOL §4). */
  key: z.string().regex(B64).length(43).optional(),
  sig: z.string().regex(B64).length(86),
}).strict();
export type SessionMessage = z.infer<typeof SessionMessage>;

/** Why an offer or answer was refused (shown in logs and tests, never its content). */
export class SessionRefusedError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = "SessionRefusedError";
  }
}

/**
 * The DTLS fingerprint of an SDP, `sha-256 AB:CD:…`. Every media section must
 * name the same one: a second, different fingerprint would let a certificate
 * the signature does not name through.
 */
export function sdpFingerprint(sdp: string): string {
  const found = new Set<string>();
  for (const m of sdp.matchAll(/^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/gm)) {
    found.add(`${m[1].toLowerCase()} ${m[2].toUpperCase()}`);
  }
  if (found.size !== 1) {
    throw new SessionRefusedError(
      "fingerprint",
      `An SDP must carry exactly one DTLS fingerprint, this one has ${found.size}`,
    );
  }
  const fp = [...found][0];
  if (!/^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(fp)) {
    throw new SessionRefusedError("fingerprint", "The DTLS fingerprint must be a SHA-256 one");
  }
  return fp;
}

function signingInput(m: Omit<SessionMessage, "sig" | "key" | "v">): Uint8Array {
  return utf8Encode(
    [
      SESSION_DOMAIN,
      m.type,
      m.from,
      m.to,
      m.session,
      String(m.created),
      m.nonce,
      toHex(sha256(utf8Encode(m.sdp))),
      m.fingerprint,
    ].join("\n"),
  );
}

export async function signSession(
  signer: NodeSigner,
  m: { type: "offer" | "answer"; to: string; session: string; sdp: string },
  options: { now?: number; includeKey?: boolean } = {},
): Promise<SessionMessage> {
  const body = {
    type: m.type,
    from: signer.nodeId,
    to: m.to,
    session: m.session,
    created: Math.floor(options.now ?? Date.now()),
    nonce: toBase64Url(crypto.getRandomValues(new Uint8Array(18))),
    sdp: m.sdp,
    fingerprint: sdpFingerprint(m.sdp),
  };
  const sig = toBase64Url(await signer.sign(signingInput(body)));
  return {
    v: 1,
    ...body,
    ...(options.includeKey ? { key: toBase64Url(signer.publicKey) } : {}),
    sig,
  };
}

export interface SessionVerifierDeps {
  selfId: string;
  /** The base64url key of an active family node, or undefined. */
  keyOf(nodeId: string): string | undefined;
  /** True while this node has no family: then any node key may offer (only to pair it). */
  acceptStrangers(): boolean;
  now?: () => number;
}

/** Checks offers and answers; remembers nonces so none is accepted twice. */
export class SessionVerifier {
  readonly #seen = new Map<string, number>();
  readonly #now: () => number;

  constructor(private readonly deps: SessionVerifierDeps) {
    this.#now = deps.now ?? Date.now;
  }

  /** The checked message, or SessionRefusedError saying why not. */
  async verify(value: unknown): Promise<SessionMessage & { stranger: boolean }> {
    const parsed = SessionMessage.safeParse(value);
    if (!parsed.success) {
      throw new SessionRefusedError("malformed", "The offer or answer is malformed");
    }
    const m = parsed.data;
    if (m.to !== this.deps.selfId) {
      throw new SessionRefusedError("not_for_me", "The offer or answer names another node");
    }
    let key = this.deps.keyOf(m.from);
    let stranger = false;
    if (!key && this.deps.acceptStrangers() && m.key) {
      let derived: string | undefined;
      try {
        derived = nodeIdOfKey(m.key);
      } catch { /* refused below */ }
      if (derived === m.from) {
        key = m.key;
        stranger = true;
      }
    }
    if (!key) {
      throw new SessionRefusedError(
        "unknown_node",
        "The sender is not a node of this family (no admin-signed node record names it)",
      );
    }
    if (sdpFingerprint(m.sdp) !== m.fingerprint) {
      throw new SessionRefusedError(
        "fingerprint",
        "The DTLS fingerprint in the SDP is not the one that was signed",
      );
    }
    let sig: Uint8Array;
    try {
      sig = fromBase64Url(m.sig);
    } catch {
      // 86 base64url characters whose last one sets bits past the 64 bytes: not a signature
      // this node's signer makes, refused like any other bad one (not thrown as a SyntaxError).
      sig = new Uint8Array(0);
    }
    const ok = sig.length === 64 &&
      await verifyEd25519(sig, signingInput(m), fromBase64Url(key));
    if (!ok) {
      throw new SessionRefusedError(
        "bad_signature",
        "The offer or answer is not signed by that node's key (altered or forged)",
      );
    }
    const now = this.#now();
    if (Math.abs(now - m.created) > SESSION_MAX_AGE_MS) {
      throw new SessionRefusedError(
        "stale",
        "The offer or answer is too old or from the future: check both nodes' clocks",
      );
    }
    for (const [n, until] of this.#seen) if (until < now) this.#seen.delete(n);
    const id = `${m.from}/${m.nonce}`;
    if (this.#seen.has(id)) {
      throw new SessionRefusedError("replayed", "This offer or answer was already used");
    }
    this.#seen.set(id, m.created + 2 * SESSION_MAX_AGE_MS);
    return { ...m, stranger };
  }
}
