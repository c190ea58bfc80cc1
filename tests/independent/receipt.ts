/**
 * Upload receipts (FORMAT §13), written from the text: the four field rules and the strict
 * signature check, in their order. Part of the second implementation: imports nothing from lib/.
 *
 * @module
 */

import { unb64, utf8 } from "./encoding.ts";
import { verifyStrictText } from "./ed25519.ts";
import { Failure } from "./failure.ts";

export interface ReceiptStatement {
  nodeId: string;
  member: string;
  blob: string;
  size: number;
}

/** §13 steps 1–4, then the message bytes. */
export function receiptMessageOf({ nodeId, member, blob, size }: ReceiptStatement): Uint8Array {
  if (!/^[A-Za-z0-9-]{1,128}$/.test(nodeId)) throw new Failure("receipt", "node_id");
  if (unb64(member)?.length !== 32) throw new Failure("receipt", "member");
  if (!/^[0-9a-f]{64}$/.test(blob)) throw new Failure("receipt", "blob");
  if (!Number.isInteger(size) || size < 0 || size > 2 ** 53 - 1) {
    throw new Failure("receipt", "size");
  }
  return utf8(
    `p2pos-upload-receipt-v1\nnode:${nodeId}\nmember:${member}\nblob:${blob}\nsize:${size}\n`,
  );
}

/** §13 steps 1–5. Returns the message that was verified. */
export function verifyReceipt(
  statement: ReceiptStatement,
  signature: string,
  nodePublicKey: Uint8Array,
): Uint8Array {
  const message = receiptMessageOf(statement);
  if (!verifyStrictText(signature, message, nodePublicKey)) {
    throw new Failure("receipt", "signature");
  }
  return message;
}
