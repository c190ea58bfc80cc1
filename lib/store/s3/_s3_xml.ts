/**
 * The S3 XML answers the blob store reads, parsed with `fast-xml-parser` into plain values.
 * Tag values stay strings (`parseTagValue: false`): a hex key like `1e10…` must never become
 * a number. A field missing from an answer is an error, not a silent default.
 */

import { XMLParser } from "fast-xml-parser";

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  processEntities: true,
  isArray: (name) => name === "Contents" || name === "Upload" || name === "CommonPrefixes",
});

type Node = Record<string, unknown>;

function parse(xml: string, root: string): Node {
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch (err) {
    throw new SyntaxError(`The object store sent malformed XML for ${root}`, { cause: err });
  }
  const node = doc?.[root];
  if (node === "") return {}; // an element with nothing in it
  if (!node || typeof node !== "object") {
    throw new SyntaxError(`The object store's answer has no <${root}> element`);
  }
  return node as Node;
}

function text(node: Node, name: string): string {
  const v = node[name];
  if (typeof v !== "string") {
    throw new SyntaxError(`The object store's answer has no <${name}> value`);
  }
  return v;
}

function optional(node: Node, name: string): string | undefined {
  const v = node[name];
  return typeof v === "string" ? v : undefined;
}

export interface ListedObject {
  key: string;
  size: number;
}

export interface ListObjectsPage {
  objects: ListedObject[];
  /** Present when the listing goes on: pass as `continuation-token`. */
  next?: string;
}

/** `ListBucketResult` of ListObjectsV2. */
export function parseListObjects(xml: string): ListObjectsPage {
  const node = parse(xml, "ListBucketResult");
  const objects = ((node.Contents as Node[] | undefined) ?? []).map((c) => {
    const size = Number(text(c, "Size"));
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new SyntaxError(`The object store listed a size of "${c.Size}"`);
    }
    return { key: text(c, "Key"), size };
  });
  const truncated = optional(node, "IsTruncated") === "true";
  const next = optional(node, "NextContinuationToken");
  if (truncated && !next) {
    throw new SyntaxError("The object store's listing is truncated but has no continuation");
  }
  return truncated ? { objects, next } : { objects };
}

export interface MultipartUpload {
  key: string;
  uploadId: string;
}

/** `ListMultipartUploadsResult`. */
export function parseListUploads(
  xml: string,
): { uploads: MultipartUpload[]; next?: { keyMarker: string; uploadIdMarker: string } } {
  const node = parse(xml, "ListMultipartUploadsResult");
  const uploads = ((node.Upload as Node[] | undefined) ?? []).map((u) => ({
    key: text(u, "Key"),
    uploadId: text(u, "UploadId"),
  }));
  if (optional(node, "IsTruncated") !== "true") return { uploads };
  return {
    uploads,
    next: {
      keyMarker: text(node, "NextKeyMarker"),
      uploadIdMarker: optional(node, "NextUploadIdMarker") ?? "",
    },
  };
}

/** `InitiateMultipartUploadResult`: the upload id. */
export function parseUploadId(xml: string): string {
  return text(parse(xml, "InitiateMultipartUploadResult"), "UploadId");
}

/**
 * CompleteMultipartUpload can answer 200 and still have failed (the error comes in the
 * body, after a keep-alive wait): `true` only for a `CompleteMultipartUploadResult`.
 */
export function isCompleteResult(xml: string): boolean {
  try {
    return parser.parse(xml)?.CompleteMultipartUploadResult !== undefined;
  } catch {
    return false;
  }
}

/** `<Error><Code>…</Code><Message>…</Message></Error>`, or empty strings. */
export function parseError(xml: string): { code: string; message: string } {
  if (!xml.includes("<Error")) return { code: "", message: "" };
  try {
    const node = parser.parse(xml)?.Error as Node | undefined;
    return {
      code: typeof node?.Code === "string" ? node.Code : "",
      message: typeof node?.Message === "string" ? node.Message : "",
    };
  } catch {
    return { code: "", message: "" };
  }
}

/** The body of CompleteMultipartUpload. ETags are the store's, quoted as it sent them. */
export function completeBody(etags: string[]): string {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const parts = etags.map((etag, i) =>
    `<Part><PartNumber>${i + 1}</PartNumber><ETag>${esc(etag)}</ETag></Part>`
  );
  return `<CompleteMultipartUpload>${parts.join("")}</CompleteMultipartUpload>`;
}
