/**
 * Which version of a record is in force (docs/SECURITY.md, "Which version is in force"): the
 * last writer among its valid versions, except that a version which withdraws wins over every
 * version that had not seen it. The same set of versions gives the same answer on every node,
 * whatever the order they arrived in. {@link RecordLog} keeps `records` and `record_phases` with it.
 */

import { compareVersions } from "../core/hlc.ts";
import type { KindRegistry, TypedRecord } from "../core/record_kinds.ts";
import type { IndexDb } from "./index_db.ts";
import type { LinkRow, LogGraph } from "./_log_graph.ts";

/** A valid version of a record. */
export interface Version<B> {
  hash: string;
  seq: number;
  rights: string[];
  record: TypedRecord<B>;
}

export class Settler {
  constructor(
    private readonly index: IndexDb,
    private readonly kinds: KindRegistry,
    private readonly graph: LogGraph,
    private readonly linked: boolean,
    private readonly clock: () => number,
  ) {}

  /** Valid versions of a record stored up to `maxSeq`, oldest first by stamp. */
  versions<B>(kind: string, id: string, maxSeq: number): Version<B>[] {
    const rows = this.index.db.prepare(
      `SELECT hash, seq, json, rights FROM links
       WHERE kind = ? AND id = ? AND valid = 1 AND seq <= ?`,
    ).all(kind, id, maxSeq) as unknown as (LinkRow & { rights: string })[];
    return rows
      .map((r) => ({
        hash: r.hash,
        seq: r.seq,
        rights: JSON.parse(r.rights) as string[],
        record: JSON.parse(r.json) as TypedRecord<B>,
      }))
      .sort((a, b) => compareVersions(a.record, b.record));
  }

  /**
   * Which of a record's valid versions (oldest first by stamp) is in force: the last writer —
   * except that a version which withdraws wins over every version that had not seen it.
   */
  winner<B>(kind: string, all: Version<B>[]): Version<B> | undefined {
    const def = this.kinds.get(kind);
    let candidates = all;
    if (def?.withdraws && this.linked) {
      const withdraws = (v: Version<B>) => def.withdraws!(def.parseBody(v.record.body));
      const standing = all.filter((w) =>
        withdraws(w) && !all.some((v) => !withdraws(v) && this.graph.seenBy(w.hash, v.rights))
      );
      if (standing.length) candidates = standing;
    }
    return candidates.at(-1);
  }

  /**
   * Settles which version of a record is in force, from its valid versions stored up to
   * `maxSeq`: the last writer (stamp, then author) — except that a version which withdraws
   * (a removal, a revocation) wins over every version that had not seen it. The same set of
   * versions gives the same answer on every node, whatever the order they arrived in.
   * Writes `records` and, unless `phases` is false, the record's phase; returns the hash
   * in force.
   */
  settle(kind: string, id: string, maxSeq: number, phases = true): string | undefined {
    const def = this.kinds.get(kind);
    const winner = this.winner(kind, this.versions<unknown>(kind, id, maxSeq));
    const before = this.index.db.prepare("SELECT hash FROM records WHERE kind = ? AND id = ?")
      .get(kind, id) as { hash: string } | undefined;
    if (!winner) {
      if (before) {
        this.index.db.prepare("DELETE FROM records WHERE kind = ? AND id = ?").run(kind, id);
      }
      if (phases) {
        this.index.db.prepare("DELETE FROM record_phases WHERE kind = ? AND id = ?").run(kind, id);
      }
      return undefined;
    }
    if (before?.hash !== winner.hash) {
      const link = this.index.db.prepare("SELECT received_at FROM links WHERE hash = ?")
        .get(winner.hash) as { received_at: number };
      const r = winner.record;
      this.index.db.prepare(
        `INSERT INTO records (kind, id, seq, author, hlc, json, received_at, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, author = excluded.author,
           hlc = excluded.hlc, json = excluded.json, received_at = excluded.received_at,
           hash = excluded.hash`,
      ).run(
        kind,
        id,
        winner.seq,
        r.author,
        r.hlc,
        JSON.stringify(r),
        link.received_at,
        winner.hash,
      );
    }
    if (phases && def?.phase) {
      this.notePhase(kind, id, def.phase(def.parseBody(winner.record.body)));
    }
    return winner.hash;
  }

  /** A cache kind keeps only its version in force: nothing follows the others. */
  keepOnly(kind: string, id: string, hash: string | undefined): void {
    const others = this.index.db.prepare(
      "SELECT hash FROM links WHERE kind = ? AND id = ? AND hash IS NOT ?",
    ).all(kind, id, hash ?? null) as { hash: string }[];
    for (const o of others) {
      this.index.db.prepare("DELETE FROM link_parents WHERE child = ?").run(o.hash);
      this.index.db.prepare("DELETE FROM links WHERE hash = ?").run(o.hash);
    }
  }

  private notePhase(kind: string, id: string, phase: string | null): void {
    const row = this.index.db.prepare(
      "SELECT phase FROM record_phases WHERE kind = ? AND id = ?",
    ).get(kind, id) as { phase: string } | undefined;
    if (phase === null) {
      if (row) {
        this.index.db.prepare("DELETE FROM record_phases WHERE kind = ? AND id = ?").run(kind, id);
      }
    } else if (row?.phase !== phase) {
      this.index.db.prepare(
        `INSERT INTO record_phases (kind, id, phase, since) VALUES (?, ?, ?, ?)
         ON CONFLICT (kind, id) DO UPDATE SET phase = excluded.phase, since = excluded.since`,
      ).run(kind, id, phase, this.clock());
    }
  }
}
