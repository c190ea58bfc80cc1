/**
 * Proof-of-possession rounds sized from the number of copies (DESIGN §7, PROTOCOL §3.6).
 *
 * Every peer copy this node knows of must be proven within `windowMs` (a day by default),
 * whatever the size of the library: each round proves `copies × interval / (0.9 × window)`
 * copies, so a full pass takes 90 % of the window and the oldest proof stays younger than
 * it. The I/O is bounded: a round reads at most `bytesPerMinute` of local blobs per minute
 * of its interval (and always at least one blob, so a blob larger than the budget is still
 * proven). When the budget is too small for the library, a pass takes longer than the
 * window, and the status says so (see {@link ProofPlan.passMs}).
 *
 * One local read proves every due copy of a blob: the nonces of all the peers asked are
 * hashed in the same pass.
 */

import { getLogger } from "../core/log.ts";
import type { ProofPlan } from "../core/replication_view.ts";
import type { BlobStore } from "../store/mod.ts";
import type { Location, LocationStore } from "./locations.ts";
import type { PeerDirectory } from "./peers.ts";
import { PROOF_NONCE_BYTES, proofsOf } from "./proof.ts";

const log = getLogger("replication");

/** A full pass is planned to take this share of the window, leaving room for slow rounds. */
const PASS_SHARE = 0.9;
/** A copy proven less than this share of the window ago is not proven again yet. */
const REST_SHARE = 0.5;

export interface ProofRoundsDeps {
  locations: LocationStore;
  blobs: BlobStore;
  peers: PeerDirectory;
  now: () => number;
  /** A peer's copy passed its proof (`verified`) or failed it (`lost`). */
  onResult: (blobId: string, nodeId: string, state: "verified" | "lost") => void;
  /** This node's own copy no longer hashes to its id: it cannot judge a peer's. */
  repair: (blobId: string) => Promise<void>;
  stopped: () => boolean;
}

export interface ProofRoundsOptions {
  /** Time between rounds. @default 60_000 */
  intervalMs?: number;
  /** Every peer copy is proven at least this often. @default 24 h */
  windowMs?: number;
  /** Local blob bytes a round may read, per minute of its interval. @default 256 MiB */
  bytesPerMinute?: number;
}

export interface ProofRoundResult {
  verified: number;
  lost: number;
  /** Local bytes read. */
  bytes: number;
}

export class ProofRounds {
  readonly intervalMs: number;
  readonly windowMs: number;
  readonly bytesPerMinute: number;
  #lastRound?: ProofRoundResult & { at: number };

  constructor(private readonly deps: ProofRoundsDeps, options: ProofRoundsOptions = {}) {
    this.intervalMs = options.intervalMs ?? 60_000;
    this.windowMs = options.windowMs ?? 24 * 3600_000;
    this.bytesPerMinute = options.bytesPerMinute ?? 256 * 1024 ** 2;
    const given = {
      intervalMs: this.intervalMs,
      windowMs: this.windowMs,
      bytesPerMinute: this.bytesPerMinute,
    };
    for (const [name, v] of Object.entries(given)) {
      if (!(v > 0 && Number.isFinite(v))) {
        throw new RangeError(`Proof rounds: "${name}" expected a positive number, got ${v}`);
      }
    }
  }

  get lastRound(): (ProofRoundResult & { at: number }) | undefined {
    return this.#lastRound;
  }

  /** Local bytes one round may read. */
  get byteBudget(): number {
    return Math.max(1, Math.floor(this.bytesPerMinute * this.intervalMs / 60_000));
  }

  /**
   * The rounds' size for `copies` peer copies; `bytes` (what a pass reads locally, about
   * the bytes this node stores) only lengthens the estimated pass.
   */
  plan(copies: number, bytes: number): ProofPlan {
    const perRound = Math.max(
      1,
      Math.ceil(copies * this.intervalMs / (PASS_SHARE * this.windowMs)),
    );
    const byCount = Math.ceil(copies / perRound) * this.intervalMs;
    const byBytes = Math.ceil(bytes / this.byteBudget) * this.intervalMs;
    return {
      copies,
      perRound,
      intervalMs: this.intervalMs,
      windowMs: this.windowMs,
      bytesPerMinute: this.bytesPerMinute,
      passMs: copies === 0 ? 0 : Math.max(byCount, byBytes),
    };
  }

