/**
 * Whether this node's disk is full, as the replication engine and the Nodes page see it
 * (issue #14 §2). A write refused for lack of space (ENOSPC, SQLITE_FULL) pauses what needs
 * room: pulls are not claimed, since each would fetch bytes only to fail again. The pause
 * ends by itself once the filesystem has room again (checked at most every `recheckMs`,
 * with `statfs`) or a write succeeds; an operator only has to free space.
 */

import { isDiskFull } from "../core/errors.ts";
import { getLogger } from "../core/log.ts";

const log = getLogger("replication");

export interface DiskFull {
  /** When a write was first refused. */
  since: number;
  /** What to tell the operator. */
  message: string;
}

export interface DiskSpaceDeps {
  /** Bytes free for this process on the data dir's filesystem (statfs, from main.ts). */
  freeBytes: () => number;
  now: () => number;
  onChange: () => void;
}

export interface DiskSpaceOptions {
  /** Free space that ends a pause. @default 16 MiB */
  roomBytes?: number;
  /** How long after the last refused write free space is looked at again. @default 5_000 */
  recheckMs?: number;
}

export const DISK_FULL_MESSAGE =
  "This node's disk is full: uploads are refused and replication to it is paused. Free space " +
  "on the disk that holds its data directory; it carries on by itself.";

export class DiskSpace {
  #full?: DiskFull;
  #lastRefused = 0;
  readonly #room: number;
  readonly #recheckMs: number;

  constructor(private readonly deps: DiskSpaceDeps, options: DiskSpaceOptions = {}) {
    this.#room = options.roomBytes ?? 16 << 20;
    this.#recheckMs = options.recheckMs ?? 5_000;
  }

  /** The pause, if the disk is (still) full: looks at the free space once `recheckMs` passed. */
  get full(): DiskFull | undefined {
    if (this.#full && this.deps.now() - this.#lastRefused >= this.#recheckMs) {
      let free = 0;
      try {
        free = this.deps.freeBytes();
      } catch { /* cannot tell: stay paused until a write succeeds */ }
      if (free >= this.#room) this.#end("free space is back");
    }
    return this.#full;
  }

  /** `err` from a write: true (and paused) when it was refused for lack of space. */
  refused(err: unknown): boolean {
    if (!isDiskFull(err)) return false;
    this.#lastRefused = this.deps.now();
    if (!this.#full) {
      this.#full = { since: this.#lastRefused, message: DISK_FULL_MESSAGE };
      log.warn("Disk full: pulls paused until there is room again", {
        reason: (err as Error)?.message,
      });
      this.deps.onChange();
    }
    return true;
  }

  /** A write that needed room succeeded: whatever the pause thought, there is room. */
  wrote(): void {
    if (this.#full) this.#end("a write succeeded");
  }

  #end(why: string): void {
    log.info("Disk has room again: replication resumes", { why });
    this.#full = undefined;
    this.deps.onChange();
  }
}
