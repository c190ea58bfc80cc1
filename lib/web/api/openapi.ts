/**
 * The OpenAPI 3.1 description of the `/v1` API, served at `GET /v1/openapi.json`.
 * Record body schemas come from the same zod schemas the node validates with,
 * so the document cannot drift from what is enforced; a test checks that every
 * registered `/v1` route is described.
 */

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
import { ALBUM_BODIES } from "./albums.ts";
import { AUTH_BODIES } from "./auth.ts";
import { BLOB_BODIES } from "./blob_batch.ts";
import { DEVICE_LINK_BODIES } from "./device_links.ts";
import { MEMBER_BODIES } from "./members.ts";
import { NODE_BODIES } from "./nodes.ts";
import { RECORD_BODIES } from "./records.ts";
import { REPLICATION_BODIES } from "./replication.ts";
import { SETUP_BODIES } from "./setup.ts";
import { UPLOAD_BODIES } from "./uploads.ts";

/** The zod schema of each operation's JSON body: the one its route validates with. */
export const JSON_BODIES: Record<string, z.ZodType> = {
  ...ALBUM_BODIES,
  ...AUTH_BODIES,
  ...BLOB_BODIES,
  ...DEVICE_LINK_BODIES,
  ...MEMBER_BODIES,
  ...NODE_BODIES,
  ...RECORD_BODIES,
  ...REPLICATION_BODIES,
  ...SETUP_BODIES,
  ...UPLOAD_BODIES,
};

interface Op {
  summary: string;
  /** false: no session needed; "node": a family node's signed request (PROTOCOL §2). */
  auth?: false | "node";
  body?: string;
  ok?: string;
}

/** Every /v1 route: method + OpenAPI path → what it does. */
export const OPERATIONS: Record<string, Op> = {
  "POST /v1/setup/check": { summary: "Check this node's one-time setup code", auth: false },
  "POST /v1/setup": {
    summary: "Create the family: setup code + signed family record, founder's member record, " +
      "family key wrapped for the founder (and this node's record)",
    auth: false,
    body: "records",
  },
  "POST /v1/auth/challenge": { summary: "Get a single-use login challenge (60 s)", auth: false },
  "POST /v1/auth/verify": {
    summary: "Sign in: Ed25519 signature over the login message (FORMAT.md §8)",
    auth: false,
  },
  "POST /v1/auth/logout": { summary: "End this session", auth: false },
  "GET /v1/session": {
    summary: "The signed-in member (name sealed), the family's id and this member's devices",
  },
  "GET /v1/family": {
    summary: "Sealed names and my wrapped family key (FORMAT §14); for admins, who lacks the " +
      "key in force and whether a removal awaits a new key",
  },
  "DELETE /v1/sessions/{handle}": { summary: "End one of my sessions (a device)" },
  "GET /v1/members": { summary: "Family members (names sealed) with their signed records" },
  "GET /v1/invites": { summary: "Invites and their status (admins)" },
  "POST /v1/join": {
    summary: "Redeem an invite with a self-signed member record (and the family key wrapped " +
      "for herself)",
    auth: false,
  },
  "POST /v1/records": {
    summary: "Store signed records (any kind), authorized per author",
    body: "records",
  },
  "GET /v1/heads": {
    summary: "What a record made now follows in the family log (prev) and the stamp to exceed",
  },
  "GET /v1/albums": { summary: "Albums I may see, with my wrapped album key" },
  "POST /v1/albums": { summary: "Create an album: album record + owner grant", body: "records" },
  "GET /v1/albums/{id}": { summary: "One album and its grants" },
  "GET /v1/albums/{id}/photos": { summary: "A page of an album's photos (?after=&limit=)" },
  "POST /v1/device-links": { summary: "Leave my sealed seed for a device I link (10 min)" },
  "GET /v1/device-links/{lookup}": { summary: "Is my device link still waiting? (404 once used)" },
  "POST /v1/device-links/claim": { summary: "Fetch a sealed device link once, by its lookup" },
  "GET /v1/albums/{id}/index": { summary: "The album's sealed index shards (FORMAT §12.5)" },
  "GET /v1/album-indexes": { summary: "Every album I can open: its sealed index shards" },
  "GET /v1/photos": { summary: "Photo records by id (?ids=a,b,…; up to 200), those I may see" },
  "POST /v1/photos": {
    summary: "Register photos naming my own uploads, each with its receipt",
    body: "records",
  },
  "GET /v1/photos/{id}": { summary: "One photo record" },
  "POST /v1/uploads": {
    summary: "Open a resumable upload for {blob, size} (complete at once only for my own)",
  },
  "GET /v1/uploads/{id}": {
    summary: "The acknowledged offset of an upload (finished: true once stored)",
  },
  "PATCH /v1/uploads/{id}": { summary: "Append a chunk at Upload-Offset (409 tells the offset)" },
  "POST /v1/uploads/{id}/finish": {
    summary: "Store the blob if the bytes hash to its id (else 422); answers my receipt; " +
      "asked again, the same answer",
  },
  "DELETE /v1/uploads/{id}": { summary: "Cancel an upload" },
  "PUT /v1/blobs/{id}": {
    summary: "Store a blob in one request (streamed; 422 on hash mismatch); answers my receipt",
  },
  "GET /v1/blobs/{id}": { summary: "Read a blob I may read (Range supported); 404 otherwise" },
  "HEAD /v1/blobs/{id}": { summary: "Blob size, if I may read it" },
  "POST /v1/blobs/batch": {
    summary: "Up to 100 blobs in one framed stream ({ids}; PROTOCOL §9): each one's bytes, " +
      'or "not readable" alike for unreadable, unknown and not-yet-stored ids; 16 MiB at most',
  },
  "GET /v1/openapi.json": { summary: "This document", auth: false },
  // Nodes and replication (docs/PROTOCOL.md).
  "GET /v1/nodes": { summary: "This node and its peers: status, path, last sync, storage" },
  "POST /v1/nodes/peers": {
    summary: "Pair a node (admins): its join code + the admin-signed node record",
  },
  "POST /v1/nodes/join-code": {
    summary: "A fresh node's join code, for its setup code",
    auth: false,
  },
  "GET /v1/nodes/join-status": {
    summary: "Whether this node has joined a family, and has read its records (ready)",
    auth: false,
  },
  "GET /v1/replication/status": {
    summary: "Replication backlog per peer and state; path (HTTP or WebRTC) and throughput",
  },
  "POST /v1/replication/locations": { summary: "Where blobs are stored ({blobIds})" },
  "GET /v1/blobs/{id}/locations": { summary: "Which nodes hold a blob, acked and verified when" },
  "GET /v1/events": { summary: "Live replication status (text/event-stream)" },
};

