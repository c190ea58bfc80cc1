/**
 * The record log: every signed record this node accepts goes through
 * {@link RecordLog.apply}, which checks, in this order and before anything is
 * stored: the envelope and Ed25519 signature (lib/crypto), the kind and its
 * body schema, the HLC, last-writer-wins against what is stored, and the
 * kind's authorization rule. A batch is one transaction: all or nothing.
 *
 * Browsers and peers use the same path, so a compromised node or relay cannot
 * forge an album, a member, a grant or a deletion (DESIGN §4).
 */

import { fromBase64Url, RecordError, type SignedRecord, verifyRecord } from "../crypto/mod.ts";
import { P2posError, ValidationError } from "../core/errors.ts";
import { compareVersions, isHlc, MAX_FUTURE_SKEW_MS, parseHlc } from "../core/hlc.ts";
import type { KindRegistry, Origin, RecordView, TypedRecord } from "../core/record_kinds.ts";
import type { IndexDb } from "./index_db.ts";

export type ApplyStatus = "stored" | "unchanged" | "superseded";

export interface ApplyResult {
  kind: string;
  id: string;
  status: ApplyStatus;
  seq?: number;
}

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

/** A bad signature is its own error so callers can tell it from a bad field. */
export class SignatureError extends P2posError {
  constructor(message: string, options?: ErrorOptions) {
    super("bad_signature", message, options);
  }
}

export class RecordLog implements RecordView {
  #listeners = new Set<RecordListener>();

  constructor(
    private readonly index: IndexDb,
    private readonly kinds: KindRegistry,
    private readonly clock: () => number = Date.now,
  ) {}

  now(): number {
    return this.clock();
  }

  get<B = unknown>(kind: string, id: string): TypedRecord<B> | undefined {
    const row = this.index.db.prepare("SELECT json FROM records WHERE kind = ? AND id = ?")
      .get(kind, id) as { json: string } | undefined;
    return row ? JSON.parse(row.json) : undefined;
  }

  list<B = unknown>(kind: string): TypedRecord<B>[] {
    const rows = this.index.db.prepare("SELECT json FROM records WHERE kind = ? ORDER BY id")
      .all(kind) as { json: string }[];
    return rows.map((r) => JSON.parse(r.json));
  }

  find<B = unknown>(kind: string, field: string, value: string): TypedRecord<B>[] {
    if (!FIELD.test(field)) throw new TypeError(`Cannot query records by field "${field}"`);
    const indexed = FIELD_INDEX[field] ? `INDEXED BY ${FIELD_INDEX[field]}` : "";
    const rows = this.index.db.prepare(
      `SELECT json FROM records ${indexed} WHERE kind = ? AND json_extract(json, '$.body.${field}') = ?`,
    ).all(kind, value) as { json: string }[];
    return rows.map((r) => JSON.parse(r.json));
  }

  /** Highest local sequence number handed out so far (0 when empty). */
  lastSeq(): number {
    return Number(this.index.getSetting("record_seq") ?? 0);
  }

  /** Records stored after `afterSeq`, in sequence order: the delta feed peers pull. */
  feed(afterSeq: number, limit = 500): { records: SignedRecord[]; lastSeq: number } {
    const rows = this.index.db.prepare(
      "SELECT json, seq FROM records WHERE seq > ? ORDER BY seq LIMIT ?",
    ).all(afterSeq, limit) as { json: string; seq: number }[];
    return {
      records: rows.map((r) => JSON.parse(r.json)),
      lastSeq: rows.length ? rows[rows.length - 1].seq : afterSeq,
    };
  }

  onChange(listener: RecordListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Verifies, authorizes and stores `records` in one transaction. Throws on the
   * first record that may not be stored, naming it; then nothing is stored.
   * Records older than what is stored are not errors (`superseded`): peers
   * deliver versions in any order and every node converges on the newest.
   */
  apply(records: unknown[], origin: Origin): ApplyResult[] {
    const stored: { record: SignedRecord; seq: number }[] = [];
    const results = this.index.tx(() =>
      records.map((raw, i) => {
        const result = this.#applyOne(raw, origin, i);
        if (result.status === "stored") {
          stored.push({ record: raw as SignedRecord, seq: result.seq! });
        }
        return result;
      })
    );
    if (stored.length) { for (const l of this.#listeners) l(stored); }
    return results;
  }

  #applyOne(raw: unknown, origin: Origin, index: number): ApplyResult {
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
    let body: unknown;
    try {
      body = kind.parseBody(record.body);
    } catch (err) {
      throw new ValidationError(`Refused ${where(record)}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const typed = { ...record, body } as TypedRecord<unknown>;
    const previous = this.get(record.kind, record.id);
    if (previous) {
      const order = compareVersions(record, previous);
      if (order === 0) return { kind: record.kind, id: record.id, status: "unchanged" };
      if (order < 0) return { kind: record.kind, id: record.id, status: "superseded" };
    }
    try {
      kind.authorize(typed, previous, this, origin);
    } catch (err) {
      if (err instanceof P2posError) {
        err.message = `Refused ${where(record)}: ${err.message}`;
      }
      throw err;
    }
    const seq = this.lastSeq() + 1;
    this.index.setSetting("record_seq", String(seq));
    this.index.db.prepare(
      `INSERT INTO records (kind, id, seq, author, hlc, json, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, author = excluded.author,
         hlc = excluded.hlc, json = excluded.json, received_at = excluded.received_at`,
    ).run(
      record.kind,
      record.id,
      seq,
      record.author,
      record.hlc,
      JSON.stringify(record),
      this.clock(),
    );
    return { kind: record.kind, id: record.id, status: "stored", seq };
  }
}
