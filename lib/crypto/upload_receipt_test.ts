// Deno-only test; the code under test is browser-compatible.

import assert from "node:assert/strict";
import { toBase64Url, utf8Decode } from "./bytes.ts";
import { ReceiptError } from "./errors.ts";
import { deriveIdentity, newSeed, sign } from "./identity.ts";
import { uploadReceiptMessage, verifyUploadReceipt } from "./upload_receipt.ts";

const member = toBase64Url(new Uint8Array(32).fill(3));
const ok = { nodeId: "ABCDEFG-HIJKLMN", member, blob: "ab".repeat(32), size: 791 };
const isCode = (code: string) => (e: unknown) => e instanceof ReceiptError && e.code === code;

Deno.test("uploadReceiptMessage() is the FORMAT §13 text", () => {
  assert.equal(
    utf8Decode(uploadReceiptMessage(ok)),
    `p2pos-upload-receipt-v1\nnode:ABCDEFG-HIJKLMN\nmember:${member}\nblob:${"ab".repeat(32)}\n` +
      "size:791\n",
  );
});

Deno.test("uploadReceiptMessage() refuses fields that could forge another line, by code", () => {
  assert.throws(() => uploadReceiptMessage({ ...ok, nodeId: "OAK\nmember:x" }), isCode("node_id"));
  assert.throws(() => uploadReceiptMessage({ ...ok, member: "c2hvcnQ" }), isCode("member"));
  assert.throws(() => uploadReceiptMessage({ ...ok, member: member + "=" }), isCode("member"));
  for (const blob of ["AB".repeat(32), "ab".repeat(31), `${"ab".repeat(31)}\na`]) {
    assert.throws(() => uploadReceiptMessage({ ...ok, blob }), isCode("blob"), blob);
  }
  for (const size of [-1, 1.5, NaN, 2 ** 53]) {
    assert.throws(() => uploadReceiptMessage({ ...ok, size }), isCode("size"), String(size));
  }
  // FORMAT §13 order: the node id is reported before the other fields.
  assert.throws(
    () => uploadReceiptMessage({ nodeId: "", member: "", blob: "", size: -1 }),
    isCode("node_id"),
  );
});

Deno.test("verifyUploadReceipt() accepts the node's signature and refuses any other", () => {
  const node = deriveIdentity(newSeed());
  const sig = sign(uploadReceiptMessage(ok), node.signingSecretKey);
  verifyUploadReceipt(ok, toBase64Url(sig), node.signingPublicKey);
  const other = deriveIdentity(newSeed());
  const refused = [
    [ok, toBase64Url(sig), other.signingPublicKey], // another node's key
    [{ ...ok, size: 792 }, toBase64Url(sig), node.signingPublicKey], // other bytes
    [ok, toBase64Url(sig.slice(0, 63)), node.signingPublicKey], // 63 bytes
    [ok, toBase64Url(sig) + "=", node.signingPublicKey], // not base64url
  ] as const;
  for (const [statement, s, key] of refused) {
    assert.throws(() => verifyUploadReceipt(statement, s, key), isCode("signature"));
  }
});
