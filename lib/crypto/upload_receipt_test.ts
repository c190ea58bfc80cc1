// Deno-only test; the code under test is browser-compatible.

import assert from "node:assert/strict";
import { toBase64Url, utf8Decode } from "./bytes.ts";
import { uploadReceiptMessage } from "./upload_receipt.ts";

const member = toBase64Url(new Uint8Array(32).fill(3));
const ok = { nodeId: "ABCDEFG-HIJKLMN", member, blob: "ab".repeat(32), size: 791 };

Deno.test("uploadReceiptMessage() is the FORMAT §13 text", () => {
  assert.equal(
    utf8Decode(uploadReceiptMessage(ok)),
    `p2pos-upload-receipt-v1\nnode:ABCDEFG-HIJKLMN\nmember:${member}\nblob:${"ab".repeat(32)}\n` +
      "size:791\n",
  );
});

Deno.test("uploadReceiptMessage() refuses fields that could forge another line", () => {
  assert.throws(() => uploadReceiptMessage({ ...ok, nodeId: "OAK\nmember:x" }), RangeError);
  assert.throws(() => uploadReceiptMessage({ ...ok, member: "c2hvcnQ" }), RangeError);
  assert.throws(() => uploadReceiptMessage({ ...ok, member: member + "=" }), SyntaxError);
  for (const blob of ["AB".repeat(32), "ab".repeat(31), `${"ab".repeat(31)}\na`]) {
    assert.throws(() => uploadReceiptMessage({ ...ok, blob }), RangeError, blob);
  }
  for (const size of [-1, 1.5, NaN, 2 ** 53]) {
    assert.throws(() => uploadReceiptMessage({ ...ok, size }), RangeError, String(size));
  }
});
