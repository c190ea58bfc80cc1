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

import { assertString, fromBase64Url, utf8Encode } from "./bytes.ts";

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
 * Each field is validated so none can smuggle a newline and forge another line.
 */
export function uploadReceiptMessage(
  { nodeId, member, blob, size }: UploadReceiptStatement,
): Uint8Array {
  assertString(nodeId, "nodeId");
  assertString(member, "member");
  assertString(blob, "blob");
  if (!NODE_ID_PATTERN.test(nodeId)) {
    throw new RangeError(`"nodeId" expected 1..128 letters, digits or dashes`);
  }
  if (fromBase64Url(member).length !== 32) { // SyntaxError when not canonical base64url
    throw new RangeError(`"member" expected base64url of a 32-byte public key`);
  }
  if (!BLOB_ID_PATTERN.test(blob)) throw new RangeError(`"blob" expected 64 lowercase hex digits`);
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`"size" expected a whole number of bytes, got ${size}`);
  }
  return utf8Encode(
    `p2pos-upload-receipt-v1\nnode:${nodeId}\nmember:${member}\nblob:${blob}\nsize:${size}\n`,
  );
}
