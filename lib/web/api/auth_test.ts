import assert from "node:assert/strict";
import { loginMessage, sign, toBase64Url } from "../../crypto/mod.ts";
import { issueSetupCode } from "../../vault/setup_code.ts";
import {
  familyKeysOf,
  founderRecords,
  json,
  newMember,
  setupFamily,
  signIn,
} from "../../../tests/_support/family.ts";
import { makeTestApp } from "../../../tests/_support/test_app.ts";

Deno.test("Setup with the right code creates the family, signs the founder in with a hardened cookie, and retires the code", async () => {
  await using t = await makeTestApp();
  const founder = newMember("Alice");
  const code = issueSetupCode(t.db);
  const [family, me, key] = await founderRecords(t, founder);
  const wrong = await json(t, "/v1/setup", {
    body: { code: "AAAA-BBBB-CCCC", records: [family, me, key] },
  });
  assert.equal(wrong.status, 401);
  assert.equal((await wrong.json()).error.code, "bad_setup_code");
  assert.equal(t.records.list("family").length, 0, "nothing stored on a wrong code");

  const ok = await json(t, "/v1/setup", {
    body: { code: code.toLowerCase(), records: [family, me, key] },
  });
  assert.equal(ok.status, 201);
  const cookie = ok.headers.get("set-cookie")!;
  assert.match(cookie, /^__Host-p2pos_session_[A-Z2-7]{8}=[A-Za-z0-9_-]{43};/);
  for (const attr of ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"]) {
    assert.ok(cookie.includes(attr), attr);
  }
  // The node keeps only a hash of the cookie value.
  const token = /=([^;]+)/.exec(cookie)![1];
  const dump = JSON.stringify(t.db.db.prepare("SELECT * FROM sessions").all());
  assert.ok(!dump.includes(token));

  const again = await json(t, "/v1/setup", { body: { code, records: [family, me, key] } });
  assert.equal(again.status, 409);
  const check = await json(t, "/v1/setup/check", { body: { code } });
  assert.equal(check.status, 409);
  assert.match((await check.json()).error.message, /already set up/);
});

Deno.test("Guessing the setup code is cut off after ten wrong tries", async () => {
  await using t = await makeTestApp();
  issueSetupCode(t.db);
  for (let i = 0; i < 10; i++) {
    assert.equal((await json(t, "/v1/setup/check", { body: { code: `WRONG${i}` } })).status, 401);
  }
  const res = await json(t, "/v1/setup/check", { body: { code: "WRONG" } });
  assert.equal(res.status, 429);
  assert.equal((await res.json()).error.code, "too_many_attempts");
});

Deno.test("Sign-in: a fresh challenge signed for this origin and node opens a session; the session ends at logout", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  alice.cookie = undefined;
  const res = await signIn(t, alice);
  assert.equal(res.status, 200);
  // Names are sealed (FORMAT §14): only the family key opens them.
  const { member } = await res.json();
  assert.equal(await familyKeysOf(t).openPersonName(member.name), "Alice");
  const session = await json(t, "/v1/session", { cookie: alice.cookie });
  assert.equal(session.status, 200);
  const body = await session.json();
  assert.deepEqual(Object.keys(body.family), ["id"], "the session names no family name");
  assert.equal(body.sessions.filter((s: { current: boolean }) => s.current).length, 1);
  assert.equal((await json(t, "/v1/auth/logout", { body: {}, cookie: alice.cookie })).status, 204);
  assert.equal((await json(t, "/v1/session", { cookie: alice.cookie })).status, 401);
});

Deno.test("Sign-in refuses replayed and expired challenges, other origins, other nodes and non-members with 401", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const attempt = async (
    opts: {
      origin?: string;
      nodeId?: string;
      who?: typeof alice;
      challenge?: string;
      advance?: number;
    },
  ) => {
    const challenge = opts.challenge ??
      (await (await json(t, "/v1/auth/challenge", { body: {} })).json()).challenge;
    if (opts.advance) t.advance(opts.advance);
    const who = opts.who ?? alice;
    const sig = sign(
      loginMessage({
        origin: opts.origin ?? "http://localhost",
        nodeId: opts.nodeId ?? t.nodeKey.nodeId,
        challenge,
      }),
      who.signingSecretKey,
    );
    const res = await json(t, "/v1/auth/verify", {
      body: { member: who.key, challenge, signature: toBase64Url(sig) },
    });
    return { res, challenge };
  };
  const good = await attempt({});
  assert.equal(good.res.status, 200);
  const replay = await attempt({ challenge: good.challenge });
  assert.equal(replay.res.status, 401, "replayed challenge");
  assert.match((await replay.res.json()).error.message, /unknown, used or expired/);
  assert.equal((await attempt({ advance: 61_000 })).res.status, 401, "expired challenge");
  assert.equal((await attempt({ origin: "https://evil.example" })).res.status, 401, "other origin");
  assert.equal((await attempt({ nodeId: "AAAAAAA-BBBBBBB" })).res.status, 401, "other node");
  assert.equal((await attempt({ who: newMember("Mallory") })).res.status, 401, "not a member");
});

