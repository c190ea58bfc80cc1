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

import {
  fromBase64Url,
  MAX_PREV,
  RecordError,
  recordHash,
  type SignedRecord,
  verifyRecord,
} from "../crypto/mod.ts";
import { ConflictError, ForbiddenError, P2posError, ValidationError } from "../core/errors.ts";
import { compareVersions, isHlc, MAX_FUTURE_SKEW_MS, parseHlc } from "../core/hlc.ts";
import type {
  KindRegistry,
  Origin,
  RecordKind,
  RecordView,
  Revocation,
  TypedRecord,
} from "../core/record_kinds.ts";
import type { IndexDb } from "./index_db.ts";
import { faultPoint } from "../core/faults.ts";

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

/** The envelope version nodes accept: records that name what they follow. */
const LOG_VERSION = 2;

/** A bad signature is its own error so callers can tell it from a bad field. */
export class SignatureError extends P2posError {
  constructor(message: string, options?: ErrorOptions) {
    super("bad_signature", message, options);
  }
}

/**
 * A record follows links this node does not hold yet. From a peer it waits (parked) until
 * they arrive; a browser made it on a view this node never had.
 */
export class MissingLinksError extends ConflictError {
  constructor(readonly missing: string[], message: string) {
    super(message);
  }
}

/** A data directory written before the family log: its records name nothing they follow. */
export class PreLogDataError extends Error {
  constructor() {
    super(
      "This data directory holds records from a p2pos older than the family log (schema 6): " +
        "they do not name the records they follow, so this node cannot check them. " +
        "Start the node with a new --data-dir and pair it with the family again.",
    );
    this.name = "PreLogDataError";
  }
}

/**
 * A data directory whose records no longer parse under this p2pos's record kinds: written by an
 * older version whose bodies had another shape (before encrypted names, for instance, the
 * family's first record held its name in the clear). Such records cannot be judged, so the node
 * does not start on them.
 */
export class OutdatedDataError extends Error {
  constructor(reason: string) {
    super(
      `This data directory holds records in a format this p2pos no longer reads (${reason}). ` +
        "Start the node with a new --data-dir and pair it with the family again.",
    );
    this.name = "OutdatedDataError";
  }
}

export interface RecordLogOptions {
  /**
   * false: `prev` is not checked and nothing is linked. Only for checking a bootstrap in a
   * scratch database, where the records arrive without the log they belong to.
   * @default true
   */
  linked?: boolean;
}

/** A valid version of a record, as {@link RecordLog} settles among them. */
interface Version<B> {
  hash: string;
  seq: number;
  rights: string[];
  record: TypedRecord<B>;
}

interface LinkRow {
  hash: string;
  seq: number;
  json: string;
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

  constructor(
    private readonly index: IndexDb,
    private readonly kinds: KindRegistry,
    private readonly clock: () => number = Date.now,
    options: RecordLogOptions = {},
  ) {
    this.#linked = options.linked ?? true;
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
    if (this.#frontier && this.#tracks(kind)) return this.#causal<B>(kind, [id])[0];
    const row = this.index.db.prepare("SELECT json FROM records WHERE kind = ? AND id = ?")
      .get(kind, id) as { json: string } | undefined;
    return row ? JSON.parse(row.json) : undefined;
  }

  list<B = unknown>(kind: string): TypedRecord<B>[] {
    if (this.#frontier && this.#tracks(kind)) {
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
    if (this.#frontier && this.#tracks(kind)) {
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
    let all = this.#versions<B>(kind, id, this.#horizon - 1);
    if (this.#frontier && this.#tracks(kind)) {
      const seen = this.#seenByFrontier();
      all = all.filter((v) => seen.has(v.hash));
    }
    return all.map((v) => v.record);
  }

  /**
   * The versions in force of records `ids` of a rights kind as they stood among the ancestors
   * of the record being judged (its frontier): the same rule as {@link #settle}, on the
   * versions it had seen. Ids with no such version are left out.
   */
  #causal<B>(kind: string, ids: string[]): TypedRecord<B>[] {
    const seen = this.#seenByFrontier();
    const out: TypedRecord<B>[] = [];
    for (const id of ids) {
      const all = this.#versions<B>(kind, id, this.#horizon - 1).filter((v) => seen.has(v.hash));
      const winner = this.#winner(kind, all);
      if (winner) out.push(winner.record);
    }
    return out;
  }

  /** Every rights link among the ancestors of the frontier being judged (and the frontier). */
  #seenByFrontier(): Set<string> {
    const frontier = this.#frontier ?? [];
    const key = frontier.join(",");
    let seen = this.#frontierSeen.get(key);
    if (seen) return seen;
    seen = new Set<string>();
    const stack = [...frontier];
    while (stack.length) {
      const h = stack.pop()!;
      if (seen.has(h)) continue;
      seen.add(h);
      const link = this.#link(h);
      if (link) stack.push(...link.rights);
    }
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
    const target = this.#link(a);
    if (!target || a === b) return false;
    if (this.#tracks(target.kind)) return this.#seenBy(a, this.#link(b)?.rights ?? []);
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
      const record = this.#verify(raw, 0);
      const hash = recordHash(record);
      if (this.index.db.prepare("SELECT 1 AS x FROM links WHERE hash = ?").get(hash)) return false;
      this.#checkPrev(record, `${record.kind} ${record.id.slice(0, 60)}`);
      const rights = this.#rightsFrom(record.prev ?? []);
      this.#insert(hash, record, rights, false);
      return true;
    });
  }

