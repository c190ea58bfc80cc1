/**
 * The thread behind {@link DirectIo} (`_direct_io.ts`). Deno's own file API cannot open a
 * file with O_DIRECT, node:fs can; but node:fs calls run synchronously in Deno, so they run
 * here, off the main thread, one at a time.
 *
 * Each write is copied into a buffer of this thread's own that O_DIRECT accepts as it is:
 * WebAssembly memory starts on a page boundary, where an ordinary ArrayBuffer starts 16 bytes
 * past one (glibc's chunk header), and a write from a buffer that straddles pages was 20×
 * slower here. The copy is of warm memory, far cheaper than the kernel's copy into freshly
 * allocated page cache that O_DIRECT saves.
 */

import fs from "node:fs";
import { parentPort } from "node:worker_threads";
import {
  DIRECT_BLOCK,
  DIRECT_MAX_WRITE,
  type DirectReply,
  type DirectRequest,
} from "./_direct_io.ts";

const O_DIRECT: number | undefined = fs.constants.O_DIRECT;
const port = parentPort!;
const aligned = new Uint8Array(
  new WebAssembly.Memory({ initial: DIRECT_MAX_WRITE / 65536 }).buffer,
);
/** Open files by path: a put writes one file through many messages. */
const fds = new Map<string, number>();

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let off = 0;
  while (off < bytes.byteLength) {
    off += fs.writeSync(fd, bytes, off, bytes.byteLength - off, position + off);
  }
}

function handle(m: DirectRequest): DirectReply {
  switch (m.op) {
    case "probe": {
      // macOS and Windows have no O_DIRECT flag (node:fs leaves it undefined): page cache.
      if (O_DIRECT === undefined) return { id: m.id, ok: false, error: "no O_DIRECT here" };
      // The filesystem takes O_DIRECT and whole-block writes from this buffer, or the
      // store writes through the page cache (tmpfs before Linux 6.6, some FUSE mounts).
      const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL |
        O_DIRECT;
      let fd: number | undefined;
      try {
        fd = fs.openSync(m.path, flags, 0o600);
        writeAll(fd, aligned.subarray(0, DIRECT_BLOCK), 0);
        return { id: m.id, ok: true };
      } catch (err) {
        return { id: m.id, ok: false, error: String(err) };
      } finally {
        if (fd !== undefined) fs.closeSync(fd);
        fs.rmSync(m.path, { force: true });
      }
    }
    case "write": {
      let fd = fds.get(m.path);
      if (fd === undefined) {
        fd = fs.openSync(m.path, fs.constants.O_WRONLY | O_DIRECT!);
        fds.set(m.path, fd);
      }
      // Whole blocks only: the tail is zero-padded here and cut off by the caller's truncate.
      const padded = Math.ceil(m.length / DIRECT_BLOCK) * DIRECT_BLOCK;
      aligned.set(new Uint8Array(m.buffer, 0, m.length));
      aligned.fill(0, m.length, padded);
      writeAll(fd, aligned.subarray(0, padded), m.position);
      return { id: m.id, ok: true };
    }
    case "close": {
      const fd = fds.get(m.path);
      fds.delete(m.path);
      if (fd !== undefined) fs.closeSync(fd);
      return { id: m.id, ok: true };
    }
  }
}

port.on("message", (m: DirectRequest) => {
  let reply: DirectReply;
  try {
    reply = handle(m);
  } catch (err) {
    reply = { id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  // The caller's buffer always goes back, written or not, so its pool keeps it.
  if (m.op === "write") reply.buffer = m.buffer;
  port.postMessage(reply, reply.buffer ? [reply.buffer] : []);
});
