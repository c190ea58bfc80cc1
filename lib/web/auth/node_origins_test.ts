import assert from "node:assert/strict";
import { loginMessage, sign, toBase64Url } from "../../crypto/mod.ts";
import { json, setupFamily, type TestMember } from "../../../tests/_support/family.ts";
import { makeTestApp, type TestApp } from "../../../tests/_support/test_app.ts";
import { boundAddresses, NodeOrigins } from "./node_origins.ts";

/** A request to `origin` (its Host), with an Origin header when `from` is given. */
function at(t: TestApp, origin: string, path: string, body?: unknown, from?: string) {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (from !== undefined) Object.assign(headers, { origin: from, "sec-fetch-site": "same-origin" });
  return t.app.request(`${origin}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/**
 * Challenge → signature over `signedOrigin` → verify, sent to `origin`. The verify request
 * comes from a page at `signedOrigin` (a browser's), or, when `relayed`, from an attacker's
 * own client, which sends no Origin header.
 */
async function signInAt(
  t: TestApp,
  member: TestMember,
  origin: string,
  signedOrigin = origin,
  relayed = false,
) {
  const ch = await at(t, origin, "/v1/auth/challenge", {});
  if (ch.status !== 200) return ch;
  const { challenge } = await ch.json();
  const signature = sign(
    loginMessage({ origin: signedOrigin, nodeId: t.nodeKey.nodeId, challenge }),
    member.signingSecretKey,
  );
  return await at(t, origin, "/v1/auth/verify", {
    member: member.key,
    challenge,
    signature: toBase64Url(signature),
  }, relayed ? undefined : signedOrigin);
}

Deno.test("Without --public-url, a request for a Host that is not the node's gets 421 telling the operator what to set", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  for (const path of ["/v1/auth/challenge", "/", "/internal/v1/hello", "/v1/session"]) {
    const res = path === "/v1/auth/challenge"
      ? await at(t, "http://evil.example", path, {})
      : await at(t, "http://evil.example", path);
    assert.equal(res.status, 421, path);
    const { error } = await res.json();
    assert.equal(error.code, "unknown_host");
    assert.match(error.message, /--public-url http:\/\/evil\.example/);
  }
  // A DNS-rebinding page names the node's port but its own host name: refused alike.
  assert.equal((await at(t, "http://evil.example:80", "/v1/auth/challenge", {})).status, 421);
  // The node's own loopback names still work.
  assert.equal((await signInAt(t, alice, "http://localhost")).status, 200);
  assert.equal((await signInAt(t, alice, "http://127.0.0.1")).status, 200);
});

Deno.test("A sign-in signed for another origin is refused, whatever Host the request names", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  // Signed for the attacker's origin and sent there: the Host is refused before anything.
  assert.equal((await signInAt(t, alice, "http://evil.example")).status, 421);
  // Signed for the attacker's origin and sent to the node's own: the signature does not verify.
  const relayed = await signInAt(t, alice, "http://localhost", "http://evil.example", true);
  assert.equal(relayed.status, 401);
  // The challenge names the origin the node will check, never one the request chose.
  const ch = await (await at(t, "http://127.0.0.1", "/v1/auth/challenge", {})).json();
  assert.equal(ch.origin, "http://127.0.0.1");
});

Deno.test("A loopback name at another port is not the node's origin", async () => {
  await using t = await makeTestApp();
  for (const origin of ["http://localhost:8421", "http://127.0.0.1:3000", "https://localhost"]) {
    assert.equal((await at(t, origin, "/v1/auth/challenge", {})).status, 421, origin);
  }
});

Deno.test("With --public-url, sign-ins are bound to it and its host is answered with or without a port", async () => {
  await using t = await makeTestApp({ publicUrl: "https://photos.example:8443" });
  const alice = await setupFamily(t);
  for (
    const origin of ["https://photos.example:8443", "http://photos.example", "http://localhost"]
  ) {
    const res = await json(t, `${origin}/v1/auth/challenge`, { body: {} });
    assert.equal(res.status, 200, origin);
    assert.equal((await res.json()).origin, "https://photos.example:8443", origin);
  }
  assert.equal((await at(t, "https://evil.example", "/v1/auth/challenge", {})).status, 421);
  // Signed for the public URL: accepted (a proxy in front passes Host as it likes).
  const res = await signInAt(t, alice, "http://localhost", "https://photos.example:8443");
  assert.equal(res.status, 200);
});

Deno.test("NodeOrigins answers at loopback names and the bound addresses, at the bound port only", () => {
  const origins = new NodeOrigins({ https: false }).listening(
    boundAddresses("0.0.0.0", "0.0.0.0", () => [
      { family: "IPv4", address: "192.168.1.20" },
      { family: "IPv6", address: "fe80::1" },
    ]),
    8420,
  );
  const ok = (u: string) => origins.accepts(new URL(u));
  assert.ok(ok("http://192.168.1.20:8420/"));
  assert.ok(ok("http://localhost:8420/"));
  assert.ok(ok("http://[::1]:8420/"));
  assert.ok(!ok("http://192.168.1.20:8421/"));
  assert.ok(!ok("http://[fe80::1]:8420/"), "IPv6 is not bound by 0.0.0.0");
  assert.ok(!ok("http://nas.local:8420/"));
  const v6 = new NodeOrigins({ https: true }).listening(
    boundAddresses("::", "::", () => [{ family: "IPv6", address: "fe80::1%eth0" }, {
      family: "IPv6",
      address: "2001:db8::5",
    }]),
    443,
  );
  assert.ok(v6.accepts(new URL("https://[2001:db8::5]/")));
  assert.ok(!v6.accepts(new URL("http://[2001:db8::5]/")), "the scheme counts");
  assert.deepEqual(boundAddresses("127.0.0.1", "127.0.0.1", () => []), ["127.0.0.1", "127.0.0.1"]);
});
