// Deno-only test; the code under test is browser-compatible.

import assert from "node:assert/strict";
import { toBase64Url, utf8Decode } from "./bytes.ts";
import { loginMessage } from "./login.ts";

const challenge = toBase64Url(new Uint8Array(32).fill(7));

Deno.test("loginMessage() is the FORMAT §8.1 text", () => {
  const text = utf8Decode(
    loginMessage({ origin: "http://127.0.0.1:8080", nodeId: "OAK-1234", challenge }),
  );
  assert.equal(
    text,
    `p2pos-login-v1\norigin:http://127.0.0.1:8080\nnode:OAK-1234\nchallenge:${challenge}\n`,
  );
});

Deno.test("loginMessage() refuses fields that could forge another line or origin", () => {
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
    assert.throws(() => loginMessage({ ...ok, origin }), RangeError, origin);
  }
  assert.throws(() => loginMessage({ ...ok, nodeId: "OAK\nchallenge:x" }), RangeError);
  assert.throws(() => loginMessage({ ...ok, challenge: "c2hvcnQ" }), RangeError);
  assert.throws(() => loginMessage({ ...ok, challenge: challenge + "=" }), SyntaxError);
});
