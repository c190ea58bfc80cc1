import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { z } from "zod";
import { makeTestApp } from "../../../tests/_support/test_app.ts";
import { createKindRegistry } from "../../vault/kinds.ts";
import { UPLOAD_BODIES } from "./uploads.ts";
import { SETUP_BODIES } from "./setup.ts";

Deno.test("GET /v1/openapi.json describes every /v1 and /internal/v1 route the node registers, and nothing else", async () => {
  await using t = await makeTestApp();
  const res = await t.app.request("/v1/openapi.json");
  assert.equal(res.status, 200);
  const doc = await res.json();
  assert.equal(doc.openapi, "3.1.0");
  assert.equal(doc.info.title, "p2pos node API");
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

Deno.test("GET /v1/openapi.json is a valid OpenAPI 3.1 document", async () => {
  await using t = await makeTestApp();
  const doc = await (await t.app.request("/v1/openapi.json")).json();
  // Checked against the OpenAPI Initiative's own schema, by a validator that is not the generator.
  const validator = new Validator();
  const result = await validator.validate(doc);
  assert.equal(validator.version, "3.1");
  assert.deepEqual(result.errors ?? [], []);
  assert.equal(result.valid, true);
});

Deno.test("GET /v1/openapi.json says who may call each route", async () => {
  await using t = await makeTestApp();
  const doc = await (await t.app.request("/v1/openapi.json")).json();
  assert.deepEqual(doc.security, [{ session: [] }]);
  assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), [
    "nodeSignature",
    "session",
  ]);
  assert.deepEqual(doc.paths["/v1/auth/challenge"].post.security, [], "no session needed");
  assert.equal(doc.paths["/v1/albums"].get.security, undefined, "the session by default");
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    for (const [method, op] of Object.entries(ops as Record<string, { security?: unknown }>)) {
      if (!path.startsWith("/internal/")) continue;
      assert.deepEqual(op.security, [{ nodeSignature: [] }], `${method} ${path}`);
    }
  }
});

Deno.test("Who may call a route, as the document says, is what the node enforces", async () => {
  await using t = await makeTestApp();
  const doc = await (await t.app.request("/v1/openapi.json")).json();
  const wrong: string[] = [];
  type Operation = { security?: unknown[] };
  for (
    const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)
  ) {
    for (const [method, op] of Object.entries(ops)) {
      // No cookie, no signature: a route needing either refuses before reading anything.
      const res = await t.app.request(path.replace(/\{\w+\}/g, "x"), {
        method: method.toUpperCase(),
      });
      await res.body?.cancel();
      const refused = res.status === 401;
      const needed = op.security === undefined
        ? "session"
        : op.security.length === 0
        ? "nothing"
        : "node signature";
      if ((needed === "nothing") === refused) {
        wrong.push(`${method.toUpperCase()} ${path}: needs ${needed}, answered ${res.status}`);
      }
    }
  }
  assert.deepEqual(wrong, []);
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
    "PUT /internal/v1/blobs/{id}",
  ]);
  const missing: string[] = [];
  type Operation = { requestBody?: { content?: Record<string, { schema?: unknown }> } };
  for (
    const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)
  ) {
    for (const [method, op] of Object.entries(ops)) {
      const key = `${method.toUpperCase()} ${path}`;
      if (!["POST", "PUT", "PATCH"].includes(method.toUpperCase()) || NOT_JSON.has(key)) continue;
      if (!op.requestBody?.content?.["application/json"]?.schema) missing.push(key);
    }
  }
  assert.deepEqual(missing, []);
  const schemaOf = (path: string) =>
    doc.paths[path].post.requestBody.content["application/json"].schema;
  // The route's own zod schema, as JSON Schema.
  const { $schema: _, ...upload } = z.toJSONSchema(UPLOAD_BODIES["POST /v1/uploads"]);
  assert.deepEqual(schemaOf("/v1/uploads"), upload);
  // Records are typed as unknown by the route (the record log checks them): named here.
  const setup = schemaOf("/v1/setup");
  assert.deepEqual(setup.properties.records.items, { $ref: "#/components/schemas/SignedRecord" });
  assert.deepEqual(
    setup.required,
    Object.keys(SETUP_BODIES["POST /v1/setup"].shape),
    "the setup code is part of the setup body",
  );
  assert.deepEqual(schemaOf("/v1/join").properties.record, {
    $ref: "#/components/schemas/SignedRecord",
  });
  assert.deepEqual(schemaOf("/internal/v1/blobs/have").required, ["ids"]);
});

Deno.test("Every JSON body a route reads is the one its description names", async () => {
  // A route reads its body with readJson(c, X) (parse(c, X) between nodes) and is described
  // with describe({ …, body: X }): the same schema, or the document describes another body.
  // A handler made in another file (a factory) reads X there; X must still be described.
  const files = [
    ...[...Deno.readDirSync(new URL("./", import.meta.url))].map((e) => `./${e.name}`),
    "../internal/routes.ts",
  ].filter((f) => f.endsWith(".ts") && !f.endsWith("_test.ts"));
  const READ = /(?:readJson|parse)\(\s*c,\s*([^)]*)\)/g;
  const DESCRIBED = /\bdescribe\(\{(?:(?!\}\),)[^])*?\bbody: (\w+(?:\["[^"]*"\])?)/g;
  const reads = new Set<string>();
  const described = new Set<string>();
  const mismatched: string[] = [];
  for (const f of files) {
    const source = await Deno.readTextFile(new URL(f, import.meta.url));
    for (const m of source.matchAll(READ)) reads.add(m[1].trim());
    for (const m of source.matchAll(DESCRIBED)) described.add(m[1]);
    // One registration per chunk: from one app.<method>( to the next.
    for (const route of source.split(/(?=\bapp\.(?:get|post|put|patch|delete|on)\()/).slice(1)) {
      const read = [...route.matchAll(READ)][0]?.[1].trim();
      const names = [...route.matchAll(DESCRIBED)][0]?.[1];
      if (read !== undefined && read !== names) {
        const where = `${f} ${route.slice(0, route.indexOf(",")).replace(/\s+/g, " ")}`;
        mismatched.push(`${where}: reads ${read}, describes ${names}`);
      }
    }
  }
  for (const r of reads) if (!described.has(r)) mismatched.push(`${r} is read, never described`);
  for (const d of described) if (!reads.has(d)) mismatched.push(`${d} is described, never read`);
  assert.deepEqual(mismatched, []);
  assert.ok(reads.size >= 18, `found ${reads.size} JSON bodies read`);
});
