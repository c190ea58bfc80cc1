/**
 * An object store's response body, watched: it must deliver exactly `length` bytes, and a
 * read that waits longer than `stallMs` for the store fails the stream, so a gateway that
 * stops mid-body never holds a reader (a viewer, a peer's pull, the scrubber) forever.
 * Only waits for the store count: a slow reader pulls when it likes.
 */

import { StoreUnavailableError } from "../../core/errors.ts";

export function watchBody(
  body: ReadableStream<Uint8Array> | null,
  length: number,
  stallMs: number,
  what: string,
): ReadableStream<Uint8Array> {
  if (!body) {
    if (length === 0) return new ReadableStream({ start: (c) => c.close() });
    throw new StoreUnavailableError(`Cannot ${what}: the object store sent no body`);
  }
  const reader = body.getReader();
  let left = length;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new StoreUnavailableError(
                `Cannot ${what}: the object store sent nothing for ${stallMs} ms ` +
                  `(${length - left} of ${length} bytes so far)`,
              ),
            ),
          stallMs,
        );
      });
      stalled.catch(() => {}); // raced below; the timer is cleared before it could matter
      const read = () => Promise.race([reader.read(), stalled]);
      try {
        const { done, value } = await read();
        if (done) {
          if (left !== 0) {
            throw new StoreUnavailableError(
              `Cannot ${what}: the object store's answer ended ${left} bytes early`,
            );
          }
          controller.close();
          return;
        }
        left -= value.byteLength;
        if (left < 0) {
          throw new StoreUnavailableError(`Cannot ${what}: the object store sent too many bytes`);
        }
        controller.enqueue(value);
        if (left === 0) {
          // Let the connection go back to the pool now rather than at the reader's next pull.
          const { done: end } = await read();
          if (!end) {
            throw new StoreUnavailableError(`Cannot ${what}: the object store sent too many bytes`);
          }
          controller.close();
        }
      } catch (err) {
        await reader.cancel(err).catch(() => {});
        controller.error(
          err instanceof StoreUnavailableError ? err : new StoreUnavailableError(
            `Cannot ${what}: the object store's answer broke off (${(err as Error)?.message})`,
            { cause: err },
          ),
        );
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