  /** Envelope, signature, version, kind, stamp and body schema of a record. */
  #verify(raw: unknown, index: number): SignedRecord {
    const where = (r: { kind?: unknown; id?: unknown }) =>
      `record ${index} (${String(r.kind).slice(0, 20)} ${String(r.id).slice(0, 60)})`;
    const candidate = (raw ?? {}) as { author?: unknown; kind?: unknown; id?: unknown };
    let record: SignedRecord;
    try {
      const author = typeof candidate.author === "string" ? fromBase64Url(candidate.author) : null;
      if (!author || author.length !== 32) {
        throw new RecordError("shape", "Cannot read record: author is not a 32-byte public key");
      }
      record = verifyRecord(raw, author);
    } catch (err) {
      if (err instanceof RecordError && err.code === "signature") {
        throw new SignatureError(`Refused ${where(candidate)}: its signature does not verify`, {
          cause: err,
        });
      }
      if (err instanceof RecordError || err instanceof SyntaxError) {
        throw new ValidationError(`Refused ${where(candidate)}: ${err.message}`, { cause: err });
      }
      throw err;
    }
    if (this.#linked && record.v !== LOG_VERSION) {
      throw new ValidationError(
        `Refused ${where(record)}: it does not name the records it follows ` +
          `(envelope version ${record.v}, from an older p2pos); reload the page`,
      );
    }
    const kind = this.kinds.get(record.kind);
    if (!kind) throw new ValidationError(`Refused ${where(record)}: unknown kind "${record.kind}"`);
    if (!isHlc(record.hlc)) {
      throw new ValidationError(`Refused ${where(record)}: "${record.hlc}" is not an HLC stamp`);
    }
    if (parseHlc(record.hlc).wall > this.clock() + MAX_FUTURE_SKEW_MS) {
      throw new ValidationError(
        `Refused ${where(record)}: its clock is more than 5 minutes ahead of this node's; ` +
          `check the date and time on the device that made it`,
      );
    }
    try {
      return { ...record, body: kind.parseBody(record.body) } as SignedRecord;
    } catch (err) {
      throw new ValidationError(`Refused ${where(record)}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  #applyOne(raw: unknown, origin: Origin, index: number): ApplyResult {
    const where = (r: { kind?: unknown; id?: unknown }) =>
      `record ${index} (${String(r.kind).slice(0, 20)} ${String(r.id).slice(0, 60)})`;
    const verified = this.#verify(raw, index);
    const kind = this.kinds.get(verified.kind)!;
    // Stored as it was signed; judged on the parsed body.
    const record = raw as SignedRecord;
    const typed = verified as TypedRecord<unknown>;
    const hash = recordHash(record);
    const previous = this.get(record.kind, record.id);
    if (!this.#linked) {
      // A scratch check of a bootstrap: the latest versions only, nothing linked.
      if (previous && compareVersions(record, previous) <= 0) {
        return { kind: record.kind, id: record.id, status: "unchanged" };
      }
      this.#authorize(kind, typed, previous, origin, where(record));
      const seq = this.#insert(hash, record, []);
      this.#settle(record.kind, record.id, seq);
      return { kind: record.kind, id: record.id, status: "stored", seq };
    }
    if (this.index.db.prepare("SELECT 1 AS x FROM links WHERE hash = ?").get(hash)) {
      return { kind: record.kind, id: record.id, status: "unchanged" };
    }
    this.#checkPrev(record, where(record));
    const rights = this.#rightsFrom(record.prev ?? []);
    // From a peer, rights are read as they stood among the record's ancestors: what else
    // reached this node first must not change the verdict. From a browser, on the records in
    // force here too: a record this node takes must stand on every node that judges it so.
    if (origin.via !== "peer") this.#authorize(kind, typed, previous, origin, where(record));
    this.#judgedAt(rights, () => {
      const before = this.get(record.kind, record.id);
      this.#authorize(kind, typed, before, origin, where(record));
    });
    this.#checkNotRevoked(kind, typed, rights, Number.MAX_SAFE_INTEGER, where(record));
    const seq = this.#insert(hash, record, rights);
    const settled = this.#settle(record.kind, record.id, seq);
    const inForce = settled === hash;
    if (kind.cache) this.#keepOnly(record.kind, record.id, settled);
    const revocation = kind.revokes?.(typed, this);
    if (revocation) {
      this.index.db.prepare("INSERT INTO revocations (hash, subject) VALUES (?, ?)")
        .run(hash, revocation.author ?? null);
      const unseen = this.#unseenBy(hash, seq, revocation);
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

  /** Stores a link (valid unless told) with its edges; returns its sequence number. */
  #insert(hash: string, record: SignedRecord, rights: string[], valid = true): number {
    const seq = this.lastSeq() + 1;
    this.index.setSetting("record_seq", String(seq));
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
      this.clock(),
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
    if (valid) this.#pending.push({ record, seq });
    return seq;
  }

  /** `prev` names links this node holds, each stamped before the record. */
  #checkPrev(record: SignedRecord, where: string): void {
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

  // --- rights: which grants and revocations a link had seen ------------------------------

  #tracks(kind: string): boolean {
    const def = this.kinds.get(kind);
    return Boolean(def?.withdraws || def?.revokes);
  }

  #link(hash: string): { seq: number; kind: string; rights: string[] } | undefined {
    const row = this.index.db.prepare("SELECT seq, kind, rights FROM links WHERE hash = ?")
      .get(hash) as { seq: number; kind: string; rights: string } | undefined;
    return row && { seq: row.seq, kind: row.kind, rights: JSON.parse(row.rights) };
  }

  /**
   * The latest rights links (kinds that grant or end rights) among the ancestors of a link
   * that follows `prev`: none of them an ancestor of another.
   */
  #rightsFrom(prev: string[]): string[] {
    const found = new Set<string>();
    for (const p of prev) {
      const link = this.#link(p)!;
      if (this.#tracks(link.kind)) found.add(p);
      else for (const r of link.rights) found.add(r);
    }
    const list = [...found];
    return list.filter((r) => !list.some((o) => o !== r && this.#seenBy(r, [o])));
  }

  /** Whether rights link `target` is one of, or an ancestor of, the rights links `from`. */
  #seenBy(target: string, from: string[]): boolean {
    const t = this.#link(target);
    if (!t) return false;
    const seen = new Set<string>();
    const stack = [...from];
    while (stack.length) {
      const h = stack.pop()!;
      if (h === target) return true;
      if (seen.has(h)) continue;
      seen.add(h);
      const link = this.#link(h);
      // Ancestors are always stored before their descendants.
      if (!link || link.seq < t.seq) continue;
      stack.push(...link.rights);
    }
    return false;
  }

  /**
   * A link stands only if every revocation of the right it uses is among its ancestors
   * (`rights` is its rights frontier). Revocations stored after `beforeSeq` are not
   * considered: they judge the link themselves when they arrive ({@link #unseenBy}).
   */
  #checkNotRevoked(
    kind: RecordKind<unknown>,
    link: TypedRecord<unknown>,
    rights: string[],
    beforeSeq: number,
    where: string,
  ): void {
    const subjects = [link.author, ...(kind.relies?.(link, this) ?? [])];
    const rows = this.index.db.prepare(
      `SELECT l.hash AS hash, l.json AS json FROM revocations r JOIN links l ON l.hash = r.hash
       WHERE l.valid = 1 AND l.seq < ? AND (r.subject IS NULL OR r.subject IN (${
        subjects.map(() => "?").join(", ")
      }))`,
    ).all(beforeSeq, ...subjects) as { hash: string; json: string }[];
    for (const row of rows) {
      const record = JSON.parse(row.json) as TypedRecord<unknown>;
      const revocation = this.kinds.get(record.kind)?.revokes?.(record, this);
      if (!revocation || !this.#covers(revocation, link)) continue;
      if (this.#seenBy(row.hash, rights)) continue;
      throw new ForbiddenError(
        `Refused ${where}: it was made without seeing the change that ended the right it ` +
          `needs (${record.kind} ${record.id.slice(0, 60)})`,
      );
    }
  }

  #covers(revocation: Revocation, link: TypedRecord<unknown>): boolean {
    const byAuthor = !revocation.author || link.author === revocation.author;
    const kindOk = byAuthor
      ? !revocation.kinds || revocation.kinds.includes(link.kind)
      : revocation.others?.includes(link.kind) === true;
    return kindOk && revocation.covers(link, this);
  }

  /**
   * The valid links stored before the revoking link (`hash`, stored at `seq`) that used
   * the right it ends and that it had not seen.
   */
  #unseenBy(hash: string, seq: number, revocation: Revocation): LinkRow[] {
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
      this.#covers(revocation, JSON.parse(r.json))
    );
    if (rows.length === 0) return [];
    const seen = this.#ancestors(hash, Math.min(...rows.map((r) => r.seq)));
    return rows.filter((r) => !seen.has(r.hash));
  }

  /** Every ancestor of `hash` stored at or after `minSeq` (and the parents just before). */
  #ancestors(hash: string, minSeq: number): Set<string> {
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

  // --- which version is in force --------------------------------------------------------

  /** Valid versions of a record stored up to `maxSeq`, oldest first by stamp. */
  #versions<B>(kind: string, id: string, maxSeq: number): Version<B>[] {
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
   * Settles which version of a record is in force, from its valid versions stored up to
   * `maxSeq`: the last writer (stamp, then author) — except that a version which withdraws
   * (a removal, a revocation) wins over every version that had not seen it. The same set of
   * versions gives the same answer on every node, whatever the order they arrived in.
   * Writes `records` and, unless `phases` is false, the record's phase; returns the hash
   * in force.
   */
  #settle(kind: string, id: string, maxSeq: number, phases = true): string | undefined {
    const def = this.kinds.get(kind);
    const winner = this.#winner(kind, this.#versions<unknown>(kind, id, maxSeq));
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
      this.#notePhase(kind, id, def.phase(def.parseBody(winner.record.body)));
    }
    return winner.hash;
  }

  /**
   * Which of a record's valid versions (oldest first by stamp) is in force: the last writer —
   * except that a version which withdraws wins over every version that had not seen it.
   */
  #winner<B>(kind: string, all: Version<B>[]): Version<B> | undefined {
    const def = this.kinds.get(kind);
    let candidates = all;
    if (def?.withdraws && this.#linked) {
      const withdraws = (v: Version<B>) => def.withdraws!(def.parseBody(v.record.body));
      const standing = all.filter((w) =>
        withdraws(w) && !all.some((v) => !withdraws(v) && this.#seenBy(w.hash, v.rights))
      );
      if (standing.length) candidates = standing;
    }
    return candidates.at(-1);
  }

  /** A cache kind keeps only its version in force: nothing follows the others. */
  #keepOnly(kind: string, id: string, hash: string | undefined): void {
    const others = this.index.db.prepare(
      "SELECT hash FROM links WHERE kind = ? AND id = ? AND hash IS NOT ?",
    ).all(kind, id, hash ?? null) as { hash: string }[];
    for (const o of others) {
      this.index.db.prepare("DELETE FROM link_parents WHERE child = ?").run(o.hash);
      this.index.db.prepare("DELETE FROM links WHERE hash = ?").run(o.hash);
    }
  }

  #notePhase(kind: string, id: string, phase: string | null): void {
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

  // --- voiding ---------------------------------------------------------------------------

  #void(rows: LinkRow[]): void {
    for (const r of rows) {
      this.index.db.prepare("UPDATE links SET valid = 0 WHERE hash = ?").run(r.hash);
      this.#pending.push({ record: JSON.parse(r.json), seq: r.seq });
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
      for (const t of touched) this.#settle(t.kind, t.id, start - 1, false);
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
          this.#checkNotRevoked(kind, typed, rights, row.seq, where);
        } catch (err) {
          if (!(err instanceof ForbiddenError) && !(err instanceof ValidationError)) throw err;
          this.#void([row]);
          continue;
        } finally {
          this.#horizon = Number.MAX_SAFE_INTEGER;
        }
        this.#settle(record.kind, record.id, row.seq);
        const revocation = kind.revokes?.(typed, this);
        if (!revocation) continue;
        const unseen = this.#unseenBy(row.hash, row.seq, revocation);
        if (unseen.length === 0) continue;
        this.#void(unseen);
        start = Math.min(...unseen.map((r) => r.seq));
        continue restart;
      }
      return;
    }
  }
}
