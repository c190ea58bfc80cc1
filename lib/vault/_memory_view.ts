/**
 * For the vault's unit tests: the records in force held in memory, by kind and id, with the
 * time this node first saw each record's phase (the trash). Only what the vault's rules read.
 */

import type { RecordView, TypedRecord } from "../core/record_kinds.ts";

export class MemoryView implements RecordView {
  readonly records = new Map<string, TypedRecord<unknown>>();
  readonly seen = new Map<string, number>();
  clock = 1_000 * 24 * 3600_000;

  put<B>(kind: string, id: string, author: string, body: B): TypedRecord<B> {
    const r = { v: 2 as const, kind, id, author, hlc: "0", body, sig: "", prev: [] };
    this.records.set(`${kind}/${id}`, r);
    return r;
  }
  get<B>(kind: string, id: string) {
    return this.records.get(`${kind}/${id}`) as TypedRecord<B> | undefined;
  }
  list<B>(kind: string) {
    return [...this.records.values()].filter((r) => r.kind === kind) as TypedRecord<B>[];
  }
  find<B>(kind: string, field: string, value: string) {
    return this.list<B>(kind).filter((r) => (r.body as Record<string, unknown>)[field] === value);
  }
  now() {
    return this.clock;
  }
  versions<B>(kind: string, id: string) {
    const r = this.get<B>(kind, id);
    return r ? [r] : [];
  }
  precedes() {
    return false;
  }
  since(kind: string, id: string) {
    return this.seen.get(`${kind}/${id}`);
  }
}
