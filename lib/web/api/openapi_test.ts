import assert from "node:assert/strict";
import { makeTestApp } from "../../../tests/_support/test_app.ts";
import { createKindRegistry } from "../../vault/kinds.ts";
import { JSON_BODIES } from "./openapi.ts";

Deno.test("GET /v1/openapi.json describes every /v1 and /internal/v1 route the node registers, and nothing else", async () => {
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
      .filter((r) => /^\/(internal\/)?v1\//.test(r.path) && r.method !== "ALL")
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

Deno.test("GET /v1/openapi.json describes each JSON body with the schema its route validates", async () => {
  await using t = await makeTestApp();
  const doc = await (await t.app.request("/v1/openapi.json")).json();
  // Bodies that are not JSON (bytes, or none at all).
  const NOT_JSON = new Set([
    "POST /v1/auth/challenge",
    "POST /v1/auth/logout",
    "PATCH /v1/uploads/{id}",
    "POST /v1/uploads/{id}/finish",
    "PUT /v1/blobs/{id}",
  ]);
  const missing: string[] = [];
  type Operation = { requestBody?: { content?: Record<string, { schema?: unknown }> } };
  for (
    const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)
  ) {
    for (const [method, op] of Object.entries(ops)) {
      const key = `${method.toUpperCase()} ${path}`;
      if (!["POST", "PUT", "PATCH"].includes(method.toUpperCase()) || NOT_JSON.has(key)) continue;
      // The node-to-node routes are listed for the authorization matrix (tests/reliability);
      // their signed bodies are described in PROTOCOL.md, not by a /v1 route's zod schema.
      if (path.startsWith("/internal/")) continue;
      if (!op.requestBody?.content?.["application/json"]?.schema) missing.push(key);
    }
  }
  assert.deepEqual(missing, []);
  for (const key of Object.keys(JSON_BODIES)) {
    const [method, path] = key.split(" ");
    assert.ok(doc.paths[path]?.[method.toLowerCase()], `${key} is an operation`);
  }
  const upload = doc.paths["/v1/uploads"].post.requestBody.content["application/json"].schema;
  assert.deepEqual(upload.required.sort(), ["blob", "size"]);
  const setup = doc.paths["/v1/setup"].post.requestBody.content["application/json"].schema;
  assert.deepEqual(setup.properties.records.items, { $ref: "#/components/schemas/SignedRecord" });
  assert.ok(setup.properties.code, "the setup code is part of the setup body");
});

Deno.test("Every JSON body a /v1 route reads is one the OpenAPI document lists", async () => {
  // A route reads its body with readJson(c, <X>_BODIES["<operation>"]): anything else would
  // be a body the document does not describe.
  const dir = new URL("./", import.meta.url);
  const unlisted: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.name.endsWith(".ts") || e.name.endsWith("_test.ts")) continue;
    const source = await Deno.readTextFile(new URL(e.name, dir));
    for (const m of source.matchAll(/readJson\(\s*c,\s*([^)]*)\)/g)) {
      const op = /^[A-Z_]+_BODIES\["([^"]+)"\]$/.exec(m[1].trim())?.[1];
      if (!op || !JSON_BODIES[op]) unlisted.push(`${e.name}: readJson(c, ${m[1].trim()})`);
    }
  }
  assert.deepEqual(unlisted, []);
});
