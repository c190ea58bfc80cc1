/**
 * A small least-recently-used map, and a concurrency limiter for decrypt work that skips tasks
 * nobody wants any more (a tile scrolled away before its turn came). Browser-compatible.
 *
 * @module
 */

/** A Map that forgets the least recently used entry beyond `max`, telling `onEvict`. */
export class LruCache<K, V> {
  readonly #map = new Map<K, V>();

  constructor(readonly max: number, private readonly onEvict?: (value: V, key: K) => void) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`"max" expected ≥ 1, got ${max}`);
  }

  get size(): number {
    return this.#map.size;
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  /** The value, now the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    if (!this.#map.has(key)) return undefined;
    const value = this.#map.get(key)!;
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  set(key: K, value: V): this {
    const old = this.#map.get(key);
    if (this.#map.has(key)) this.#map.delete(key);
    if (old !== undefined && old !== value) this.onEvict?.(old, key);
    this.#map.set(key, value);
    while (this.#map.size > this.max) {
      const [k, v] = this.#map.entries().next().value!;
      this.#map.delete(k);
      this.onEvict?.(v, k);
    }
    return this;
  }

  delete(key: K): boolean {
    if (!this.#map.has(key)) return false;
    const value = this.#map.get(key)!;
    this.#map.delete(key);
    this.onEvict?.(value, key);
    return true;
  }

  clear(): void {
    for (const [k, v] of [...this.#map]) {
      this.#map.delete(k);
      this.onEvict?.(v, k);
    }
  }
}

/** Thrown to a task's caller when the task was dropped because it was no longer wanted. */
export class NotWantedError extends Error {
  constructor() {
    super("No longer wanted");
    this.name = "NotWantedError";
  }
}

/**
 * Runs at most `limit` tasks at once, first come first served. A task whose `wanted()` says
 * false when its turn comes is dropped (its promise rejects with {@link NotWantedError}).
 */
export function limiter(limit: number) {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`"limit" expected ≥ 1`);
  let running = 0;
  const queue: (() => void)[] = [];
  const next = () => {
    while (running < limit && queue.length) queue.shift()!();
  };
  return function run<T>(task: () => Promise<T>, wanted: () => boolean = () => true): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push(() => {
        if (!wanted()) {
          reject(new NotWantedError());
          return;
        }
        running++;
        task().then(resolve, reject).finally(() => {
          running--;
          next();
        });
      });
      next();
    });
  };
}
