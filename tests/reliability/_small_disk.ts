/**
 * A small filesystem made by a test and removed by it: an ext4 image (`mkfs.ext4 -m 0`, no
 * blocks reserved for root) loop-mounted on a temp dir. ext4 rather than tmpfs because it is
 * what a node's disk is: it takes O_DIRECT and fsync does real work. Needs root (mount); where
 * mounting is impossible, {@link mountSmallDisk} says why and the test skips.
 *
 * Filling it is guarded: {@link SmallDisk.fill} refuses unless the directory is the mount it
 * made and no larger than asked, so a failed mount can never fill the machine's own disk.
 */

import { statfsSync } from "node:fs";

export interface SmallDisk {
  /** The mount point (empty when mounted). */
  dir: string;
  /** How it was made, for the test's report. */
  kind: string;
  sizeBytes: number;
  /** Bytes a non-root writer could still write. */
  available(): number;
  /** Writes a filler file until only about `leaveBytes` remain (0: until writes fail). */
  fill(leaveBytes: number): Promise<void>;
  /** Removes the filler: the space is back. */
  unfill(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

async function run(cmd: string, ...args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    return out.success
      ? undefined
      : new TextDecoder().decode(out.stderr).trim() || `exit ${out.code}`;
  } catch (err) {
    return String(err);
  }
}

function mountedAt(dir: string): boolean {
  const mounts = Deno.readTextFileSync("/proc/mounts").split("\n").map((l) => l.split(" ")[1]);
  return mounts.includes(dir);
}

/** Mounts a fresh `sizeMiB` ext4 image; a string saying why when this machine cannot. */
export async function mountSmallDisk(sizeMiB: number): Promise<SmallDisk | string> {
  if (Deno.build.os !== "linux") return "mounting a small filesystem needs Linux";
  if (Deno.uid() !== 0) return "mounting a small filesystem needs root (run the test as root)";
  const base = await Deno.makeTempDir({ prefix: "p2pos-small-disk-" });
  const image = `${base}/disk.img`;
  const dir = `${base}/mnt`;
  await Deno.mkdir(dir);
  const cleanup = async () => {
    if (mountedAt(dir) && await run("umount", dir)) await run("umount", "-l", dir);
    await Deno.remove(base, { recursive: true }).catch(() => {});
  };
  const failed = await run("truncate", "-s", `${sizeMiB}M`, image) ??
    await run("mkfs.ext4", "-q", "-F", "-m", "0", image) ??
    await run("mount", "-o", "loop", image, dir);
  if (failed) {
    await cleanup();
    return `cannot loop-mount an ext4 image here: ${failed}`;
  }
  const sizeBytes = sizeMiB << 20;
  const st = statfsSync(dir);
  if (!mountedAt(dir) || st.blocks * st.bsize > sizeBytes) {
    await cleanup();
    return "the image did not mount where expected";
  }
  const filler = `${dir}/filler`;
  const available = () => {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  };
  return {
    dir,
    kind: `ext4 image of ${sizeMiB} MiB, loop-mounted`,
    sizeBytes,
    available,
    async fill(leaveBytes: number) {
      // Never fill anything but the small mount this helper made.
      const s = statfsSync(dir);
      if (!mountedAt(dir) || s.blocks * s.bsize > sizeBytes) {
        throw new Error(`Refusing to fill ${dir}: it is not the small mount`);
      }
      const file = await Deno.open(filler, { write: true, create: true, append: true });
      try {
        for (const step of [1 << 20, 65_536, 4096, 512, 1]) {
          const chunk = new Uint8Array(step);
          while (available() - step >= leaveBytes) {
            try {
              await file.write(chunk);
            } catch {
              break;
            }
          }
          if (leaveBytes === 0) {
            try {
              while (true) await file.write(chunk);
            } catch { /* full at this step; try smaller writes */ }
          }
          await file.sync().catch(() => {});
        }
      } finally {
        file.close();
      }
    },
    async unfill() {
      await Deno.remove(filler).catch(() => {});
    },
    [Symbol.asyncDispose]: cleanup,
  };
}
