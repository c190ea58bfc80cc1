/**
 * A byte stream over part of an open file. The file is closed when the stream ends, errors
 * or is cancelled, so a consumer that reads to the end or cancels never leaks a handle.
 */

const CHUNK = 256 * 1024;

/**
 * Streams `length` bytes from the current position of `file`, which the stream then owns.
 * Each pull allocates one chunk: the stream holds at most one chunk ahead of its reader.
 */
export function rangeStream(
  file: Deno.FsFile,
  length: number,
  what: string,
): ReadableStream<Uint8Array> {
  let left = length;
  let closed = false;
  const close = () => {
    if (!closed) file.close();
    closed = true;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (left === 0) {
          close();
          controller.close();
          return;
        }
        const buf = new Uint8Array(Math.min(CHUNK, left));
        const n = await file.read(buf);
        // Blobs are immutable once stored; a short read means something else changed the file.
        if (n === null) throw new Error(`Cannot read ${what}: file ended ${left} bytes early`);
        left -= n;
        controller.enqueue(buf.subarray(0, n));
        if (left === 0) {
          close();
          controller.close();
        }
      } catch (err) {
        close();
        controller.error(err);
      }
    },
    cancel() {
      close();
    },
  }, { highWaterMark: 0 });
}
