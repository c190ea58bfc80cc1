/**
 * Blob bytes written with O_DIRECT: from the store's buffers to the disk without passing
 * through the page cache. The copy into page cache was the largest single cost of a
 * receiving node in the replication bench (a fifth of its CPU samples): on a VM, page cache
 * that was freed and handed back to the host is faulted in again page by page on the next
 * write. Writing past it saved about 0.5 of the node's 2.5 CPU-s per 430 MB
 * (bench/replication.ts, docs/BENCHMARKS.md). Reads still go through the page cache, which
 * then holds what is read rather than everything written. Only blobs that fill the store's
 * 1 MiB buffer are written this way (`_buffered_writer.ts`): for small ones the wait for the
 * disk costs more than the copy.
 *
 * Deno's file API has no O_DIRECT; node:fs has, but its calls are synchronous in Deno, so
 * they run on one worker thread shared by every store in the process
 * (`_direct_io_worker.ts`). The caller's buffer is transferred there and back (the thread
 * copies it into a page-aligned buffer of its own, as O_DIRECT needs).
 * The worker does not keep the process alive while no write is waiting, and is stopped once
 * nothing has been written for {@link DirectIo.idleMs} with no file open in it: a thread is a
 * V8 isolate of its own, ≈ 12 MiB of an idle node's memory (docs/BENCHMARKS.md, issue #12). The
 * next write starts it again.
 *
 * Durability is unchanged: the store still fsyncs each file (through its own descriptor:
 * fsync covers the inode, whichever descriptor wrote) before the rename, and the directory
 * after it. A filesystem that refuses O_DIRECT is found by {@link DirectIo.probe} at open,
 * and that store writes through the page cache as before.
 */

import { Worker } from "node:worker_threads";

/** Offsets and lengths of direct writes are multiples of this (the largest common sector). */
export const DIRECT_BLOCK = 4096;
/** Largest write: the store's buffer size. */
export const DIRECT_MAX_WRITE = 1 << 20;

export type DirectRequest =
  | { id: number; op: "probe"; path: string }
  | {
    id: number;
    op: "write";
    path: string;
    buffer: ArrayBuffer;
    length: number;
    position: number;
  }
  | { id: number; op: "close"; path: string };

export interface DirectReply {
  id: number;
  ok: boolean;
  buffer?: ArrayBuffer;
  error?: string;
}

/** Distributes the `Omit` over the union, so each request keeps its own fields. */
type Body<T> = T extends unknown ? Omit<T, "id"> : never;

export class DirectIo {
  static #shared?: DirectIo;

  /** The process's direct writer; its thread starts on first use. */
  static shared(): DirectIo {
    return DirectIo.#shared ??= new DirectIo();
  }

  /** The thread is stopped after this long with nothing to do. */
  readonly idleMs: number;
  #worker?: Worker;
  #next = 0;
  readonly #waiting = new Map<number, (reply: DirectReply) => void>();
  /** Files the thread holds open: a put writes one through many calls, then closes it. */
  readonly #open = new Set<string>();
  #idleTimer?: ReturnType<typeof setTimeout>;
  #failure?: Error;

  constructor(options: { idleMs?: number } = {}) {
    this.idleMs = options.idleMs ?? 30_000;
  }

  /** Whether the thread is running now (it starts on a call and stops when idle). */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  /** Whether the worker thread is lost (it crashed): stores then write through the page cache. */
  get broken(): boolean {
    return this.#failure !== undefined;
  }

  /**
   * Whether files in `dir` take direct writes: creates a scratch file there, writes one
   * block to it with O_DIRECT and removes it.
   */
  async probe(dir: string): Promise<boolean> {
    const path = `${dir}/.direct-io-probe-${crypto.randomUUID()}`;
    try {
      return (await this.#call({ op: "probe", path })).ok;
    } catch {
      return false;
    }
  }

  /**
   * Writes `length` bytes from the start of `buffer` at `position` of the file at `path`
   * (created by the caller). `position` must be a multiple of {@link DIRECT_BLOCK}; a
   * `length` that is not is zero-padded to one, for the caller to truncate. `buffer` is
   * transferred (detached here) and comes back in the result, also when the write fails;
   * only a crashed worker keeps it.
   */
  async write(
    path: string,
    buffer: ArrayBuffer,
    length: number,
    position: number,
  ): Promise<{ buffer?: ArrayBuffer; error?: Error }> {
    if (position % DIRECT_BLOCK !== 0 || length > DIRECT_MAX_WRITE) {
      throw new RangeError(
        `Direct write of ${length} bytes at ${position}: the position must be a multiple of ` +
          `${DIRECT_BLOCK} and the length at most ${DIRECT_MAX_WRITE}`,
      );
    }
    this.#open.add(path);
    const r = await this.#call({ op: "write", path, buffer, length, position }, [buffer]);
    return { buffer: r.buffer, error: r.ok ? undefined : failure(r, "write the blob to disk") };
  }

  /** Closes the worker's descriptor for `path`, if it has one. */
  async close(path: string): Promise<void> {
    const r = await this.#call({ op: "close", path });
    this.#open.delete(path);
    this.#idleLater();
    if (!r.ok) throw failure(r, "close the blob file");
  }

  #call(request: Body<DirectRequest>, transfer: ArrayBuffer[] = []): Promise<DirectReply> {
    if (this.#failure) return Promise.reject(this.#failure);
    clearTimeout(this.#idleTimer);
    const worker = this.#worker ??= this.#start();
    const id = ++this.#next;
    if (this.#waiting.size === 0) worker.ref();
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  /** Stops the thread once it has been idle for {@link idleMs}, no file open in it. */
  #idleLater(): void {
    clearTimeout(this.#idleTimer);
    if (!this.#worker || this.#waiting.size || this.#open.size) return;
    this.#idleTimer = setTimeout(() => {
      const worker = this.#worker;
      if (!worker || this.#waiting.size || this.#open.size) return;
      this.#worker = undefined; // the next call starts a new one
      worker.terminate();
    }, this.idleMs);
    Deno.unrefTimer(this.#idleTimer);
  }

  #start(): Worker {
    const worker = new Worker(new URL("./_direct_io_worker.ts", import.meta.url));
    worker.unref();
    worker.on("message", (reply: DirectReply) => {
      const resolve = this.#waiting.get(reply.id);
      this.#waiting.delete(reply.id);
      if (this.#waiting.size === 0) {
        worker.unref();
        this.#idleLater();
      }
      resolve?.(reply);
    });
    const lost = (why: string) => {
      if (this.#worker !== worker) return; // stopped when idle
      this.#failure ??= new Error(`The direct I/O thread stopped: ${why}`);
      for (const [id, resolve] of this.#waiting) {
        resolve({ id, ok: false, error: this.#failure.message });
      }
      this.#waiting.clear();
    };
    worker.on("error", (err: unknown) => lost(String(err)));
    worker.on("exit", (code: number) => lost(`exit code ${code}`));
    return worker;
  }
}

function failure(r: DirectReply, what: string): Error {
  return new Error(`Cannot ${what}: ${r.error ?? "unknown error"}`);
}
