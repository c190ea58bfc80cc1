/**
 * What {@link RecordLog} refuses a record for before judging its rights, and what it refuses
 * to start on: the envelope, signature, version, kind, stamp and body of a record
 * ({@link verifyLogRecord}), and data directories it cannot read.
 */

import { fromBase64Url, RecordError, type SignedRecord, verifyRecord } from "../crypto/mod.ts";
import { ConflictError, P2posError, ValidationError } from "../core/errors.ts";
import { isHlc, MAX_FUTURE_SKEW_MS, parseHlc } from "../core/hlc.ts";
import type { KindRegistry } from "../core/record_kinds.ts";

/** The envelope version nodes accept: records that name what they follow. */
export const LOG_VERSION = 2;

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

/**
 * Envelope, signature, version (`linked`: the family log's), kind, stamp (not more than
 * {@link MAX_FUTURE_SKEW_MS} ahead of `clock`) and body schema of record number `index` of a
 * batch; the record with its parsed body.
 */
export function verifyLogRecord(
  raw: unknown,
  index: number,
  kinds: KindRegistry,
  clock: () => number,
  linked: boolean,
): SignedRecord {
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
  if (linked && record.v !== LOG_VERSION) {
    throw new ValidationError(
      `Refused ${where(record)}: it does not name the records it follows ` +
        `(envelope version ${record.v}, from an older p2pos); reload the page`,
    );
  }
  const kind = kinds.get(record.kind);
  if (!kind) throw new ValidationError(`Refused ${where(record)}: unknown kind "${record.kind}"`);
  if (!isHlc(record.hlc)) {
    throw new ValidationError(`Refused ${where(record)}: "${record.hlc}" is not an HLC stamp`);
  }
  if (parseHlc(record.hlc).wall > clock() + MAX_FUTURE_SKEW_MS) {
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