  /** Copies on the family's current other nodes. */
  copies(): number {
    const peers = new Set(this.deps.peers.list().map((p) => p.nodeId));
    return this.deps.locations.perNode().filter((r) => peers.has(r.nodeId))
      .reduce((n, r) => n + r.held, 0);
  }

  /** Proves the copies most overdue on reachable peers, within the round's size and bytes. */
  async round(): Promise<ProofRoundResult> {
    const { locations, peers, now } = this.deps;
    const { perRound } = this.plan(this.copies(), 0);
    const reachable = peers.reachableIds();
    const restUntil = now() - REST_SHARE * this.windowMs;
    const due = (l: Location) => l.verifiedAt === undefined || l.verifiedAt < restUntil;
    // Most overdue first; a blob's other due copies ride on the same local read, and count
    // towards the round's size.
    const byBlob = new Map<string, Location[]>();
    let planned = 0;
    for (const loc of locations.dueForProof(reachable, restUntil, perRound)) {
      if (planned >= perRound) break;
      if (byBlob.has(loc.blobId)) continue;
      const copies = locations.holders(loc.blobId)
        .filter((l) => reachable.includes(l.nodeId) && due(l));
      byBlob.set(loc.blobId, copies);
      planned += copies.length;
    }
    const result: ProofRoundResult = { verified: 0, lost: 0, bytes: 0 };
    for (const [blobId, locs] of byBlob) {
      if (this.deps.stopped()) break;
      const read = await this.deps.blobs.get(blobId).catch(() => undefined);
      if (!read) continue; // deleted here meanwhile: nothing to judge the peers' copies by
      if (result.bytes > 0 && result.bytes + read.size > this.byteBudget) {
        await read.stream.cancel().catch(() => {});
        break;
      }
      result.bytes += read.size;
      const r = await this.#prove(blobId, locs, read);
      result.verified += r.verified;
      result.lost += r.lost;
    }
    this.#lastRound = { ...result, at: now() };
    return result;
  }

  async #prove(
    blobId: string,
    locs: Location[],
    read: { stream: ReadableStream<Uint8Array> },
  ): Promise<{ verified: number; lost: number }> {
    const asks = locs.flatMap((loc) => {
      const peer = this.deps.peers.get(loc.nodeId);
      const t = peer && this.deps.peers.transportFor(peer);
      if (!peer || !t) return [];
      const nonce = crypto.getRandomValues(new Uint8Array(PROOF_NONCE_BYTES));
      return [{ peer, t, nonce }];
    });
    const local = await proofsOf(this.deps.blobs, blobId, asks.map((a) => a.nonce), read)
      .catch(() => undefined);
    if (!local) return { verified: 0, lost: 0 };
    if (local.hex !== blobId) {
      await this.deps.repair(blobId);
      return { verified: 0, lost: 0 };
    }
    const outcomes = await Promise.all(asks.map(async ({ peer, t, nonce }, i) => {
      let got: string | undefined;
      try {
        got = await t.proveBlob(peer, blobId, nonce);
      } catch (err) {
        const status = (err as { status?: number }).status;
        if (status !== 404 && status !== 422) return undefined; // unreachable: another time
      }
      if (got === local.proofs[i]) {
        this.deps.locations.verified(blobId, peer.nodeId, this.deps.now());
        this.deps.onResult(blobId, peer.nodeId, "verified");
        return "verified" as const;
      }
      log.warn("Peer failed a proof of possession", { peer: peer.nodeId, blob: blobId });
      this.deps.locations.remove(blobId, peer.nodeId);
      this.deps.onResult(blobId, peer.nodeId, "lost");
      return "lost" as const;
    }));
    return {
      verified: outcomes.filter((o) => o === "verified").length,
      lost: outcomes.filter((o) => o === "lost").length,
    };
  }
}
