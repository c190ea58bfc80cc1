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

/** Read-only queries over the records already stored (and those earlier in the same batch). */
export interface RecordView {
  get<B = unknown>(kind: string, id: string): TypedRecord<B> | undefined;
  list<B = unknown>(kind: string): TypedRecord<B>[];
  /** Records of `kind` whose body field `field` equals `value`. */
  find<B = unknown>(kind: string, field: string, value: string): TypedRecord<B>[];
  now(): number;
}

export interface RecordKind<B> {
  kind: string;
  /** Parses and validates the body; throws ValidationError with a clear message. */
  parseBody(body: unknown): B;
  /** Throws ForbiddenError (or ValidationError) when `record` may not be stored. */
  authorize(
    record: TypedRecord<B>,
    previous: TypedRecord<B> | undefined,
    view: RecordView,
    origin: Origin,
  ): void;
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
}
