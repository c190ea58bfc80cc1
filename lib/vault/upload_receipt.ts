/**
 * Upload receipts (FORMAT §13; SECURITY.md, "Reading blobs"). A blob is readable through a
 * grant on an album whose photo names it, so a photo may name only blobs its uploader could
 * already read: bytes she sent herself. The node that took the upload knows that, and signs
 * it: `issueUploadReceipt`. The browser carries the receipt in the photo record (each blob
 * reference's `receipt`), and every node that admits a new photo checks it against the
 * family's node keys: `checkUploadReceipt`. A receipt is bound to the member, the blob id
 * and its size, not to a photo, so the uploader may name her blob in several photos.
 *
 * Browser-compatible: no I/O (the node key signs through the NodeSigner it is given).
 */

import {
  fromBase64Url,
  ReceiptError,
  toBase64Url,
  uploadReceiptMessage,
  verifyUploadReceipt,
} from "../crypto/mod.ts";
import { ForbiddenError } from "../core/errors.ts";
import type { NodeBody } from "../core/node_kinds.ts";
import type { Origin, RecordView } from "../core/record_kinds.ts";
import type { NodeSigner } from "../core/transport.ts";
import { UploadReceipt } from "../core/album_shapes.ts";

export { UploadReceipt };

/** Signs "member `member` uploaded all `size` bytes of blob `blob` to this node". */
export async function issueUploadReceipt(
  signer: Pick<NodeSigner, "nodeId" | "sign">,
  member: string,
  blob: string,
  size: number,
): Promise<UploadReceipt> {
  const message = uploadReceiptMessage({ nodeId: signer.nodeId, member, blob, size });
  return { node: signer.nodeId, sig: toBase64Url(await signer.sign(message)) };
}

/**
 * Throws ForbiddenError unless `ref.receipt` shows that `uploader` sent the bytes of blob
 * `ref.id` (of `ref.size` bytes) to a node of this family. From a browser, the node must be
 * a current one; from a peer, any node the family approved, removed since or not: a photo
 * admitted while its node was current must reach nodes paired later too. The answer never
 * depends on whether the blob is stored anywhere. `what` names the reference in messages.
 */
export function checkUploadReceipt(
  view: RecordView,
  uploader: string,
  ref: { id: string; size: number; receipt?: UploadReceipt },
  origin: Origin,
  what: string,
): void {
  const receipt = ref.receipt;
  if (!receipt) {
    throw new ForbiddenError(
      `its ${what} blob carries no upload receipt: a photo may name only blobs its uploader ` +
        `sent to a family node, with the receipt that node gave back`,
    );
  }
  const node = view.get<NodeBody>("node", receipt.node);
  if (!node || (node.body.removed && origin.via !== "peer")) {
    throw new ForbiddenError(
      `the upload receipt of its ${what} blob is not from a node of this family`,
    );
  }
  try {
    // FORMAT §13: the statement's fields, then the signature, strictly (§6.3).
    verifyUploadReceipt(
      { nodeId: receipt.node, member: uploader, blob: ref.id, size: ref.size },
      receipt.sig,
      fromBase64Url(node.body.publicKey),
    );
  } catch (cause) {
    if (!(cause instanceof ReceiptError)) throw cause;
    throw new ForbiddenError(
      `the upload receipt of its ${what} blob was not given to its uploader for these bytes`,
      { cause },
    );
  }
}
