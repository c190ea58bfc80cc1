/**
 * The contract between the record log (lib/store) and the layers that define
 * record kinds (family and members here in core, albums and photos in the
 * vault): each kind validates its body and decides whether the author may
 * make the change, given a read-only view of the current state.
 *
 * Browser-compatible: no I/O.
 */

import type { SignedRecord } from "../crypto/mod.ts";

/** A verified record whose body has been parsed by its kind's schema. */
export interface TypedRecord<B> extends Omit<SignedRecord, "body"> {
  body: B;
}

/** How a record reached this node; some changes are only allowed one way. */
export type Origin =
  | { via: "setup" } // the first member, holding the setup code
  | { via: "api"; sessionMember?: string } // a browser on this node
  | { via: "peer"; nodeId: string }; // replication from a family node

/**
 * Read-only queries over the records in force (those stored earlier, and earlier in the same
 * batch): for each kind and id, the version the family log settles on.
 */
export interface RecordView {
  get<B = unknown>(kind: string, id: string): TypedRecord<B> | undefined;
  list<B = unknown>(kind: string): TypedRecord<B>[];
  /** Records of `kind` whose body field `field` equals `value`. */
  find<B = unknown>(kind: string, field: string, value: string): TypedRecord<B>[];
  now(): number;
  /** Every version of a record still in force or superseded (not void), oldest first. */
  versions<B = unknown>(kind: string, id: string): TypedRecord<B>[];
  /** Whether the record with link hash `a` is an ancestor of the one with link hash `b`. */
  precedes(a: string, b: string): boolean;
  /**
   * When this node first saw the record enter the phase its version in force is in (see
   * {@link RecordKind.phase}; ms since the epoch), or undefined when it is in none. Periods
   * such as the trash's count from here, never from a time the author signed.
   */
  since(kind: string, id: string): number | undefined;
}

/**
 * A change that ends a right (removing a member, demoting an admin, un-sharing an album,
 * withdrawing an invite). The family log voids every link that used the right and that the
 * revoking record had not seen: its author's node did not have it, so it was made
 * concurrently — or later, with a backdated place in the log.
 */
export interface Revocation {
  /** Whose right ends: links by this key are examined; undefined: links by anyone. */
  author?: string;
  /** Only links of these kinds are examined; undefined: every kind. */
  kinds?: string[];
  /**
   * Kinds of links by others that can rely on the right too (a join relies on the right of
   * the admin who made its invite); see {@link RecordKind.relies}.
   */
  others?: string[];
  /** Whether a link (a verified, parsed record) used the right that ended. */
  covers(link: TypedRecord<unknown>, view: RecordView): boolean;
}

export interface RecordKind<B> {
  kind: string;
  /** Parses and validates the body; throws ValidationError with a clear message. */
  parseBody(body: unknown): B;
  /**
   * Throws ForbiddenError (or ValidationError) when `record` may not be stored. Judged on
   * what it follows (its `prev`, which always arrives first): `view` reads records of the
   * kinds that grant or end rights (those with `withdraws` or `revokes`) as they stood among
   * its ancestors, and other kinds as they are in force. From a browser, it is judged on the
   * records in force as well.
   */
  authorize(
    record: TypedRecord<B>,
    previous: TypedRecord<B> | undefined,
    view: RecordView,
    origin: Origin,
  ): void;
  /**
   * Whether a version withdraws what the record granted (a member removed, a grant or
   * invite revoked, a node removed). Among versions neither of which follows the other, a
   * withdrawing one wins whatever its stamp; a later version undoes it only by naming it in
   * its `prev`.
   */
  withdraws?(body: B): boolean;
  /**
   * A cache rather than history (an album's index): only the version in force is kept in
   * the family log, and no record follows it (it is never among the heads), so the versions
   * it replaces can go. Its right to be written is judged like any other record's.
   */
  cache?: boolean;
  /**
   * A phase a version is in (an album in the trash), or null. The log notes when this node
   * first saw the record enter it ({@link RecordView.since}).
   */
  phase?(body: B): string | null;
  /**
   * The right that a stored version ends, when it ends one (see {@link Revocation}). It
   * depends on the version and its ancestors only, so every node finds the same
   * revocations whatever it received first.
   */
  revokes?(record: TypedRecord<B>, view: RecordView): Revocation | undefined;
  /**
   * Keys other than its author's whose right a version relies on (a join: the admin who
   * made the invite); a revocation of their right that the version had not seen voids it.
   */
  relies?(record: TypedRecord<B>, view: RecordView): string[];
}

export class KindRegistry {
  #kinds = new Map<string, RecordKind<unknown>>();

  register<B>(kind: RecordKind<B>): this {
    if (this.#kinds.has(kind.kind)) throw new Error(`Record kind ${kind.kind} registered twice`);
    this.#kinds.set(kind.kind, kind as RecordKind<unknown>);
    return this;
  }

  get(kind: string): RecordKind<unknown> | undefined {
    return this.#kinds.get(kind);
  }

  /** The registered kinds' names, in the order they were registered. */
  names(): string[] {
    return [...this.#kinds.keys()];
  }
}
