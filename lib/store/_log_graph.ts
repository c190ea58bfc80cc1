/**
 * The family log as a graph (migration 6: `links`, `link_parents`, `revocations`): which links a
 * link had seen, and which revocations it had not. {@link RecordLog} judges records with it.
 * Rights links are the links of kinds that grant or end rights (`withdraws` or `revokes`); each
 * link keeps its rights frontier (`rights`: the latest rights links among its ancestors), so
 * "had it seen that removal?" walks rights links only.
 */

import type { SignedRecord } from "../crypto/mod.ts";
import { ForbiddenError, ValidationError } from "../core/errors.ts";
import { MissingLinksError } from "./record_errors.ts";
import type {
  KindRegistry,
  RecordKind,
  RecordView,
  Revocation,
  TypedRecord,
} from "../core/record_kinds.ts";
import type { IndexDb } from "./index_db.ts";

export interface LinkRow {
  hash: string;
  seq: number;
  json: string;
}

export class LogGraph {
  constructor(private readonly index: IndexDb, private readonly kinds: KindRegistry) {}

  tracks(kind: string): boolean {
    const def = this.kinds.get(kind);
    return Boolean(def?.withdraws || def?.revokes);
  }

  link(hash: string): { seq: number; kind: string; rights: string[] } | undefined {
    const row = this.index.db.prepare("SELECT seq, kind, rights FROM links WHERE hash = ?")
      .get(hash) as { seq: number; kind: string; rights: string } | undefined;
    return row && { seq: row.seq, kind: row.kind, rights: JSON.parse(row.rights) };
  }

  /**
   * The latest rights links (kinds that grant or end rights) among the ancestors of a link
   * that follows `prev`: none of them an ancestor of another.
   */
  rightsFrom(prev: string[]): string[] {
    const found = new Set<string>();
    for (const p of prev) {
      const link = this.link(p)!;
      if (this.tracks(link.kind)) found.add(p);
      else for (const r of link.rights) found.add(r);
    }
    const list = [...found];
    return list.filter((r) => !list.some((o) => o !== r && this.seenBy(r, [o])));
  }

  /** Whether rights link `target` is one of, or an ancestor of, the rights links `from`. */
  seenBy(target: string, from: string[]): boolean {
    const t = this.link(target);
    if (!t) return false;
    const seen = new Set<string>();
    const stack = [...from];
    while (stack.length) {
      const h = stack.pop()!;
      if (h === target) return true;
      if (seen.has(h)) continue;
      seen.add(h);
      const link = this.link(h);
      // Ancestors are always stored before their descendants.
      if (!link || link.seq < t.seq) continue;
      stack.push(...link.rights);
    }
    return false;
  }

  /** Every ancestor of `hash` stored at or after `minSeq` (and the parents just before). */
  ancestors(hash: string, minSeq: number): Set<string> {
    const edges = this.index.db.prepare(
      `SELECT p.child AS child, p.parent AS parent FROM link_parents p
       JOIN links l ON l.hash = p.child WHERE l.seq >= ?`,
    ).all(minSeq) as { child: string; parent: string }[];
    const parents = new Map<string, string[]>();
    for (const e of edges) {
      const list = parents.get(e.child);
      if (list) list.push(e.parent);
      else parents.set(e.child, [e.parent]);
    }
    const seen = new Set<string>();
    const stack = [hash];
    while (stack.length) {
      for (const p of parents.get(stack.pop()!) ?? []) {
        if (seen.has(p)) continue;
        seen.add(p);
        stack.push(p);
      }
    }
    return seen;
  }

  covers(revocation: Revocation, link: TypedRecord<unknown>, view: RecordView): boolean {
    const byAuthor = !revocation.author || link.author === revocation.author;
    const kindOk = byAuthor
      ? !revocation.kinds || revocation.kinds.includes(link.kind)
      : revocation.others?.includes(link.kind) === true;
    return kindOk && revocation.covers(link, view);
  }

  /**
   * The valid links stored before the revoking link (`hash`, stored at `seq`) that used
   * the right it ends and that it had not seen.
   */
  unseenBy(hash: string, seq: number, revocation: Revocation, view: RecordView): LinkRow[] {
    const params: (string | number)[] = [seq];
    let who = "";
    if (revocation.author) {
      const others = revocation.others ?? [];
      who = ` AND (author = ?${others.length ? ` OR kind IN (${others.map(() => "?")})` : ""})`;
      params.push(revocation.author, ...others);
    } else if (revocation.kinds) {
      who = ` AND kind IN (${revocation.kinds.map(() => "?")})`;
      params.push(...revocation.kinds);
    }
    const rows = (this.index.db.prepare(
      `SELECT hash, seq, json FROM links WHERE valid = 1 AND seq < ?${who}`,
    ).all(...params) as unknown as LinkRow[]).filter((r) =>
      this.covers(revocation, JSON.parse(r.json), view)
    );
    if (rows.length === 0) return [];
    const seen = this.ancestors(hash, Math.min(...rows.map((r) => r.seq)));
    return rows.filter((r) => !seen.has(r.hash));
  }

