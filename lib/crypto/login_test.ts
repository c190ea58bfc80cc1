// Deno-only test; the code under test is browser-compatible.

import assert from "node:assert/strict";
import { toBase64Url, utf8Decode } from "./bytes.ts";
import { LoginError } from "./errors.ts";
import { deriveIdentity, newSeed, sign } from "./identity.ts";
import { loginMessage, verifyLogin } from "./login.ts";

const challenge = toBase64Url(new Uint8Array(32).fill(7));
const isCode = (code: string) => (e: unknown) => e instanceof LoginError && e.code === code;

Deno.test("loginMessage() is the FORMAT §8.1 text", () => {
  const text = utf8Decode(
    loginMessage({ origin: "http://127.0.0.1:8080", nodeId: "OAK-1234", challenge }),
  );
  assert.equal(
    text,
    `p2pos-login-v1\norigin:http://127.0.0.1:8080\nnode:OAK-1234\nchallenge:${challenge}\n`,
  );
});

Deno.test("loginMessage() refuses fields that could forge another line or origin, by code", () => {
  const ok = { origin: "https://oak.example", nodeId: "OAK", challenge };
  for (
    const origin of [
      "https://oak.example/",
      "https://oak.example\nnode:EVIL",
      "HTTPS://oak.example",
      "https://oak.example:443",
      "null",
      "file:///etc",
    ]
  ) {
    assert.throws(() => loginMessage({ ...ok, origin }), isCode("origin"), origin);
  }
  assert.throws(() => loginMessage({ ...ok, nodeId: "OAK\nchallenge:x" }), isCode("node_id"));
  assert.throws(() => loginMessage({ ...ok, challenge: "c2hvcnQ" }), isCode("challenge"));
  assert.throws(() => loginMessage({ ...ok, challenge: challenge + "=" }), isCode("challenge"));
  // FORMAT §8.1 order: the origin is reported before a bad node id and a bad challenge.
  assert.throws(
    () => loginMessage({ origin: "x", nodeId: "!", challenge: "=" }),
    isCode("origin"),
  );
});

Deno.test("verifyLogin() accepts the member's signature and refuses any other", () => {
  const alice = deriveIdentity(newSeed());
  const fields = { origin: "https://oak.example", nodeId: "OAK", challenge };
  const good = sign(loginMessage(fields), alice.signingSecretKey);
  assert.equal(
    utf8Decode(verifyLogin(fields, toBase64Url(good), alice.signingPublicKey)),
    utf8Decode(loginMessage(fields)),
  );
  const bob = deriveIdentity(newSeed());
  const refused = [
    [fields, toBase64Url(good), bob.signingPublicKey], // someone else's key
    [{ ...fields, nodeId: "PINE" }, toBase64Url(good), alice.signingPublicKey], // another node
    [fields, toBase64Url(good.slice(0, 63)), alice.signingPublicKey], // 63 bytes
    [fields, toBase64Url(good) + "=", alice.signingPublicKey], // not base64url
  ] as const;
  for (const [f, sig, key] of refused) {
    assert.throws(() => verifyLogin(f, sig, key), isCode("signature"));
  }
});
