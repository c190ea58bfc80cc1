/**
 * The record log: every signed record this node accepts goes through
 * {@link RecordLog.apply}, which checks, in this order and before anything is
 * stored: the envelope and Ed25519 signature (lib/crypto), the kind and its
 * body schema, the HLC, that every record it follows (`prev`) is already here
 * and older, and the kind's authorization rule. A batch is one transaction:
 * all or nothing.
 *
 * The family log (docs/SECURITY.md): every version of every record is kept as
 * a link naming the links its author's node held when it was made. Records
 * arrive only after what they follow, so each is judged on the rights its
 * author had seen: records of the kinds that grant or end rights are read as
 * they stood among its ancestors, never as whatever else arrived first made
 * them here, so every node reaches the same verdict (a browser's record must
 * also pass on the records in force where it is made). A record that ends a right
 * (a removal, a demotion, an un-share, a withdrawn invite) voids every link
 * that used the right and that it had not seen: made at the same time on
 * another node, or later with a backdated place in the log. A member's own
 * stamp never decides what she may do.
 *
 * Browsers and peers use the same path, so a compromised node or relay cannot
 * forge an album, a member, a grant or a deletion (DESIGN §4).
 */

import { MAX_PREV, recordHash, type SignedRecord } from "../crypto/mod.ts";
import { compareVersions } from "../core/hlc.ts";
import { ForbiddenError, P2posError, ValidationError } from "../core/errors.ts";
import type {
  KindRegistry,
  Origin,
  RecordKind,
  RecordView,
  TypedRecord,
} from "../core/record_kinds.ts";
import type { IndexDb } from "./index_db.ts";
import { faultPoint } from "../core/faults.ts";
import { type LinkRow, LogGraph } from "./_log_graph.ts";
import { Settler, type Version } from "./_log_settle.ts";
import { OutdatedDataError, PreLogDataError, verifyLogRecord } from "./record_errors.ts";

export {
  MissingLinksError,
  OutdatedDataError,
  PreLogDataError,
  SignatureError,
} from "./record_errors.ts";

/**
 * `stored`: kept and now in force; `superseded`: kept in the log, another version of the
 * same record stays in force; `unchanged`: this exact record was already here.
 */
export type ApplyStatus = "stored" | "unchanged" | "superseded";

export interface ApplyResult {
  kind: string;
  id: string;
  status: ApplyStatus;
  seq?: number;
}

/** Records newly kept (in force or not) and records that were voided. */
export type RecordListener = (stored: { record: SignedRecord; seq: number }[]) => void;

const FIELD = /^[A-Za-z][A-Za-z0-9_]{0,40}$/;
/**
 * Expression indexes over body fields (migrations 0003). Named explicitly: without
 * statistics SQLite's planner prefers the (kind, id) primary key and would scan a kind.
 */
const FIELD_INDEX: Record<string, string> = {
  album: "records_by_album",
  invite: "records_by_invite",
  tokenHash: "records_by_token_hash",
};

export interface RecordLogOptions {
  /**
   * false: `prev` is not checked and nothing is linked. Only for checking a bootstrap in a
   * scratch database, where the records arrive without the log they belong to.
   * @default true
   */
  linked?: boolean;
}

const ORIGIN_REJUDGE: Origin = { via: "peer", nodeId: "(family log)" };

export class RecordLog implements RecordView {
  #listeners = new Set<RecordListener>();
  readonly #linked: boolean;
  /** Changes of the running `apply`, told to listeners after its commit. */
  #pending: { record: SignedRecord; seq: number }[] = [];
  /** While judging a stored link again: only links stored before it are visible. */
  #horizon = Number.MAX_SAFE_INTEGER;
  /**
   * While judging a record from a peer: the rights frontier of what it follows. Records of
   * kinds that grant or end rights are then read as they stood among its ancestors, so the
   * verdict is the same on every node, whatever else arrived first (see {@link #causal}).
   */
  #frontier: string[] | undefined;
  /** Rights links among the ancestors of a frontier, by frontier (reset at each apply). */
  #frontierSeen = new Map<string, Set<string>>();
  readonly #graph: LogGraph;
  readonly #settler: Settler;

