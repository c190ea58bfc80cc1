/**
 * Small ReadableStream helpers shared by the stream coders. Private to lib/crypto.
 * Browser-compatible: no I/O, no Deno or Node APIs; uses readers rather than async iteration of
 * streams, which older Chromium lacks.
 *
 * @module
 */

/** Throws TypeError unless `value` looks like a ReadableStream. */
export function assertReadable<T>(value: ReadableStream<T>, name: string): ReadableStream<T> {
  if (typeof (value as { getReader?: unknown } | null)?.getReader !== "function") {
    throw new TypeError(`"${name}" expected a ReadableStream`);
  }
  return value;
}

/** A stream over `bytes` in views of `pieceSize` bytes (no copies). */
export function bytesToStream(bytes: Uint8Array, pieceSize: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + pieceSize));
      offset += pieceSize;
    },
  });
}

/**
 * Reads a whole stream into one array. When `expected` (the final length) is known the array
 * is allocated once, so gathering a 64 MiB blob never holds two copies of it.
 */
export async function gather(
  stream: ReadableStream<Uint8Array>,
  expected = 0,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  let out = new Uint8Array(expected);
  let length = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (length + value.length > out.length) {
      const grown = new Uint8Array(Math.max(out.length * 2, length + value.length));
      grown.set(out.subarray(0, length));
      out = grown;
    }
    out.set(value, length);
    length += value.length;
  }
  return length === out.length ? out : out.slice(0, length);
}
