import assert from "node:assert/strict";
import { newNodeSigner } from "../../tests/_support/node_signer.ts";
import {
  blobDigest,
  contentDigest,
  H,
  parseDigestHeader,
  readSignedHeaders,
  signRequest,
  signResponse,
  verifyEd25519,
  verifyRequest,
  verifyResponse,
} from "./signing.ts";

const empty = new Uint8Array(0);

Deno.test("A signed request verifies for its method, target and receiver, and for nothing else", async () => {
  const a = await newNodeSigner();
  const b = await newNodeSigner();
  const req = { method: "POST", target: "/internal/v1/records?x=1", to: b.nodeId };
  const headers = await signRequest(a, { ...req, digest: contentDigest(empty) });
  const h = readSignedHeaders((n) => headers[n], Date.now());
  assert.equal(h.from, a.nodeId);
  await verifyRequest(h, req, a.publicKey);
  for (
    const other of [
      { ...req, method: "PUT" },
      { ...req, target: "/internal/v1/records?x=2" },
      { ...req, to: a.nodeId },
    ]
  ) {
    await assert.rejects(() => verifyRequest(h, other, a.publicKey), /does not verify/);
  }
  await assert.rejects(() => verifyRequest(h, req, b.publicKey), /does not verify/);
  const tampered = { ...h, digest: contentDigest(new Uint8Array([1])) };
  await assert.rejects(() => verifyRequest(tampered, req, a.publicKey), /does not verify/);
});

Deno.test("Signed requests are valid at most 60 seconds, with 30 seconds of clock skew", async () => {
  const a = await newNodeSigner();
  const now = 1_800_000_000_000;
  const headers = await signRequest(a, {
    method: "GET",
    target: "/",
    to: "x",
    digest: blobDigest("a".repeat(64)),
  }, { now });
  const get = (n: string) => headers[n];
  assert.equal(Number(headers[H.expires]) - Number(headers[H.created]), 60);
  readSignedHeaders(get, now + 89_000);
  assert.throws(() => readSignedHeaders(get, now + 91_000), /expired/);
  readSignedHeaders(get, now - 29_000);
  assert.throws(() => readSignedHeaders(get, now - 31_000), /not yet valid/);
  assert.throws(
    () => readSignedHeaders((n) => (n === H.nonce ? undefined : get(n)), now),
    /no node signature/,
  );
  assert.throws(
    () => readSignedHeaders((n) => (n === H.nonce ? "short" : get(n)), now),
    /malformed/,
  );
});

Deno.test("Content-Digest is RFC 9530 sha-256, and a blob's digest is its id", () => {
  const bytes = new TextEncoder().encode("hello");
  assert.equal(contentDigest(bytes), "sha-256=:LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=:");
  const id = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
  assert.equal(blobDigest(id), contentDigest(bytes));
  assert.equal(parseDigestHeader(`md5=:abc=:, ${contentDigest(bytes)}`)?.length, 32);
  assert.equal(parseDigestHeader("sha-256=:short:"), undefined);
  // The same digest with the two unused bits set is another spelling of it: refused.
  assert.equal(
    parseDigestHeader("sha-256=:LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCR=:"),
    undefined,
  );
});

Deno.test("A response signature binds the request nonce, the status and the body", async () => {
  const b = await newNodeSigner();
  const body = new TextEncoder().encode('{"ok":true}');
  const headers = await signResponse(b, 200, "nonce-0123456789abcdefghij", body);
  const get = (n: string) => headers[n] ?? null;
  const peer = { nodeId: b.nodeId, publicKey: b.publicKey };
  assert.equal(
    await verifyResponse({ status: 200, get }, body, "nonce-0123456789abcdefghij", peer),
    true,
  );
  assert.equal(
    await verifyResponse({ status: 201, get }, body, "nonce-0123456789abcdefghij", peer),
    false,
  );
  assert.equal(
    await verifyResponse({ status: 200, get }, body, "nonce-other-0123456789abc", peer),
    false,
  );
  const altered = new TextEncoder().encode('{"ok":false}');
  assert.equal(
    await verifyResponse({ status: 200, get }, altered, "nonce-0123456789abcdefghij", peer),
    false,
  );
});

Deno.test("verifyEd25519() refuses the forgery every small-order key admits, which WebCrypto takes", async () => {
  const identity = new Uint8Array(32);
  identity[0] = 1;
  const forged = new Uint8Array(64);
  forged[0] = 1; // R = identity, S = 0
  const message = new TextEncoder().encode("PUT /internal/v1/blobs/…");
  const key = await crypto.subtle.importKey("raw", identity, { name: "Ed25519" }, false, [
    "verify",
  ]);
  // The runtime's own check takes it (what this test guards against):
  assert.equal(await crypto.subtle.verify("Ed25519", key, forged, message), true);
  assert.equal(await verifyEd25519(forged, message, identity), false);
  // An ordinary key still verifies through the fast path.
  const node = await newNodeSigner();
  assert.equal(await verifyEd25519(await node.sign(message), message, node.publicKey), true);
});
