/**
 * The `node` record kind (DESIGN §4): the family's nodes are exactly the node
 * keys that admin-signed node records name. Replication trusts nothing else:
 * no shared secret between nodes.
 *
 * - id = the node id (grouped base32 of SHA-256 of the public key), so a
 *   record can never name one node and carry another node's key;
 * - body: `publicKey` (base64url Ed25519), `url` (http(s) origin where peers
 *   reach it; absent for a node that only dials out), `name`, `removed`;
 * - author: an active admin, for adding, renaming, moving and removing alike.
 *   The key never changes: a node with a new key is a new node.
 *
 * Browser-compatible: no I/O (islands use the schema and helpers).
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { z } from "zod";
import {
  fromBase64Url,
  isStrongSigningKey,
  toBase64Url,
  utf8Decode,
  utf8Encode,
} from "../crypto/mod.ts";
import { ForbiddenError, ValidationError } from "./errors.ts";
import { isAdmin } from "./family_kinds.ts";
import { nodeIdFromDigest } from "./node_id.ts";
import type { RecordKind, RecordView, TypedRecord } from "./record_kinds.ts";
import { describeIssues, DisplayName, Key32 } from "./schemas.ts";

/** An http(s) origin: scheme, host and port only, no path, no credentials. */
export const NodeUrl = z.string().max(300).refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === "http:" || u.protocol === "https:") && u.origin === s;
  } catch {
    return false;
  }
}, "expected an http(s) origin such as https://node.example:8420 (no path, no trailing slash)");

/** A node's Ed25519 public key: 32 bytes, a canonical point not of small order. */
const NodeKey = Key32.refine(
  (k) => {
    try {
      return isStrongSigningKey(fromBase64Url(k));
    } catch {
      return false; // not base64url: Key32 says so
    }
  },
  "expected an Ed25519 public key (this one is of small order or not a canonical point: " +
    "anyone could sign as it)",
);

export const NodeBody = z.object({
  publicKey: NodeKey,
  url: NodeUrl.optional(),
  name: DisplayName,
  removed: z.boolean(),
}).strict();
export type NodeBody = z.infer<typeof NodeBody>;

/** Node id of a base64url Ed25519 public key (synchronous: records are checked synchronously). */
export function nodeIdOfKey(publicKey: string): string {
  const bytes = fromBase64Url(publicKey);
  if (bytes.length !== 32) {
    throw new RangeError(`Node public key expected 32 bytes, got ${bytes.length}`);
  }
  return nodeIdFromDigest(sha256(bytes));
}

/** The node record of `nodeId` when that node is a current member of the family. */
export function activeNode(view: RecordView, nodeId: string): TypedRecord<NodeBody> | undefined {
  const n = view.get<NodeBody>("node", nodeId);
  return n && !n.body.removed ? n : undefined;
}

/** Every current family node, this one included when it has a record. */
export function activeNodes(view: RecordView): TypedRecord<NodeBody>[] {
  return view.list<NodeBody>("node").filter((n) => !n.body.removed);
}

export const nodeKind: RecordKind<NodeBody> = {
  kind: "node",
  parseBody(body) {
    const parsed = NodeBody.safeParse(body);
    if (!parsed.success) throw new ValidationError(`Node body: ${describeIssues(parsed.error)}`);
    return parsed.data;
  },
  authorize(record, previous, view) {
    if (nodeIdOfKey(record.body.publicKey) !== record.id) {
      throw new ForbiddenError("a node record's id must be the node id of its public key");
    }
    if (previous && previous.body.publicKey !== record.body.publicKey) {
      throw new ForbiddenError("a node's key never changes; pair the new key as a new node");
    }
    if (!isAdmin(view, record.author)) {
      throw new ForbiddenError("only an admin may add, change or remove a node");
    }
  },
  withdraws: (body) => body.removed,
};

/**
 * A join code (PROTOCOL §4.1): what a fresh node shows so that an admin on a
 * family node can approve it. base64url of UTF-8 JSON. `code` is the fresh
 * node's setup code: it proves the admin got the join code from that node's
 * operator, and the fresh node accepts the family only with it.
 */
export const JoinCode = z.object({
  v: z.literal(1),
  nodeId: z.string().regex(/^[A-Z2-7]{7}(-[A-Z2-7]{7}){7}$/, "expected a grouped node id"),
  publicKey: NodeKey,
  url: NodeUrl.optional(),
  code: z.string().min(1).max(64),
}).strict();
export type JoinCode = z.infer<typeof JoinCode>;

export function encodeJoinCode(join: JoinCode): string {
  return toBase64Url(utf8Encode(JSON.stringify(join)));
}

/** Parses a pasted join code; throws SyntaxError saying what is wrong with it. */
export function decodeJoinCode(text: string): JoinCode {
  const compact = text.replace(/\s+/g, "");
  if (compact.length === 0 || compact.length > 2000) {
    throw new SyntaxError("A join code is a single line of letters, digits, - and _");
  }
  let value: unknown;
  try {
    value = JSON.parse(utf8Decode(fromBase64Url(compact)));
  } catch {
    throw new SyntaxError("That is not a join code: copy it again from the new node's page");
  }
  const parsed = JoinCode.safeParse(value);
  if (!parsed.success) {
    throw new SyntaxError(`That join code is damaged: ${describeIssues(parsed.error)}`);
  }
  if (nodeIdOfKey(parsed.data.publicKey) !== parsed.data.nodeId) {
    throw new SyntaxError("That join code is damaged: its node id does not match its key");
  }
  return parsed.data;
}
