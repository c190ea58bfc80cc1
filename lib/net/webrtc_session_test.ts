import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519.js";
import { toBase64Url } from "../crypto/mod.ts";
import { nodeIdFromPublicKey } from "../core/node_id.ts";
import type { NodeSigner } from "../core/transport.ts";
import {
  type SessionMessage,
  SessionRefusedError,
  SessionVerifier,
  signSession,
} from "./webrtc_session.ts";

async function signer(): Promise<NodeSigner> {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const publicKey = ed25519.getPublicKey(seed);
  return {
    nodeId: await nodeIdFromPublicKey(publicKey),
    publicKey,
    sign: (m) => ed25519.sign(m, seed),
  };
}

const FP_A = "AB:".repeat(31) + "CD";
const FP_EVIL = "EE:".repeat(31) + "FF";
const sdp = (fp: string) =>
  `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=candidate:1 1 udp 2116026367 127.0.0.1 50000 typ host\r\na=fingerprint:sha-256 ${fp}\r\na=setup:actpass\r\n`;

async function setup() {
  const oak = await signer();
  const pine = await signer();
  const stranger = await signer();
  const family = new Map([[oak.nodeId, toBase64Url(oak.publicKey)]]);
  let now = 1_800_000_000_000;
  let noFamily = false;
  const verifier = new SessionVerifier({
    selfId: pine.nodeId,
    keyOf: (id) => family.get(id),
    acceptStrangers: () => noFamily,
    now: () => now,
  });
  const offer = await signSession(oak, {
    type: "offer",
    to: pine.nodeId,
    session: "c2Vzc2lvbi1pZC0xMjM0NTY",
    sdp: sdp(FP_A),
  }, { now });
  return {
    oak,
    pine,
    stranger,
    verifier,
    offer,
    setNow: (t: number) => (now = t),
    now: () => now,
    setNoFamily: (v: boolean) => (noFamily = v),
  };
}

async function refused(v: SessionVerifier, m: unknown): Promise<string> {
  try {
    await v.verify(m);
  } catch (err) {
    assert.ok(err instanceof SessionRefusedError, String(err));
    return err.code;
  }
  throw new Error("accepted");
}

Deno.test("A signed offer from a family node is accepted once", async () => {
  const s = await setup();
  const ok = await s.verifier.verify(s.offer);
  assert.equal(ok.from, s.oak.nodeId);
  assert.equal(ok.fingerprint, `sha-256 ${FP_A}`);
  assert.equal(ok.stranger, false);
  assert.equal(await refused(s.verifier, s.offer), "replayed");
});

Deno.test("An offer whose DTLS fingerprint was swapped by the relay is refused", async () => {
  const s = await setup();
  // The relay puts its own certificate's fingerprint in the SDP, leaving the signed field…
  const swapped: SessionMessage = { ...s.offer, sdp: s.offer.sdp.replace(FP_A, FP_EVIL) };
  assert.equal(await refused(s.verifier, swapped), "fingerprint");
  // …or changes both: the signature no longer verifies.
  const both = { ...swapped, fingerprint: `sha-256 ${FP_EVIL}` };
  assert.equal(await refused(s.verifier, both), "bad_signature");
  // A second fingerprint added beside the signed one.
  const extra = { ...s.offer, sdp: s.offer.sdp + `a=fingerprint:sha-256 ${FP_EVIL}\r\n` };
  assert.equal(await refused(s.verifier, extra), "fingerprint");
});

Deno.test("An altered, stale or misaddressed offer is refused", async () => {
  const s = await setup();
  const altered = {
    ...s.offer,
    sdp: s.offer.sdp.replace("127.0.0.1 50000", "203.0.113.9 50000"),
  };
  assert.equal(await refused(s.verifier, altered), "bad_signature");
  assert.equal(await refused(s.verifier, { ...s.offer, type: "answer" }), "bad_signature");
  s.setNow(s.now() + 5 * 60_000);
  assert.equal(await refused(s.verifier, s.offer), "stale");
  const other = await signSession(s.oak, {
    type: "offer",
    to: s.oak.nodeId,
    session: "c2Vzc2lvbi1pZC0xMjM0NTY",
    sdp: sdp(FP_A),
  });
  assert.equal(await refused(s.verifier, other), "not_for_me");
  assert.equal(await refused(s.verifier, { ...s.offer, extra: 1 }), "malformed");
});

Deno.test("A signature in a non-canonical base64url spelling is refused as a bad signature, not thrown as a SyntaxError", async () => {
  const s = await setup();
  // 86 characters carry 516 bits: a last character with bits past the 64 bytes is well-formed
  // to the schema but not a canonical spelling (found by tests/reliability/fuzz_relay_test.ts).
  // A canonical last character is one of A, Q, g, w; the next one up sets a padding bit.
  const last = String.fromCharCode(s.offer.sig.charCodeAt(85) + 1);
  const nonCanonical = { ...s.offer, sig: s.offer.sig.slice(0, -1) + last };
  assert.equal(await refused(s.verifier, nonCanonical), "bad_signature");
  assert.equal(
    await refused(s.verifier, { ...s.offer, sig: `${"A".repeat(85)}B` }),
    "bad_signature",
  );
  // The genuine offer is still accepted afterwards.
  assert.equal((await s.verifier.verify(s.offer)).from, s.oak.nodeId);
});

Deno.test("An offer from a key that is not a family node is refused, even with its key attached", async () => {
  const s = await setup();
  const offer = await signSession(s.stranger, {
    type: "offer",
    to: s.pine.nodeId,
    session: "c2Vzc2lvbi1pZC0xMjM0NTY",
    sdp: sdp(FP_A),
  }, { now: s.now(), includeKey: true });
  assert.equal(await refused(s.verifier, offer), "unknown_node");
  // Claiming to be Oak with another key does not help either.
  const posing = { ...offer, from: s.oak.nodeId };
  assert.equal(await refused(s.verifier, posing), "bad_signature");
  // A node with no family yet accepts it (only pairing can follow), marked as a stranger.
  s.setNoFamily(true);
  const ok = await s.verifier.verify(offer);
  assert.equal(ok.stranger, true);
  const mismatched = {
    ...offer,
    key: toBase64Url(s.oak.publicKey),
    nonce: "bm9uY2Utbm9uY2Utbm9uY2U",
  };
  assert.equal(await refused(s.verifier, mismatched), "unknown_node");
});
