/**
 * A FIFO of bytes built from the pieces a ReadableStream delivers, so the stream coders can
 * re-chunk arbitrary input sizes without concatenating everything they have seen.
 * Browser-compatible: no I/O, no Deno or Node APIs.
 *
 * @module
 */

export class ByteQueue {
  #pieces: Uint8Array[] = [];
  #head = 0; // bytes already consumed from #pieces[0]
  #length = 0;

  /** Bytes currently queued. */
  get length(): number {
    return this.#length;
  }

  /** Appends `bytes` without copying: the caller must not modify them afterwards. */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#pieces.push(bytes);
    this.#length += bytes.length;
  }

  /** Removes and returns the first `n` bytes (a fresh copy); `n` must be ≤ {@link length}. */
  take(n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0 || n > this.#length) {
      throw new RangeError(`"n" expected an integer in 0..${this.#length}, got ${n}`);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    let used = 0; // pieces emptied by this take
    while (filled < n) {
      const piece = this.#pieces[used];
      const available = piece.length - this.#head;
      const count = Math.min(available, n - filled);
      out.set(piece.subarray(this.#head, this.#head + count), filled);
      filled += count;
      if (count === available) {
        used++;
        this.#head = 0;
      } else {
        this.#head += count;
      }
    }
    // Dropped at once: a shift() per piece moves the whole array each time, which made a chunk
    // that arrived in one-byte pieces cost its size squared (9 s for 64 KiB).
    if (used) this.#pieces.splice(0, used);
    this.#length -= n;
    return out;
  }
}