  constructor(
    private readonly index: IndexDb,
    private readonly kinds: KindRegistry,
    private readonly clock: () => number = Date.now,
    options: RecordLogOptions = {},
  ) {
    this.#linked = options.linked ?? true;
    this.#graph = new LogGraph(index, kinds);
    this.#settler = new Settler(index, kinds, this.#graph, this.#linked, clock);
    if (this.index.db.prepare("SELECT 1 AS x FROM records WHERE hash IS NULL LIMIT 1").get()) {
      throw new PreLogDataError();
    }
    this.#checkFirstLink();
  }

  /**
   * The log's first link (a family's first record) must parse under its kind as this version
   * defines it. A change to a kind's body that old records cannot meet is caught here, at
   * start, with what to do, rather than as a refusal of every record that follows.
   */
  #checkFirstLink(): void {
    const first = this.index.db.prepare("SELECT json FROM links ORDER BY seq LIMIT 1").get() as
      | { json: string }
      | undefined;
    if (!first) return;
    const record = JSON.parse(first.json) as SignedRecord;
    const kind = this.kinds.get(record.kind);
    try {
      if (!kind) throw new Error(`unknown kind "${record.kind}"`);
      kind.parseBody(record.body);
    } catch (err) {
      throw new OutdatedDataError(
        `its first ${String(record.kind).slice(0, 20)} record: ${(err as Error).message}`,
      );
    }
  }

  now(): number {
    return this.clock();
  }

  get<B = unknown>(kind: string, id: string): TypedRecord<B> | undefined {
    if (this.#judgingAsOfFrontier(kind)) return this.#causal<B>(kind, [id])[0];
    const row = this.index.db.prepare("SELECT json FROM records WHERE kind = ? AND id = ?")
      .get(kind, id) as { json: string } | undefined;
    return row ? JSON.parse(row.json) : undefined;
  }

  list<B = unknown>(kind: string): TypedRecord<B>[] {
    if (this.#judgingAsOfFrontier(kind)) {
      const ids = this.index.db.prepare(
        "SELECT DISTINCT id FROM links WHERE kind = ? AND valid = 1 ORDER BY id",
      ).all(kind) as { id: string }[];
      return this.#causal<B>(kind, ids.map((r) => r.id));
    }
    const rows = this.index.db.prepare("SELECT json FROM records WHERE kind = ? ORDER BY id")
      .all(kind) as { json: string }[];
    return rows.map((r) => JSON.parse(r.json));
  }

  find<B = unknown>(kind: string, field: string, value: string): TypedRecord<B>[] {
    if (!FIELD.test(field)) throw new TypeError(`Cannot query records by field "${field}"`);
    if (this.#judgingAsOfFrontier(kind)) {
      // Ids with a version that has the value; then whether the version in force has it.
      const ids = this.index.db.prepare(
        `SELECT DISTINCT id FROM links WHERE kind = ? AND valid = 1
         AND json_extract(json, '$.body.${field}') = ? ORDER BY id`,
      ).all(kind, value) as { id: string }[];
      return this.#causal<B>(kind, ids.map((r) => r.id)).filter((r) =>
        (r.body as Record<string, unknown>)[field] === value
      );
    }
    const indexed = FIELD_INDEX[field] ? `INDEXED BY ${FIELD_INDEX[field]}` : "";
    const rows = this.index.db.prepare(
      `SELECT json FROM records ${indexed} WHERE kind = ? AND json_extract(json, '$.body.${field}') = ?`,
    ).all(kind, value) as { json: string }[];
    return rows.map((r) => JSON.parse(r.json));
  }

  versions<B = unknown>(kind: string, id: string): TypedRecord<B>[] {
    return this.#visibleVersions<B>(kind, id).map((v) => v.record);
  }

  /** Whether reads of `kind` are as of the frontier of a record being judged (a rights kind). */
  #judgingAsOfFrontier(kind: string): boolean {
    return this.#frontier !== undefined && this.#graph.tracks(kind);
  }

  /**
   * A record's valid versions stored before the horizon; while judging a record as of its
   * frontier, of a rights kind only those among its ancestors.
   */
  #visibleVersions<B>(kind: string, id: string): Version<B>[] {
    const all = this.#settler.versions<B>(kind, id, this.#horizon - 1);
    if (!this.#judgingAsOfFrontier(kind)) return all;
    const seen = this.#seenByFrontier();
    return all.filter((v) => seen.has(v.hash));
  }

  /**
   * The versions in force of records `ids` of a rights kind as they stood among the ancestors
   * of the record being judged (its frontier): the same rule as {@link Settler.settle}, on the
   * versions it had seen. Ids with no such version are left out.
   */
  #causal<B>(kind: string, ids: string[]): TypedRecord<B>[] {
    return ids.flatMap((id) => {
      const winner = this.#settler.winner(kind, this.#visibleVersions<B>(kind, id));
      return winner ? [winner.record] : [];
    });
  }

  /** Every rights link among the ancestors of the frontier being judged (and the frontier). */
  #seenByFrontier(): Set<string> {
    const frontier = this.#frontier ?? [];
    const key = frontier.join(",");
    let seen = this.#frontierSeen.get(key);
    if (seen) return seen;
    seen = this.#graph.rightsAncestors(frontier);
    if (this.#frontierSeen.size >= 64) this.#frontierSeen.clear();
    this.#frontierSeen.set(key, seen);
    return seen;
  }

  /** Judges `fn` as of `frontier` (a record from a peer), or on the records in force. */
  #judgedAt<T>(frontier: string[] | undefined, fn: () => T): T {
    const before = this.#frontier;
    this.#frontier = frontier;
    try {
      return fn();
    } finally {
      this.#frontier = before;
    }
  }

  precedes(a: string, b: string): boolean {
    return this.#graph.precedes(a, b);
  }

  since(kind: string, id: string): number | undefined {
    const row = this.index.db.prepare(
      "SELECT since FROM record_phases WHERE kind = ? AND id = ?",
    ).get(kind, id) as { since: number } | undefined;
    return row?.since;
  }

  /**
   * What a record made here now follows: the newest valid links nothing names yet (at most
   * {@link MAX_PREV}), ascending, and the greatest stamp among them, which the new record's
   * stamp must exceed.
   */
  heads(): { prev: string[]; hlc?: string } {
    const rows = this.index.db.prepare(
      `SELECT l.hash AS hash, l.hlc AS hlc FROM link_heads h JOIN links l ON l.hash = h.hash
       ORDER BY l.seq DESC LIMIT ?`,
    ).all(MAX_PREV) as { hash: string; hlc: string }[];
    const hlc = rows.reduce<string | undefined>((m, r) => (m && m > r.hlc ? m : r.hlc), undefined);
    return { prev: rows.map((r) => r.hash).sort(), hlc };
  }

  /** Link hash of the version in force of a record. */
  hashOf(kind: string, id: string): string | undefined {
    const row = this.index.db.prepare("SELECT hash FROM records WHERE kind = ? AND id = ?")
      .get(kind, id) as { hash: string } | undefined;
    return row?.hash;
  }

  /** Highest local sequence number handed out so far (0 when empty). */
  lastSeq(): number {
    return Number(this.index.getSetting("record_seq") ?? 0);
  }

  /**
   * The links stored after `afterSeq`, in sequence order (a record always after those it
   * follows): the delta feed peers pull. Void links are left out unless a valid link follows
   * them.
   */
  feed(afterSeq: number, limit = 500): { records: SignedRecord[]; lastSeq: number } {
    const rows = this.feedRows(afterSeq, limit);
    return {
      records: rows.map((r) => JSON.parse(r.json)),
      lastSeq: rows.length ? rows[rows.length - 1].seq : afterSeq,
    };
  }

  /** Raw feed rows (JSON text and sequence number), for callers that size pages. */
  feedRows(afterSeq: number, limit: number): { json: string; seq: number }[] {
    // Void links a valid link follows, directly or through other void links.
    return this.index.db.prepare(
      `WITH RECURSIVE needed(h) AS (
         SELECT v.hash FROM links v INDEXED BY links_void WHERE v.valid = 0 AND EXISTS (
           SELECT 1 FROM link_parents p JOIN links c ON c.hash = p.child
           WHERE p.parent = v.hash AND c.valid = 1)
         UNION
         SELECT p.parent FROM needed n JOIN link_parents p ON p.child = n.h
           JOIN links v ON v.hash = p.parent WHERE v.valid = 0)
       SELECT json, seq FROM links WHERE seq > ? AND (valid = 1 OR hash IN needed)
       ORDER BY seq LIMIT ?`,
    ).all(afterSeq, limit) as { json: string; seq: number }[];
  }

  onChange(listener: RecordListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Verifies, authorizes and stores `records` in one transaction. Throws on the
   * first record that may not be stored, naming it; then nothing is stored.
   * A version older than the one in force is kept in the log (`superseded`):
   * peers deliver concurrent versions in any order and every node settles on
   * the same one.
   */
  apply(records: unknown[], origin: Origin): ApplyResult[] {
    this.#pending = [];
    this.#frontierSeen.clear();
    let results: ApplyResult[];
    try {
      results = this.index.tx(() => records.map((raw, i) => this.#applyOne(raw, origin, i)));
    } catch (err) {
      this.#pending = [];
      throw err;
    }
    const changed = this.#pending;
    this.#pending = [];
    if (changed.length) {
      // Committed, the listeners (push to peers, end a removed member's sessions) not yet run.
      faultPoint("records.apply.committed");
      for (const l of this.#listeners) l(changed);
    }
    return results;
  }

  /**
   * Keeps a record that may not be in force as a void link, because a valid record that
   * follows it is waiting for it (see lib/replication/record_apply.ts). Its signature,
   * envelope and schema are checked, and what it follows must be here. Returns whether it was
   * newly kept.
   */
  keepVoid(raw: unknown): boolean {
    return this.index.tx(() => {
      const record = verifyLogRecord(raw, 0, this.kinds, this.clock, this.#linked);
      const hash = recordHash(record);
      if (this.index.db.prepare("SELECT 1 AS x FROM links WHERE hash = ?").get(hash)) return false;
      this.#graph.checkPrev(record, `${record.kind} ${record.id.slice(0, 60)}`);
      const rights = this.#graph.rightsFrom(record.prev ?? []);
      this.#insert(hash, record, rights, false);
      return true;
    });
  }

  #applyOne(raw: unknown, origin: Origin, index: number): ApplyResult {
    const where = (r: { kind?: unknown; id?: unknown }) =>
      `record ${index} (${String(r.kind).slice(0, 20)} ${String(r.id).slice(0, 60)})`;
    const verified = verifyLogRecord(raw, index, this.kinds, this.clock, this.#linked);
    const kind = this.kinds.get(verified.kind)!;
    // Stored as it was signed; judged on the parsed body.
    const record = raw as SignedRecord;
    const typed = verified as TypedRecord<unknown>;
    const hash = recordHash(record);
    if (!this.#linked) {
      // A scratch check of a bootstrap: the latest versions only, nothing linked.
      const previous = this.get(record.kind, record.id);
      if (previous && compareVersions(record, previous) <= 0) {
        return { kind: record.kind, id: record.id, status: "unchanged" };
      }
      this.#authorize(kind, typed, previous, origin, where(record));
      const seq = this.#insert(hash, record, []);
      this.#settler.settle(record.kind, record.id, seq);
      return { kind: record.kind, id: record.id, status: "stored", seq };
    }
    if (this.index.db.prepare("SELECT 1 AS x FROM links WHERE hash = ?").get(hash)) {
      return { kind: record.kind, id: record.id, status: "unchanged" };
    }
    this.#graph.checkPrev(record, where(record));
    const rights = this.#graph.rightsFrom(record.prev ?? []);
    // From a peer, rights are read as they stood among the record's ancestors: what else
    // reached this node first must not change the verdict. From a browser, on the records in
    // force here too: a record this node takes must stand on every node that judges it so.
    if (origin.via !== "peer") {
      this.#authorize(kind, typed, this.get(record.kind, record.id), origin, where(record));
    }
    this.#judgedAt(rights, () => {
      const before = this.get(record.kind, record.id);
      this.#authorize(kind, typed, before, origin, where(record));
    });
    this.#graph.checkNotRevoked(kind, typed, rights, Number.MAX_SAFE_INTEGER, where(record), this);
    const seq = this.#insert(hash, record, rights);
    const settled = this.#settler.settle(record.kind, record.id, seq);
    const inForce = settled === hash;
    if (kind.cache) this.#settler.keepOnly(record.kind, record.id, settled);
    const revocation = kind.revokes?.(typed, this);
    if (revocation) {
      this.index.db.prepare("INSERT INTO revocations (hash, subject) VALUES (?, ?)")
        .run(hash, revocation.author ?? null);
      const unseen = this.#graph.unseenBy(hash, seq, revocation, this);
      if (unseen.length) {
        this.#void(unseen);
        this.#rejudgeFrom(Math.min(...unseen.map((r) => r.seq)));
      }
    }
    return { kind: record.kind, id: record.id, status: inForce ? "stored" : "superseded", seq };
  }

  #authorize(
    kind: RecordKind<unknown>,
    typed: TypedRecord<unknown>,
    previous: TypedRecord<unknown> | undefined,
    origin: Origin,
    where: string,
  ): void {
    try {
      kind.authorize(typed, previous, this, origin);
    } catch (err) {
      if (err instanceof P2posError) err.message = `Refused ${where}: ${err.message}`;
      throw err;
    }
  }

  // --- rights: which grants and revocations a link had seen ------------------------------

  // --- which version is in force --------------------------------------------------------

  // --- voiding ---------------------------------------------------------------------------

  /** Stores a link (valid unless told) with its edges; returns its sequence number. */
  #insert(hash: string, record: SignedRecord, rights: string[], valid = true): number {
    const seq = this.lastSeq() + 1;
    this.index.setSetting("record_seq", String(seq));
    this.#graph.insertLink(hash, seq, record, rights, valid, this.clock());
    if (valid) this.#pending.push({ record, seq });
    return seq;
  }

  #void(rows: LinkRow[]): void {
    for (const r of rows) this.#pending.push({ record: JSON.parse(r.json), seq: r.seq });
    this.#graph.voidLinks(rows);
  }

  /**
   * Judges again every valid link stored from `fromSeq` on, in order, as if the links voided
   * meanwhile had never arrived: what depended on them (a member they added, a grant they
   * made) falls with them, and revocations met on the way void what they had not seen; the
   * walk restarts from the earliest link that changes. Rare: only a node that held a link
   * before the revocation that voids it does this.
   */
  #rejudgeFrom(fromSeq: number): void {
    let start = fromSeq;
    restart: for (let round = 0; round < 10_000; round++) {
      const touched = this.index.db.prepare(
        "SELECT DISTINCT kind, id FROM links WHERE seq >= ?",
      ).all(start) as { kind: string; id: string }[];
      for (const t of touched) this.#settler.settle(t.kind, t.id, start - 1, false);
      const rows = this.index.db.prepare(
        "SELECT hash, seq, json, rights FROM links WHERE seq >= ? AND valid = 1 ORDER BY seq",
      ).all(start) as unknown as (LinkRow & { rights: string })[];
      for (const row of rows) {
        const record = JSON.parse(row.json) as SignedRecord;
        const kind = this.kinds.get(record.kind)!;
        const typed = { ...record, body: kind.parseBody(record.body) } as TypedRecord<unknown>;
        const where = `${record.kind} ${record.id.slice(0, 60)}`;
        this.#horizon = row.seq;
        const rights = JSON.parse(row.rights) as string[];
        try {
          this.#judgedAt(rights, () => {
            kind.authorize(typed, this.get(record.kind, record.id), this, ORIGIN_REJUDGE);
          });
          this.#graph.checkNotRevoked(kind, typed, rights, row.seq, where, this);
        } catch (err) {
          if (!(err instanceof ForbiddenError) && !(err instanceof ValidationError)) throw err;
          this.#void([row]);
          continue;
        } finally {
          this.#horizon = Number.MAX_SAFE_INTEGER;
        }
        this.#settler.settle(record.kind, record.id, row.seq);
        const revocation = kind.revokes?.(typed, this);
        if (!revocation) continue;
        const unseen = this.#graph.unseenBy(row.hash, row.seq, revocation, this);
        if (unseen.length === 0) continue;
        this.#void(unseen);
        start = Math.min(...unseen.map((r) => r.seq));
        continue restart;
      }
      return;
    }
  }
}
