/**
 * Streaming SHA-256 of files and streams, in constant memory. Uses `node:crypto`, which Deno
 * implements natively: several times faster than hashing in JavaScript.
 */

import { createHash } from "node:crypto";

/** A digest with the number of bytes it covers. */
export interface HashResult {
  /** Lowercase hex SHA-256. */
  hex: string;
  size: number;
}

const READ_BUFFER = 1 << 20;

/** Hashes a file by reading it through one reused 1 MiB buffer. */
export async function hashFile(path: string): Promise<HashResult> {
  const file = await Deno.open(path, { read: true });
  try {
    const hash = createHash("sha256");
    const buf = new Uint8Array(READ_BUFFER);
    let size = 0;
    for (let n = await file.read(buf); n !== null; n = await file.read(buf)) {
      hash.update(buf.subarray(0, n));
      size += n;
    }
    return { hex: hash.digest("hex"), size };
  } finally {
    file.close();
  }
}

/** Hashes everything `stream` yields; the stream is consumed. */
export async function hashStream(stream: ReadableStream<Uint8Array>): Promise<HashResult> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { hex: hash.digest("hex"), size };
}
