/**
 * Reads a body whole, refusing it once it passes a size limit: without reading the rest, so
 * a sender cannot make a node hold more than the limit in memory. The request side
 * (lib/web/internal/peer_auth.ts) and the response side (lib/net/http_transport.ts) of the
 * node-to-node API each check a declared Content-Length first, with their own error.
 *
 * Browser-compatible: streams only.
 *
 * @module
 */

/** The bytes of `stream` (none when null); throws `tooLarge()` once they pass `max`. */
export async function readCapped(
  stream: ReadableStream<Uint8Array> | null | undefined,
  max: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (stream) {
    for await (const chunk of stream) {
      size += chunk.byteLength;
      if (size > max) throw tooLarge();
      chunks.push(chunk);
    }
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}