Deno.test("Forged, truncated and expired cookies get 401", async () => {
  await using t = await makeTestApp({}, { idleMs: 60_000, absoluteMs: 300_000 });
  const alice = await setupFamily(t);
  const [name, value] = alice.cookie!.split("=");
  const forged = `${name}=${"A".repeat(43)}`;
  const truncated = `${name}=${value.slice(0, 20)}`;
  for (const cookie of [forged, truncated, `${name}=`, `${name}=../../etc`]) {
    assert.equal((await json(t, "/v1/session", { cookie })).status, 401, cookie);
  }
  assert.equal((await json(t, "/v1/session", { cookie: alice.cookie })).status, 200);
  t.advance(61_000 + 60_000); // idle for longer than the idle limit
  assert.equal((await json(t, "/v1/session", { cookie: alice.cookie })).status, 401, "idle expiry");

  await signIn(t, alice);
  for (let i = 0; i < 6; i++) {
    t.advance(50_000); // stays active…
    await json(t, "/v1/session", { cookie: alice.cookie });
  }
  assert.equal(
    (await json(t, "/v1/session", { cookie: alice.cookie })).status,
    401,
    "absolute expiry",
  );
});

Deno.test("Cross-site and cross-origin unsafe requests get 403; same-origin ones pass", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const cross = await json(t, "/v1/auth/logout", {
    body: {},
    cookie: alice.cookie,
    headers: { "sec-fetch-site": "cross-site" },
  });
  assert.equal(cross.status, 403);
  const otherOrigin = await json(t, "/v1/auth/logout", {
    body: {},
    cookie: alice.cookie,
    headers: { origin: "https://evil.example" },
  });
  assert.equal(otherOrigin.status, 403);
  assert.equal(
    (await json(t, "/v1/session", { cookie: alice.cookie })).status,
    200,
    "still signed in",
  );
  const same = await json(t, "/v1/auth/logout", {
    body: {},
    cookie: alice.cookie,
    headers: { "sec-fetch-site": "same-origin", origin: "http://localhost" },
  });
  assert.equal(same.status, 204);
  assert.equal(same.headers.get("access-control-allow-origin"), null, "no CORS");
});

Deno.test("Malformed JSON gets 400 and an oversized body 413, each with a clear message", async () => {
  await using t = await makeTestApp({ maxJsonBytes: 2048 });
  const bad = await t.app.request("/v1/auth/verify", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{not json",
  });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error.message, /not valid JSON/);
  const wrongShape = await json(t, "/v1/auth/verify", { body: { member: 42 } });
  assert.equal(wrongShape.status, 400);
  assert.match((await wrongShape.json()).error.message, /member/);
  const big = await json(t, "/v1/auth/verify", { body: { member: "x".repeat(5000) } });
  assert.equal(big.status, 413);
  assert.equal((await big.json()).error.code, "too_large");
});

Deno.test("Every /v1 route except health, challenge, verify, setup and join needs a session", async () => {
  await using t = await makeTestApp();
  await setupFamily(t);
  const id = "a".repeat(64);
  const guarded: [string, string][] = [
    ["GET", "/v1/session"],
    ["GET", "/v1/members"],
    ["GET", "/v1/invites"],
    ["POST", "/v1/records"],
    ["DELETE", "/v1/sessions/0123456789abcdef"],
    ["GET", `/v1/blobs/${id}`],
    ["PUT", `/v1/blobs/${id}`],
    ["GET", "/v1/anything-else"],
  ];
  for (const [method, path] of guarded) {
    const res = await t.app.request(path, {
      method,
      body: method === "GET" || method === "DELETE" ? undefined : "{}",
    });
    assert.equal(res.status, 401, `${method} ${path}`);
    assert.equal((await res.json()).error.code, "unauthorized");
  }
  assert.equal((await t.app.request("/health")).status, 200);
  assert.equal((await json(t, "/v1/auth/challenge", { body: {} })).status, 200);
});

Deno.test("Two nodes on one host keep separate sessions: each node's cookie has its own name", async () => {
  await using oak = await makeTestApp();
  await using pine = await makeTestApp();
  const alice = await setupFamily(oak);
  const oakCookie = alice.cookie!;
  const bob = await setupFamily(pine);
  const pineCookie = bob.cookie!;
  const name = (c: string) => c.slice(0, c.indexOf("="));
  assert.notEqual(name(oakCookie), name(pineCookie));
  // A browser on 127.0.0.1 sends both nodes' cookies to either node (cookies ignore ports).
  const both = `${pineCookie}; ${oakCookie}`;
  for (const [t, who] of [[oak, alice], [pine, bob]] as const) {
    const res = await t.app.request("/v1/session", { headers: { cookie: both } });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).member.key, who.key);
  }
});

Deno.test("A session keeps only a coarse label of the device, never its User-Agent string", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) " +
    "Chrome/131.0.6778.85 Safari/537.36";
  const ch = await (await json(t, "/v1/auth/challenge", { body: {} })).json();
  const signature = sign(
    loginMessage({ origin: "http://localhost", nodeId: t.nodeKey.nodeId, challenge: ch.challenge }),
    alice.signingSecretKey,
  );
  const res = await json(t, "/v1/auth/verify", {
    body: { member: alice.key, challenge: ch.challenge, signature: toBase64Url(signature) },
    headers: { "user-agent": ua },
  });
  assert.equal(res.status, 200);
  const cookie = /^([^=;]+=[^;]*)/.exec(res.headers.get("set-cookie")!)![1];
  // What the node stored: the label, and nothing of the version or the rest of the string.
  const stored = (t.db.db.prepare("SELECT user_agent FROM sessions").all() as {
    user_agent: string;
  }[]).map((r) => r.user_agent);
  assert.ok(stored.includes("Chrome on Linux"), JSON.stringify(stored));
  assert.ok(stored.every((s) => !/Mozilla|131\.0|x86_64/.test(s)), JSON.stringify(stored));
  const session = await (await json(t, "/v1/session", { cookie })).json();
  const mine = session.sessions.find((s: { current: boolean }) => s.current);
  assert.equal(mine.device, "Chrome on Linux");
  assert.equal(mine.userAgent, undefined);
});
