import assert from "node:assert/strict";
import {
  completeBody,
  isCompleteResult,
  parseError,
  parseListObjects,
  parseListUploads,
  parseUploadId,
} from "./_s3_xml.ts";

const ID = "1e10" + "0".repeat(60);

Deno.test("parseListObjects() keeps keys as strings, reads sizes, and the continuation", () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name><Prefix>p2pos/blobs/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated><NextContinuationToken>tok&amp;1</NextContinuationToken>
  <Contents><Key>p2pos/blobs/${ID}</Key><Size>12</Size><ETag>"x"</ETag></Contents>
  <Contents><Key>a&amp;b</Key><Size>0</Size></Contents>
</ListBucketResult>`;
  assert.deepEqual(parseListObjects(xml), {
    objects: [{ key: `p2pos/blobs/${ID}`, size: 12 }, { key: "a&b", size: 0 }],
    next: "tok&1",
  });
  const one = `<ListBucketResult><IsTruncated>false</IsTruncated>
    <Contents><Key>${ID}</Key><Size>5</Size></Contents></ListBucketResult>`;
  assert.deepEqual(parseListObjects(one), { objects: [{ key: ID, size: 5 }] });
  assert.deepEqual(parseListObjects("<ListBucketResult></ListBucketResult>"), { objects: [] });
});

Deno.test("parseListObjects() refuses answers it cannot trust instead of guessing", () => {
  assert.throws(() => parseListObjects("<Error><Code>X</Code></Error>"), /no <ListBucketResult>/);
  assert.throws(
    () => parseListObjects("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"),
    /truncated but has no continuation/,
  );
  assert.throws(
    () =>
      parseListObjects(
        "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
      ),
    /size of "-1"/,
  );
  assert.throws(
    () =>
      parseListObjects("<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>"),
    /no <Key> value/,
  );
});

Deno.test("parseListUploads(), parseUploadId() and completeBody() follow the S3 shapes", () => {
  const xml = `<ListMultipartUploadsResult><IsTruncated>true</IsTruncated>
    <NextKeyMarker>p2pos/blobs/b</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>
    <Upload><Key>p2pos/blobs/a</Key><UploadId>u1</UploadId></Upload>
    <Upload><Key>p2pos/blobs/b</Key><UploadId>u2</UploadId></Upload>
  </ListMultipartUploadsResult>`;
  assert.deepEqual(parseListUploads(xml), {
    uploads: [{ key: "p2pos/blobs/a", uploadId: "u1" }, { key: "p2pos/blobs/b", uploadId: "u2" }],
    next: { keyMarker: "p2pos/blobs/b", uploadIdMarker: "u2" },
  });
  assert.deepEqual(parseListUploads("<ListMultipartUploadsResult/>"), { uploads: [] });
  assert.equal(
    parseUploadId(
      "<InitiateMultipartUploadResult><UploadId>2~abc</UploadId></InitiateMultipartUploadResult>",
    ),
    "2~abc",
  );
  assert.equal(
    completeBody(['"e1"', '"e<2>"']),
    '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"e1"</ETag></Part>' +
      '<Part><PartNumber>2</PartNumber><ETag>"e&lt;2&gt;"</ETag></Part></CompleteMultipartUpload>',
  );
});

Deno.test("isCompleteResult() is false for a 200 that carries an error, and parseError() reads it", () => {
  const failed = '<?xml version="1.0"?>\n<Error><Code>InternalError</Code>' +
    "<Message>We encountered an internal error.</Message></Error>";
  assert.equal(isCompleteResult(failed), false);
  assert.equal(isCompleteResult("not xml <<"), false);
  assert.equal(
    isCompleteResult("<CompleteMultipartUploadResult><Key>k</Key></CompleteMultipartUploadResult>"),
    true,
  );
  assert.deepEqual(parseError(failed), {
    code: "InternalError",
    message: "We encountered an internal error.",
  });
  assert.deepEqual(parseError(""), { code: "", message: "" });
  assert.deepEqual(parseError("<html>proxy error</html>"), { code: "", message: "" });
});
