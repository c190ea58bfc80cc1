/**
 * What the engine announces, for live status (SSE) and tests: something about
 * peers or the backlog changed, or a blob's set of holders changed.
 */

import type { LocationChange } from "../core/replication_view.ts";

export type ReplicationEvent =
  | { type: "status" }
  | ({ type: "location" } & LocationChange)
  | { type: "records"; from: string; stored: number };

export type ReplicationListener = (event: ReplicationEvent) => void;

export class ReplicationEvents {
  readonly #listeners = new Set<ReplicationListener>();

  on(listener: ReplicationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: ReplicationEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch {
        // A listener (an SSE connection) failing must not stop replication.
      }
    }
  }

  get size(): number {
    return this.#listeners.size;
  }
}
