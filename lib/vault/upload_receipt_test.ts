// Unit tests of the upload-receipt rule (FORMAT §13, SECURITY "Reading blobs"): a photo names
// only blobs its uploader sent to a node of the family, with the receipt that node gave back.

import assert from "node:assert/strict";
import { toBase64Url } from "../crypto/mod.ts";
import type { Origin } from "../core/record_kinds.ts";
import { newNodeSigner } from "../../tests/_support/node_signer.ts";
import { MemoryView } from "./_memory_view.ts";
import { checkUploadReceipt, issueUploadReceipt } from "./upload_receipt.ts";

const API: Origin = { via: "api" };
const PEER: Origin = { via: "peer", nodeId: "PINE" };
const [ANN, BEN] = ["ann", "ben"].map((k) => k.padEnd(43, "A"));
const BLOB = "ab".repeat(32);

async function family() {
  const view = new MemoryView();
  const oak = await newNodeSigner();
  const body = { publicKey: toBase64Url(oak.publicKey), name: "Oak", removed: false };
  view.put("node", oak.nodeId, ANN, body);
  const receipt = await issueUploadReceipt(oak, ANN, BLOB, 1000);
  const check = (
    ref: { id: string; size: number; receipt?: typeof receipt },
    uploader = ANN,
    origin = API,
  ) => checkUploadReceipt(view, uploader, ref, origin, "original");
  return { view, oak, body, receipt, check };
}

Deno.test("A receipt from a family node, for the uploader, this blob and size, is accepted", async () => {
  const { receipt, check } = await family();
  check({ id: BLOB, size: 1000, receipt });
  check({ id: BLOB, size: 1000, receipt }, ANN, PEER);
});

Deno.test("A blob without a receipt, or one from a stranger's node, is refused", async () => {
  const { receipt, check } = await family();
  assert.throws(() => check({ id: BLOB, size: 1000 }), /carries no upload receipt/);
  const stranger = await newNodeSigner();
  const foreign = await issueUploadReceipt(stranger, ANN, BLOB, 1000);
  assert.throws(
    () => check({ id: BLOB, size: 1000, receipt: foreign }),
    /not from a node of this family/,
  );
  assert.throws(
    () => check({ id: BLOB, size: 1000, receipt: { ...receipt, node: stranger.nodeId } }),
    /not from a node of this family/,
  );
});

Deno.test("A receipt proves only what it was given for: this uploader, this blob, this size", async () => {
  const { receipt, check } = await family();
  const refused = /was not given to its uploader for these bytes/;
  assert.throws(() => check({ id: BLOB, size: 1000, receipt }, BEN), refused, "another member");
  assert.throws(() => check({ id: "cd".repeat(32), size: 1000, receipt }), refused, "another blob");
  assert.throws(() => check({ id: BLOB, size: 999, receipt }), refused, "another size");
  const sig = receipt.sig.startsWith("A") ? "B" + receipt.sig.slice(1) : "A" + receipt.sig.slice(1);
  assert.throws(() => check({ id: BLOB, size: 1000, receipt: { ...receipt, sig } }), refused);
});

Deno.test("A removed node's receipts are refused from a browser, still honoured from a peer", async () => {
  const { view, oak, body, receipt, check } = await family();
  view.put("node", oak.nodeId, ANN, { ...body, removed: true });
  assert.throws(() => check({ id: BLOB, size: 1000, receipt }), /not from a node of this family/);
  // A photo admitted while the node was current must reach nodes paired later too.
  check({ id: BLOB, size: 1000, receipt }, ANN, PEER);
});