/**
 * The JSON schema of an operation's body, from the zod schema its route validates with; the
 * records of a record batch are described as signed records.
 */
function bodySchema(key: string, op: Op): Record<string, unknown> {
  const schema = z.toJSONSchema(JSON_BODIES[key]) as {
    properties?: Record<string, Record<string, unknown>>;
  };
  if (op.body === "records" && schema.properties?.records) {
    schema.properties.records.items = { $ref: "#/components/schemas/SignedRecord" };
  }
  return schema;
}

/** Every node-to-node route (docs/PROTOCOL.md §3): signed requests from family nodes only. */
export const INTERNAL_OPERATIONS: Record<string, Op> = {
  "GET /internal/v1/hello": { summary: "Who the node is, its feed, its storage", auth: "node" },
  "GET /internal/v1/records": { summary: "The record feed after ?after=", auth: "node" },
  "POST /internal/v1/records": { summary: "Push a page of the caller's feed", auth: "node" },
  "GET /internal/v1/inventory": { summary: "Blob ids held, a page at a time", auth: "node" },
  "POST /internal/v1/blobs/have": { summary: "Which of {ids} the node holds", auth: "node" },
  "POST /internal/v1/blobs/offer": { summary: "Blobs the caller holds, to pull", auth: "node" },
  "PUT /internal/v1/blobs/{id}": { summary: "Push a blob (422 on hash mismatch)", auth: "node" },
  "GET /internal/v1/blobs/{id}": { summary: "Pull a blob", auth: "node" },
  "POST /internal/v1/blobs/{id}/proof": {
    summary: "Proof of possession: SHA-256(nonce ‖ blob)",
    auth: "node",
  },
  "POST /internal/v1/bootstrap": {
    summary: "A fresh node takes the family's trust records (pairing)",
    auth: "node",
  },
};

export function openApiDocument(extra: Record<string, Op> = {}): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [key, op] of Object.entries({ ...OPERATIONS, ...INTERNAL_OPERATIONS, ...extra })) {
    const [method, path] = key.split(" ");
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    paths[path] ??= {};
    paths[path][method.toLowerCase()] = {
      summary: op.summary,
      ...(params.length ? { parameters: params } : {}),
      ...(op.auth === false ? { security: [] } : {}),
      ...(op.auth === "node" ? { security: [{ nodeSignature: [] }] } : {}),
      ...(JSON_BODIES[key]
        ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: bodySchema(key, op) } },
          },
        }
        : op.body === "records"
        ? {
          requestBody: {
            content: {
              "application/json": { schema: { $ref: "#/components/schemas/RecordBatch" } },
            },
          },
        }
        : {}),
      responses: {
        "2XX": { description: "Success" },
        default: {
          description: "Error",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
      },
    };
  }
  const bodies = {
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
  return {
    openapi: "3.1.0",
    info: {
      title: "p2pos node API",
      version: VERSION,
      description: "Every change is a record signed in the browser (docs/FORMAT.md §6); " +
        "nodes store ciphertext and opaque ids only. Unsafe methods must be same-origin.",
    },
    security: [{ session: [] }],
    paths,
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
          properties: {
            records: { type: "array", items: { $ref: "#/components/schemas/SignedRecord" } },
          },
        },
        ...Object.fromEntries(Object.entries(bodies).map(([n, s]) => [n, z.toJSONSchema(s)])),
      },
    },
  };
}
