import assert from "node:assert/strict";
import { api, ApiError, isSignedOut, UNREACHABLE_MESSAGE } from "./api.ts";

const respond = (status: number, body?: unknown, raw?: string): typeof fetch => () =>
  Promise.resolve(
    new Response(raw ?? (body === undefined ? null : JSON.stringify(body)), { status }),
  );

Deno.test("api() returns the parsed JSON of a successful answer", async () => {
  const calls: RequestInit[] = [];
  const res = await api<{ ok: boolean }>("POST", "/v1/setup/check", { code: "X" }, {
    fetch: (_url, init) => {
      calls.push(init!);
      return Promise.resolve(new Response(JSON.stringify({ ok: true }), { status: 200 }));
    },
  });
  assert.deepEqual(res, { ok: true });
  assert.equal(calls[0].body, '{"code":"X"}');
  assert.equal((calls[0].headers as Record<string, string>)["Content-Type"], "application/json");
});

Deno.test("api() turns the node's {error} into an ApiError with its code, as a sentence", async () => {
  const err = await api("POST", "/v1/join", {}, {
    fetch: respond(403, { error: { code: "forbidden", message: "this invite has expired" } }),
  }).then(() => assert.fail("expected a failure"), (e: ApiError) => e);
  assert.ok(err instanceof ApiError);
  assert.equal(err.status, 403);
  assert.equal(err.code, "forbidden");
  assert.equal(err.message, "This invite has expired.");
});

Deno.test("api() explains a network failure as an unreachable node", async () => {
  const err = await api("GET", "/v1/session", undefined, {
    fetch: () => Promise.reject(new TypeError("Failed to fetch")),
  }).then(() => assert.fail("expected a failure"), (e: ApiError) => e);
  assert.equal(err.status, 0);
  assert.equal(err.message, UNREACHABLE_MESSAGE);
  assert.match(err.message, /^Cannot reach this node/);
});

Deno.test("api() explains a non-JSON error page by its status", async () => {
  const err = await api("GET", "/v1/session", undefined, {
    fetch: respond(502, undefined, "<html>Bad gateway</html>"),
  }).then(() => assert.fail("expected a failure"), (e: ApiError) => e);
  assert.equal(err.code, "http_502");
  assert.match(err.message, /HTTP 502/);
});

Deno.test("api() resolves a 204 to undefined and flags a 401 as signed out", async () => {
  assert.equal(await api("POST", "/v1/auth/logout", {}, { fetch: respond(204) }), undefined);
  const err = await api("GET", "/v1/session", undefined, {
    fetch: respond(401, { error: { code: "unauthorized", message: "Sign in first" } }),
  }).then(() => assert.fail("expected a failure"), (e: ApiError) => e);
  assert.equal(isSignedOut(err), true);
});
