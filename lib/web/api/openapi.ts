/**
 * The OpenAPI 3.1 description of the `/v1` and `/internal/v1` APIs, served at
 * `GET /v1/openapi.json`. It is generated from the app (hono-openapi): each route carries its
 * own description where it is defined (`app.post(path, describe({ … }), handler)`), and a JSON
 * body is described by the zod schema the route validates it with, so the document cannot
 * drift from what is enforced. A test checks that no registered route lacks a description.
 */

import type { Env, Hono, MiddlewareHandler } from "hono";
import { describeRoute, type GenerateSpecOptions, generateSpecs, resolver } from "hono-openapi";
import { z } from "zod";
import { FamilyKeyBody } from "../../core/family_key_kind.ts";
import { FamilyBody, InviteBody, MemberBody } from "../../core/family_kinds.ts";
import { NodeBody } from "../../core/node_kinds.ts";
import { MAX_PREV } from "../../crypto/mod.ts";
import {
  AlbumBody,
  AlbumIndexBody,
  GrantBody,
  PhotoBody,
  TombstoneBody,
} from "../../vault/album_kinds.ts";
import { VERSION } from "../version.ts";

/** What the document says of one route, written beside the route. */
export interface RouteDescription {
  summary: string;
  /**
   * Who may call it: a signed-in member (the default), anyone (`false`), or a family node by a
   * signed request (`"node"`, PROTOCOL §2).
   */
  auth?: false | "node";
  /** The zod schema the route validates its JSON body with. */
  body?: z.ZodType;
  /**
   * The body's `records` (or its one `record`) are signed records (FORMAT §6), which its zod
   * schema leaves to the record log to check.
   */
  signedRecords?: boolean;
}

/** The parts of the document that its readers use. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Record<string, unknown>> };
  [key: string]: unknown;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A route's description, as hono-openapi middleware to register with the route. */
export function describe(d: RouteDescription): MiddlewareHandler {
  // The zod schema types a record as unknown (the record log checks it); the document names
  // its shape instead.
  const override = (ctx: { jsonSchema: Record<string, unknown>; path: (string | number)[] }) => {
    const at = ctx.path.join("/");
    if (at !== "properties/records/items" && at !== "properties/record") return;
    for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
    Object.assign(ctx.jsonSchema, ref("SignedRecord"));
  };
  return describeRoute({
    summary: d.summary,
    ...(d.auth === false ? { security: [] } : {}),
    ...(d.auth === "node" ? { security: [{ nodeSignature: [] }] } : {}),
    ...(d.body
      ? {
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: resolver(d.body, d.signedRecords ? { options: { override } } : undefined),
            },
          },
        },
      }
      : {}),
    responses: {
      "2XX": { description: "Success" },
      default: { description: "Error", content: { "application/json": { schema: ref("Error") } } },
    },
  });
}

/** The record kinds' bodies, as the node validates them. */
const RECORD_BODIES = {
  FamilyBody,
  MemberBody,
  InviteBody,
  FamilyKeyBody,
  NodeBody,
  AlbumBody,
  GrantBody,
  PhotoBody,
  TombstoneBody,
  AlbumIndexBody,
};

/** What the document says besides its routes. */
const DOCUMENTATION: GenerateSpecOptions["documentation"] = {
  openapi: "3.1.0",
  info: {
    title: "p2pos node API",
    version: VERSION,
    description: "Every change is a record signed in the browser (docs/FORMAT.md §6); " +
      "nodes store ciphertext and opaque ids only. Unsafe methods must be same-origin.",
  },
  security: [{ session: [] }],
  components: {
    securitySchemes: {
      session: {
        type: "apiKey",
        in: "cookie",
        name: "__Host-p2pos_session_<first 8 characters of the node id>",
      },
      nodeSignature: {
        type: "apiKey",
        in: "header",
        name: "p2pos-signature",
        description: "Ed25519 signature by a family node's key over the request (PROTOCOL §2)",
      },
    },
    schemas: {
      Error: {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["code", "message"],
            properties: { code: { type: "string" }, message: { type: "string" } },
          },
        },
      },
      SignedRecord: {
        type: "object",
        required: ["v", "kind", "id", "author", "hlc", "prev", "body", "sig"],
        properties: {
          v: { const: 2 },
          kind: { type: "string" },
          id: { type: "string" },
          author: { type: "string", description: "base64url Ed25519 public key" },
          hlc: { type: "string", pattern: "^\\d{15}\\.\\d{6}$" },
          prev: {
            type: "array",
            maxItems: MAX_PREV,
            items: { type: "string", pattern: "^[0-9a-f]{64}$" },
            description: "link hashes of the records it follows (FORMAT §6.5)",
          },
          body: { type: "object" },
          sig: { type: "string", description: "base64url Ed25519 signature" },
        },
      },
      RecordBatch: {
        type: "object",
        required: ["records"],
        properties: { records: { type: "array", items: ref("SignedRecord") } },
      },
      ...Object.fromEntries(
        Object.entries(RECORD_BODIES).map(([name, schema]) => [name, z.toJSONSchema(schema)]),
      ),
    },
  },
};

/** The OpenAPI document of every described route of `app`. */
export async function openApiDocument<E extends Env>(app: Hono<E>): Promise<OpenApiDocument> {
  const doc = await generateSpecs(app, {
    documentation: DOCUMENTATION,
    // The default drops paths that look like files: /v1/openapi.json is a route.
    excludeStaticFile: false,
  });
  return doc as unknown as OpenApiDocument;
}

/** `GET /v1/openapi.json`: the document of `app`, made on the first request and kept. */
export function openApiRoute<E extends Env>(app: Hono<E>): MiddlewareHandler<E> {
  let doc: Promise<OpenApiDocument> | undefined;
  return async (c) => {
    doc ??= openApiDocument(app).catch((err) => {
      doc = undefined;
      throw err;
    });
    return c.json(await doc);
  };
}