  /**
   * A link stands only if every revocation of the right it uses is among its ancestors
   * (`rights` is its rights frontier). Revocations stored after `beforeSeq` are not
   * considered: they judge the link themselves when they arrive ({@link unseenBy}).
   */
  checkNotRevoked(
    kind: RecordKind<unknown>,
    link: TypedRecord<unknown>,
    rights: string[],
    beforeSeq: number,
    where: string,
    view: RecordView,
  ): void {
    const subjects = [link.author, ...(kind.relies?.(link, view) ?? [])];
    const rows = this.index.db.prepare(
      `SELECT l.hash AS hash, l.json AS json FROM revocations r JOIN links l ON l.hash = r.hash
       WHERE l.valid = 1 AND l.seq < ? AND (r.subject IS NULL OR r.subject IN (${
        subjects.map(() => "?").join(", ")
      }))`,
    ).all(beforeSeq, ...subjects) as { hash: string; json: string }[];
    for (const row of rows) {
      const record = JSON.parse(row.json) as TypedRecord<unknown>;
      const revocation = this.kinds.get(record.kind)?.revokes?.(record, view);
      if (!revocation || !this.covers(revocation, link, view)) continue;
      if (this.seenBy(row.hash, rights)) continue;
      throw new ForbiddenError(
        `Refused ${where}: it was made without seeing the change that ended the right it ` +
          `needs (${record.kind} ${record.id.slice(0, 60)})`,
      );
    }
  }

  /** Whether link `a` is an ancestor of link `b`. */
  precedes(a: string, b: string): boolean {
    const target = this.link(a);
    if (!target || a === b) return false;
    if (this.tracks(target.kind)) {
      return this.seenBy(a, this.link(b)?.rights ?? []);
    }
    const seen = new Set<string>();
    const stack = [b];
    const parents = this.index.db.prepare(
      `SELECT p.parent AS hash, l.seq AS seq FROM link_parents p JOIN links l ON l.hash = p.parent
       WHERE p.child = ?`,
    );
    while (stack.length) {
      const h = stack.pop()!;
      for (const p of parents.all(h) as { hash: string; seq: number }[]) {
        if (p.hash === a) return true;
        // Ancestors are always stored before their descendants: nothing stored before `a`
        // can have `a` as an ancestor.
        if (p.seq < target.seq || seen.has(p.hash)) continue;
        seen.add(p.hash);
        stack.push(p.hash);
      }
    }
    return false;
  }

  /** `prev` names links this node holds, each stamped before the record. */
  checkPrev(record: SignedRecord, where: string): void {
    const prev = record.prev ?? [];
    if (prev.length === 0) {
      const any = this.index.db.prepare("SELECT 1 AS x FROM links LIMIT 1").get();
      if (any || record.kind !== "family") {
        throw new ValidationError(
          `Refused ${where}: it names no record it follows; only a family's first record may`,
        );
      }
      return;
    }
    const found = new Map<string, string>();
    const stmt = this.index.db.prepare("SELECT hlc FROM links WHERE hash = ?");
    for (const h of prev) {
      const row = stmt.get(h) as { hlc: string } | undefined;
      if (row) found.set(h, row.hlc);
    }
    const missing = prev.filter((h) => !found.has(h));
    if (missing.length) {
      throw new MissingLinksError(
        missing,
        `Refused ${where}: it follows ${missing.length} record(s) this node does not have yet` +
          ` (reload the page if you made it here)`,
      );
    }
    for (const hlc of found.values()) {
      if (hlc >= record.hlc) {
        throw new ValidationError(
          `Refused ${where}: its clock is behind the records it follows; ` +
            `check the date and time on the device that made it`,
        );
      }
    }
  }

  /** Stores link `hash` at `seq` (valid unless told) with its edges, and keeps the heads. */
  insertLink(
    hash: string,
    seq: number,
    record: SignedRecord,
    rights: string[],
    valid: boolean,
    receivedAt: number,
  ): void {
    this.index.db.prepare(
      `INSERT INTO links (hash, seq, kind, id, author, hlc, json, valid, received_at, rights)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      hash,
      seq,
      record.kind,
      record.id,
      record.author,
      record.hlc,
      JSON.stringify(record),
      valid ? 1 : 0,
      receivedAt,
      JSON.stringify(rights),
    );
    // A cache kind's link is never a head, so nothing follows it (RecordKind.cache).
    const head = valid && !this.kinds.get(record.kind)?.cache;
    for (const parent of record.prev ?? []) {
      this.index.db.prepare("INSERT INTO link_parents (child, parent) VALUES (?, ?)")
        .run(hash, parent);
      if (head) this.index.db.prepare("DELETE FROM link_heads WHERE hash = ?").run(parent);
    }
    if (head) this.index.db.prepare("INSERT INTO link_heads (hash) VALUES (?)").run(hash);
  }

  /** Marks links void; void links are no heads, and their parents are heads again when no valid link names them. */
  voidLinks(rows: LinkRow[]): void {
    for (const r of rows) {
      this.index.db.prepare("UPDATE links SET valid = 0 WHERE hash = ?").run(r.hash);
    }
    // Void links are no heads; their parents are heads again when no valid link names them.
    for (const r of rows) {
      this.index.db.prepare("DELETE FROM link_heads WHERE hash = ?").run(r.hash);
      const parents = this.index.db.prepare(
        `SELECT p.parent AS hash FROM link_parents p JOIN links l ON l.hash = p.parent
         WHERE p.child = ? AND l.valid = 1 AND NOT EXISTS (
           SELECT 1 FROM link_parents q JOIN links c ON c.hash = q.child
           WHERE q.parent = p.parent AND c.valid = 1)`,
      ).all(r.hash) as { hash: string }[];
      for (const p of parents) {
        this.index.db.prepare("INSERT OR IGNORE INTO link_heads (hash) VALUES (?)").run(p.hash);
      }
    }
  }

  /** Every rights link among the ancestors of `frontier`, and the frontier itself. */
  rightsAncestors(frontier: string[]): Set<string> {
    const seen = new Set<string>();
    const stack = [...frontier];
    while (stack.length) {
      const h = stack.pop()!;
      if (seen.has(h)) continue;
      seen.add(h);
      const link = this.link(h);
      if (link) stack.push(...link.rights);
    }
    return seen;
  }
}
