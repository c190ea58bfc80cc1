/**
 * Filesystem steps whose order makes a write survive power loss: a rename is only durable
 * once the directory that holds the new name is fsynced (rename(2), fsync(2) NOTES).
 */

import { dirname } from "node:path";

/**
 * Flushes a directory's entries (creates, renames, unlinks) to disk.
 *
 * On Linux and macOS, `Deno.openSync(dir, { read: true })` opens the directory `O_RDONLY`
 * and `FsFile.sync()` calls fsync(2) on that descriptor; strace on Deno 2.9 shows exactly
 * `openat(…, O_RDONLY|O_CLOEXEC)` then `fsync(fd)`. The open is synchronous (microseconds;
 * the async form costs more CPU in thread hand-offs), the fsync, which waits for the disk,
 * is not. Windows cannot open a directory this way, and NTFS journals metadata changes
 * itself, so there it is a no-op.
 */
export async function syncDir(path: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  const dir = Deno.openSync(path, { read: true });
  try {
    await dir.sync();
  } finally {
    dir.close();
  }
}

/**
 * Creates one directory level (the parent must exist) and, if it was new, fsyncs the parent
 * so that a blob renamed into it later cannot be lost with its directory.
 *
 * @returns whether the directory was created.
 */
export async function mkdirDurable(path: string): Promise<boolean> {
  const created = mkdirIfMissing(path);
  if (created) await syncDir(dirname(path));
  return created;
}

/** Creates one directory level; `false` if it already existed. Not durable by itself. */
export function mkdirIfMissing(path: string): boolean {
  try {
    Deno.mkdirSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return false;
    throw err;
  }
}

/** Writes all of `bytes`: `FsFile.write` may write fewer bytes than it was given. */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.byteLength) off += await file.write(bytes.subarray(off));
}

/** Removes a file, treating "already gone" as success. */
export async function removeIfExists(path: string): Promise<boolean> {
  try {
    await Deno.remove(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}
