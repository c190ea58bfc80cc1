/**
 * The message a node signs when a member has uploaded a blob's bytes to it: an upload
 * receipt (FORMAT §13). Browser-compatible: no I/O, no Deno or Node APIs.
 *
 * A photo record may name only blobs its uploader could read (SECURITY.md, "Reading blobs"):
 * she must have sent the bytes herself. Only the node that took the upload knows that, so it
 * signs this statement with its node key; the member's browser puts the receipt in the photo
 * record, and every node that admits the record checks it against the family's node keys.
 * The "p2pos-upload-receipt-v1" prefix separates it from every other signature in the system.
 *
 * @module
 */

import { assertBytes, assertString, fromBase64UrlOrNull, utf8Encode } from "./bytes.ts";
import { ReceiptError } from "./errors.ts";
import { verifyBase64Url } from "./identity.ts";

/** What a receipt says: node `nodeId` received all `size` bytes of blob `blob` from `member`. */
export interface UploadReceiptStatement {
  /** The signing node's id as displayed (letters, digits, dashes). */
  nodeId: string;
  /** base64url of the uploading member's 32-byte Ed25519 public key. */
  member: string;
  /** The blob id: lowercase hex SHA-256 of the ciphertext. */
  blob: string;
  /** The blob's size in bytes. */
  size: number;
}

const NODE_ID_PATTERN = /^[A-Za-z0-9-]{1,128}$/;
const BLOB_ID_PATTERN = /^[0-9a-f]{64}$/;

/**
 * FORMAT §13: UTF-8 of
 * `p2pos-upload-receipt-v1\nnode:<node id>\nmember:<key>\nblob:<id>\nsize:<decimal>\n`.
 * Each field is checked in the order of §13 (node id, member, blob, size), so none can smuggle
 * a newline and forge another line; a bad one throws {@link ReceiptError} naming it.
 */
export function uploadReceiptMessage(
  { nodeId, member, blob, size }: UploadReceiptStatement,
): Uint8Array {
  assertString(nodeId, "nodeId");
  assertString(member, "member");
  assertString(blob, "blob");
  const bad = (code: "node_id" | "member" | "blob" | "size", why: string) =>
    new ReceiptError(code, `Cannot build upload receipt: ${why}`);
  if (!NODE_ID_PATTERN.test(nodeId)) {
    throw bad("node_id", "the node id must be 1..128 letters, digits or dashes");
  }
  if (fromBase64UrlOrNull(member, 32) === null) {
    throw bad("member", "the member must be base64url of a 32-byte public key");
  }
  if (!BLOB_ID_PATTERN.test(blob)) throw bad("blob", "the blob id must be 64 lowercase hex digits");
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw bad("size", `the size must be a whole number of bytes, not ${String(size)}`);
  }
  return utf8Encode(
    `p2pos-upload-receipt-v1\nnode:${nodeId}\nmember:${member}\nblob:${blob}\nsize:${size}\n`,
  );
}

/**
 * FORMAT §13 steps 1–5: builds the message and verifies `signature` (base64url of 64 bytes) over
 * it with the signing node's Ed25519 `nodePublicKey`, strictly (§6.3). Throws
 * {@link ReceiptError}. Which key belongs to `statement.nodeId` is the caller's to know.
 */
export function verifyUploadReceipt(
  statement: UploadReceiptStatement,
  signature: string,
  nodePublicKey: Uint8Array,
): void {
  assertString(signature, "signature");
  assertBytes(nodePublicKey, "nodePublicKey", 32);
  if (!verifyBase64Url(signature, uploadReceiptMessage(statement), nodePublicKey)) {
    throw new ReceiptError(
      "signature",
      "Cannot verify upload receipt: the signature does not verify for this node, member, blob " +
        "and size",
    );
  }
}
