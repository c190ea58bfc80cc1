/**
 * The head of this node's record feed (its index id and last sequence number), kept in a small
 * file beside `index.db`, outside it. A database restored from an older backup is then behind
 * the file at the next start: the node names its feed anew before it hands out a sequence
 * number its peers have already read past (PROTOCOL §3.1 catches the same later, at the first
 * exchange with a peer that read further, for restores that also brought back the file).
 *
 * The file is written at most every few seconds and at shutdown, so after a crash it may lag
 * the database, never lead it: a lagging file is never taken for a restore.
 */

import { getLogger } from "../core/log.ts";

const log = getLogger("replication");

export const FEED_HEAD_FILE = "feed-head.json";

/** Logged when either check (this file at start, a peer's cursor in hello) finds a restore. */
export const FEED_WENT_BACK =
  "This node's record feed went back in time (its database was restored?): starting a new feed so every peer reads it again";

interface FeedHead {
  indexId: string;
  lastSeq: number;
}

async function read(path: string): Promise<FeedHead | undefined> {
  try {
    const v = JSON.parse(await Deno.readTextFile(path));
    if (typeof v?.indexId === "string" && Number.isSafeInteger(v?.lastSeq)) return v;
    log.warn("Ignoring an unreadable feed head file", { path });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      log.warn("Ignoring an unreadable feed head file", { path, error: String(err) });
    }
  }
  return undefined;
}

export class FeedHeadFile {
  #written?: FeedHead;

  constructor(
    private readonly path: string,
    private readonly records: { lastSeq(): number },
    private readonly peers: { indexId(): string; rotateIndexId(): string },
  ) {}

  /**
   * At start, before the node serves anything: a database behind the file was restored, so the
   * feed gets a new id. Returns whether it did.
   */
  async check(): Promise<boolean> {
    const head = await read(this.path);
    const indexId = this.peers.indexId();
    const lastSeq = this.records.lastSeq();
    if (!head || head.indexId !== indexId || lastSeq >= head.lastSeq) return false;
    log.warn(FEED_WENT_BACK, { fileSeq: head.lastSeq, lastSeq });
    this.peers.rotateIndexId();
    await this.write();
    return true;
  }

  /** Writes the current head if it changed (atomically: a temp file renamed over it). */
  async write(): Promise<void> {
    const head = { indexId: this.peers.indexId(), lastSeq: this.records.lastSeq() };
    if (this.#written?.indexId === head.indexId && this.#written.lastSeq === head.lastSeq) return;
    const tmp = `${this.path}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify(head) + "\n");
    await Deno.rename(tmp, this.path);
    this.#written = head;
  }
}
