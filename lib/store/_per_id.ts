/**
 * Runs writes of one blob id one at a time within a process, so that of two puts of the
 * same blob exactly one reports `created` and the other verifies against the stored copy.
 */

export class PerIdQueue {
  readonly #running = new Map<string, Promise<unknown>>();

  async run<T>(id: string, fn: () => Promise<T>): Promise<T> {
    while (this.#running.has(id)) await this.#running.get(id)!.catch(() => {});
    const p = fn();
    this.#running.set(id, p);
    try {
      return await p;
    } finally {
      this.#running.delete(id);
    }
  }
}
