/**
 * A TCP proxy on 127.0.0.1 that degrades the connections it carries (issue #14 §5): every
 * connection it accepts gets a fate drawn from a seeded generator — passed with random
 * delays, stalled for a while mid-stream, dropped (taken but never answered), truncated
 * after a random number of bytes, or reset at a random moment — and every connection is reset
 * at the end of a random life of a few seconds, wherever it is. Stopping it closes everything
 * it holds open.
 */

import type { Rng } from "./_support.ts";

export type Fate = "pass" | "stall" | "drop" | "truncate" | "reset";

export interface ChaosOdds {
  /** Chance of each fate but "pass" (which gets the rest). */
  stall: number;
  drop: number;
  truncate: number;
  reset: number;
  /** Largest delay added before forwarding a piece, ms. */
  maxDelayMs: number;
  /**
   * Longest life of a connection that is passed, ms: it is then reset wherever it is, so a
   * keep-alive connection cannot carry everything past the chaos.
   */
  maxLifeMs: number;
}

export const DEFAULT_ODDS: ChaosOdds = {
  stall: 0.08,
  drop: 0.05,
  truncate: 0.1,
  reset: 0.1,
  maxDelayMs: 15,
  maxLifeMs: 2_000,
};

export interface ChaosStats {
  connections: number;
  fates: Record<Fate, number>;
  /** Connections reset at the end of their random life. */
  lifeEnded: number;
  bytes: number;
}

export class ChaosProxy {
  readonly stats: ChaosStats = {
    connections: 0,
    fates: { pass: 0, stall: 0, drop: 0, truncate: 0, reset: 0 },
    lifeEnded: 0,
    bytes: 0,
  };
  /** Off: every connection passes untouched (setting up, or a calm phase). */
  chaos = false;
  readonly #open = new Set<Deno.Conn>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #listener: Deno.Listener;
  readonly #accepting: Promise<void>;

  private constructor(
    /** Where connections go (set once the node behind it listens). */
    public targetPort: number,
    readonly rng: Rng,
    readonly odds: ChaosOdds,
  ) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#accepting = this.#accept();
  }

  static start(targetPort: number, rng: Rng, odds: ChaosOdds = DEFAULT_ODDS): ChaosProxy {
    return new ChaosProxy(targetPort, rng, odds);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#listener.addr as Deno.NetAddr).port}`;
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) this.#carry(conn);
    } catch {
      // closed
    }
  }

  #fate(): Fate {
    if (!this.chaos) return "pass";
    const r = this.rng.next();
    let edge = 0;
    for (const fate of ["stall", "drop", "truncate", "reset"] as const) {
      edge += this.odds[fate];
      if (r < edge) return fate;
    }
    return "pass";
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        resolve();
      }, ms);
      this.#timers.add(t);
    });
  }

  async #carry(client: Deno.Conn): Promise<void> {
    this.#open.add(client);
    let upstream: Deno.Conn;
    try {
      upstream = await Deno.connect({ hostname: "127.0.0.1", port: this.targetPort });
    } catch {
      this.#close(client);
      return;
    }
    this.#open.add(upstream);
    const fate = this.#fate();
    this.stats.connections++;
    this.stats.fates[fate]++;
    const closeBoth = () => {
      this.#close(client);
      this.#close(upstream);
    };
    if (fate === "drop") {
      // Taken, never answered: the caller's own time limits must give up. Held at most 20 s.
      await this.#sleep(20_000);
      return closeBoth();
    }
    if (fate === "reset") {
      this.#sleep(this.rng.int(0, 1_500)).then(closeBoth);
    } else if (this.chaos) {
      this.#sleep(this.rng.int(200, this.odds.maxLifeMs)).then(() => {
        if (this.#open.has(client)) this.stats.lifeEnded++;
        closeBoth();
      });
    }
    // Truncation and the stall hit one direction, mostly the answers (where blobs flow).
    const hitDown = this.rng.chance(0.7);
    const cutAt = fate === "truncate" ? this.rng.int(0, 3 << 20) : undefined;
    const stallAt = fate === "stall" ? this.rng.int(0, 2 << 20) : undefined;
    const stallMs = this.rng.int(500, 6_000);
    await Promise.all([
      this.#pipe(client, upstream, hitDown ? {} : { cutAt, stallAt, stallMs }, closeBoth),
      this.#pipe(upstream, client, hitDown ? { cutAt, stallAt, stallMs } : {}, closeBoth),
    ]);
    closeBoth();
  }

  async #pipe(
    from: Deno.Conn,
    to: Deno.Conn,
    plan: { cutAt?: number; stallAt?: number; stallMs?: number },
    closeBoth: () => void,
  ): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    let sent = 0;
    let stalled = false;
    try {
      while (true) {
        const n = await from.read(buf);
        if (n === null) {
          await to.closeWrite().catch(() => {});
          return;
        }
        let piece = buf.subarray(0, n);
        if (plan.cutAt !== undefined && sent + n > plan.cutAt) {
          piece = piece.subarray(0, plan.cutAt - sent);
          await writeAll(to, piece);
          this.stats.bytes += piece.length;
          return closeBoth();
        }
        if (plan.stallAt !== undefined && !stalled && sent + n > plan.stallAt) {
          stalled = true;
          await this.#sleep(plan.stallMs ?? 0);
        } else if (this.chaos && this.odds.maxDelayMs > 0 && this.rng.chance(0.3)) {
          await this.#sleep(this.rng.int(0, this.odds.maxDelayMs));
        }
        await writeAll(to, piece);
        sent += n;
        this.stats.bytes += n;
      }
    } catch {
      closeBoth();
    }
  }

  #close(conn: Deno.Conn): void {
    if (!this.#open.delete(conn)) return;
    try {
      conn.close();
    } catch { /* already closed */ }
  }

  async stop(): Promise<void> {
    this.#listener.close();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const c of [...this.#open]) this.#close(c);
    await this.#accepting;
  }
}

async function writeAll(to: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await to.write(bytes.subarray(off));
}
