import assert from "node:assert/strict";
import { makeTestApp } from "../../../tests/_support/test_app.ts";
import { createKindRegistry } from "../../vault/kinds.ts";

Deno.test("GET /v1/openapi.json describes every /v1 route the node registers, and nothing else", async () => {
  await using t = await makeTestApp();
  const res = await t.app.request("/v1/openapi.json");
  assert.equal(res.status, 200);
  const doc = await res.json();
  assert.equal(doc.openapi, "3.1.0");
  const described = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(ops)) described.add(`${method.toUpperCase()} ${path}`);
  }
  const registered = new Set(
    t.app.routes
      .filter((r) => r.path.startsWith("/v1/") && r.method !== "ALL")
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
  );
  const missing = [...registered].filter((r) => !described.has(r));
  const extra = [...described].filter((r) => !registered.has(r));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
  assert.ok(doc.components.schemas.PhotoBody.properties.original, "record schemas come from zod");
});

Deno.test("GET /v1/openapi.json has the body schema of every record kind the node accepts", async () => {
  await using t = await makeTestApp();
  const doc = await (await t.app.request("/v1/openapi.json")).json();
  const missing = createKindRegistry().names()
    .map((k) => k.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase()) + "Body")
    .filter((name) => !doc.components.schemas[name]);
  assert.deepEqual(missing, []);
});
