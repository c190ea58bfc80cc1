/**
 * Crash safety at scale (issue #14 §1): rounds of `kill -9` of one of two real node
 * processes at a random moment, or at a named step of a write path (P2POS_FAULTS), while
 * clients upload (in one request and resumably), write records, and the nodes push, pull,
 * scrub and repair. After every round the killed node restarts on the same data dir, and:
 *
 * - every blob and record a node acknowledged (2xx) is there on that node, whole;
 * - every resumable upload resumes from at least its acknowledged offset and finishes;
 * - both nodes converge (the same records, the same blobs, each hashing to its id) within a
 *   bound, and the time from restart to convergence is kept;
 * - `PRAGMA integrity_check` is ok on both; `tmp/` and `uploads/` hold nothing left over;
 * - neither node logged an unhandled error.
 *
 * Anything else is a finding, named with its round, scenario and kill so it can be replayed
 * with the same seed (P2POS_RELIABILITY_SEED).
 */

import type { NodeProcess } from "../_support/node_process.ts";
import {
  blobFiles,
  type Cluster,
  cookieOn,
  createAlbum,
  FAST_ENV,
  recordsOf,
  type RemoteAlbum,
  startCluster,
} from "../integration/replication_cluster.ts";
import type { Admin } from "../../demo.ts";
import { BlobVerifier, integrityCheck, restartNode, Rng, type Spread, spread } from "./_support.ts";
import { converged, difference, leftovers, rot } from "./_crash_checks.ts";
import {
  NAMES,
  type PendingUpload,
  type Scenario,
  SCENARIOS,
  Workload,
} from "./_crash_workload.ts";

export { type Scenario, SCENARIOS } from "./_crash_workload.ts";

export interface CrashRoundsOptions {
  rounds: number;
  seed: number;
  /** A round whose nodes have not converged this long after the restart is a finding. */
  convergeBoundMs?: number;
  /** Only these scenarios (to replay one kind of round). @default every scenario */
  scenarios?: Scenario[];
  /** Rounds on one family before a fresh one is started. @default 25 */
  roundsPerCluster?: number;
  /** Progress lines. @default console.log */
  log?: (line: string) => void;
}

export interface CrashRoundsReport {
  seed: number;
  rounds: number;
  byScenario: Record<string, number>;
  /** Rounds where the node died at the armed fault point (others were killed from outside). */
  faultKills: Record<string, number>;
  timedKills: number;
  ackedBlobs: number;
  ackedBlobBytes: number;
  ackedRecords: number;
  resumedUploads: number;
  rotted: number;
  /** Upload sessions opened as the node died, their opener never told (no bytes; 24 h TTL). */
  unheardSessions: number;
  lostBlobs: number;
  lostRecords: number;
  convergeMs: Spread;
  sizesAtEdges: number;
  findings: string[];
}

const BASE_ENV = { ...FAST_ENV, P2POS_STALL_TIMEOUT_SECS: "3", P2POS_LOG_LEVEL: "warn" };
const FAULT_WAIT_MS = 6_000;

export async function runCrashRounds(options: CrashRoundsOptions): Promise<CrashRoundsReport> {
  const log = options.log ?? console.log;
  const bound = options.convergeBoundMs ?? 60_000;
  const perCluster = options.roundsPerCluster ?? 25;
  const rng = new Rng(options.seed);
  const findings: string[] = [];
  const converge: number[] = [];
  const byScenario: Record<string, number> = {};
  const faultKills: Record<string, number> = {};
  let timedKills = 0;
  let resumedUploads = 0;
  let rotted = 0;
  let sizesAtEdges = 0;
  /** Acknowledged blobs: id → size and the node that acknowledged it. */
  const ackedBlobs = new Map<string, { size: number; node: number }>();
  /** Acknowledged records: "kind/id" → signature and the node that acknowledged it. */
  const ackedRecords = new Map<string, { sig: string; node: number }>();
  const pending: PendingUpload[] = [];
  /** Upload sessions whose opening a client heard of (201): they must all end finished. */
  const knownUploads = new Set<string>();
  /** Per node, sessions opened without their opener hearing so (see `leftovers`). */
  let unheardNow = [0, 0];
  let unheardSessions = 0;
  let verifier = new BlobVerifier();
  let outputSeen = [0, 0];
  const totals = { blobs: 0, bytes: 0, records: 0 };

  // A fresh family every `perCluster` rounds keeps each check's cost bounded in a long run.
  let cluster: Cluster | undefined;
  let nodes: NodeProcess[] = [];
  let admin!: Admin;
  let album!: RemoteAlbum;
  const freshCluster = async () => {
    if (cluster) await cluster[Symbol.asyncDispose]();
    unheardSessions += unheardNow[0] + unheardNow[1];
    unheardNow = [0, 0];
    totals.blobs += ackedBlobs.size;
    totals.bytes += [...ackedBlobs.values()].reduce((a, b) => a + b.size, 0);
    totals.records += ackedRecords.size;
    ackedBlobs.clear();
    ackedRecords.clear();
    verifier = new BlobVerifier();
    outputSeen = [0, 0];
    cluster = undefined;
    cluster = await startCluster(NAMES, BASE_ENV);
    nodes = cluster.nodes;
    admin = cluster.admin;
    album = await createAlbum(admin, nodes[0].url);
    for (const n of nodes) await cookieOn(admin, n.url);
  };
  try {
    for (let round = 1; round <= options.rounds; round++) {
      if ((round - 1) % perCluster === 0) await freshCluster();
      const victim = rng.int(0, 1);
      const scenario = rng.pick(options.scenarios ?? (Object.keys(SCENARIOS) as Scenario[]));
      const fault = rng.chance(0.5) ? rng.pick(SCENARIOS[scenario]) : undefined;
      const killAfterMs = rng.int(30, 2_500);
      const tag = `round ${round} (${scenario}, ${NAMES[victim]}, ${
        fault ? `fault ${fault}` : `kill at ${killAfterMs} ms`
      })`;
      byScenario[scenario] = (byScenario[scenario] ?? 0) + 1;
      const finding = (what: string) => {
        findings.push(`${tag}: ${what}`);
        log(`  FINDING ${tag}: ${what}`);
      };

      // Arm the fault, or rot blobs for the scrub to find: both need a restart first.
      const damaged: string[] = [];
      const roundEnv: Record<string, string> = {};
      if (fault) roundEnv.P2POS_FAULTS = fault;
      if (scenario === "scrub") {
        roundEnv.P2POS_REP_SCRUB_INTERVAL_SECS = "1";
      }
      if (Object.keys(roundEnv).length) {
        await nodes[victim].stop("SIGTERM");
        if (scenario === "scrub") {
          damaged.push(...await rot(nodes, victim, ackedBlobs, rng, verifier));
          rotted += damaged.length;
        }
        nodes[victim] = await restart(nodes[victim], roundEnv);
      }

      // The clients' work, until the victim dies.
      const before = new Set(ackedBlobs.keys());
      const work = new Workload(
        admin,
        nodes,
        victim,
        album,
        rng,
        ackedBlobs,
        ackedRecords,
        pending,
        finding,
        knownUploads,
      );
      const working = work.run(scenario);
      const victimProcess = nodes[victim];
      let firedAt: string | undefined;
      if (fault) {
        const died = await Promise.race([
          victimProcess.exited.then(() => true),
          new Promise<false>((r) => setTimeout(() => r(false), FAULT_WAIT_MS)),
        ]);
        if (died && victimProcess.output().includes(`fault point ${fault} reached`)) {
          firedAt = fault;
        }
      } else {
        await new Promise((r) => setTimeout(r, killAfterMs));
      }
      const status = await victimProcess.stop("SIGKILL");
      if (status.signal !== "SIGKILL") finding(`the victim exited with ${JSON.stringify(status)}`);
      if (firedAt) faultKills[firedAt] = (faultKills[firedAt] ?? 0) + 1;
      else timedKills++;
      work.stop();
      await working;
      sizesAtEdges += work.edgeSizes;

      // Restart on the same data dir and port; the clock for convergence starts now.
      const keepScrubbing: Record<string, string> = scenario === "scrub"
        ? { P2POS_REP_SCRUB_INTERVAL_SECS: "1" }
        : {};
      nodes[victim] = await restart(victimProcess, keepScrubbing);
      const restartedAt = performance.now();

      // What the victim acknowledged is there at once, before any peer could bring it back
      // (but for the blobs the round rotted on purpose: the scrub repairs those).
      const mine = [...ackedBlobs].filter(([id, b]) => b.node === victim && !damaged.includes(id))
        .map(([id]) => id);
      const missing = await verifier.bad(nodes[victim].dataDir, mine);
      if (missing.length) {
        finding(`${missing.length} acknowledged blobs missing or corrupt after the restart`);
      }
      const held = recordsOf(nodes[victim].dataDir);
      const lostRecords = [...ackedRecords].filter(([k, r]) =>
        r.node === victim && held.get(k) !== r.sig
      );
      if (lostRecords.length) {
        finding(`${lostRecords.length} acknowledged records missing after the restart`);
      }

      // Interrupted resumable uploads resume from at least what was acknowledged.
      for (const up of pending.splice(0)) {
        if (await work.resume(up)) resumedUploads++;
      }
      // Their uploader reads what the victim acknowledged in this round (issue #13 §3).
      const fresh = [...ackedBlobs].filter(([id, b]) => b.node === victim && !before.has(id));
      const unreadable = await work.unreadable(victim, fresh);
      if (unreadable.length) {
        finding(`the uploader cannot read ${unreadable.length} of her blobs: ${unreadable[0]}`);
      }

      // Both nodes converge.
      const repaired = async () =>
        (await verifier.bad(nodes[victim].dataDir, damaged)).length === 0;
      const done = await converged(nodes, ackedBlobs, ackedRecords, bound, repaired);
      if (done === undefined) {
        finding(`the nodes did not converge within ${bound} ms: ${await difference(nodes)}`);
      } else {
        converge.push(Math.round(performance.now() - restartedAt));
      }

      // Every blob on both nodes hashes to its id; the databases are sound; nothing left over.
      for (const [i, n] of nodes.entries()) {
        const files = await blobFiles(n.dataDir);
        const bad = await verifier.bad(n.dataDir, files.keys());
        if (bad.length) {
          finding(`${NAMES[i]} holds ${bad.length} blobs that do not hash to their id`);
        }
        const check = integrityCheck(n.dataDir);
        if (check !== "ok") finding(`${NAMES[i]} integrity_check: ${check.slice(0, 200)}`);
        const left = await leftovers(n, knownUploads);
        if (left.problem) finding(`${NAMES[i]} ${left.problem}`);
        unheardNow[i] = left.unheard;
        const text = n.output();
        const fresh = text.slice(n === victimProcess ? 0 : outputSeen[i]);
        outputSeen[i] = text.length;
        for (const line of fresh.split("\n")) {
          if (/Unhandled error|ERROR/.test(line) && !/Blob corrupt on disk/.test(line)) {
            finding(`${NAMES[i]} logged: ${line.slice(0, 300)}`);
          }
        }
      }
      outputSeen[victim] = nodes[victim].output().length;
      if (scenario === "scrub") {
        // Back to the daily scrub: re-hashing everything every second would crowd the rounds.
        await nodes[victim].stop("SIGTERM");
        nodes[victim] = await restart(nodes[victim], {});
        outputSeen[victim] = 0;
      }
      log(
        `round ${round}/${options.rounds}: ${tag.slice(tag.indexOf("("))}${
          firedAt ? " fired" : ""
        }, converged in ${
          converge.at(-1) ?? "—"
        } ms; ${ackedBlobs.size} blobs, ${ackedRecords.size} records acknowledged on this family`,
      );
      if (findings.length > 25) {
        findings.push(`stopped after round ${round}: too many findings`);
        break;
      }
    }
  } finally {
    await cluster?.[Symbol.asyncDispose]();
  }
  totals.blobs += ackedBlobs.size;
  totals.bytes += [...ackedBlobs.values()].reduce((a, b) => a + b.size, 0);
  totals.records += ackedRecords.size;
  unheardSessions += unheardNow[0] + unheardNow[1];

  const lostBlobs = findings.filter((f) => /acknowledged blobs missing/.test(f)).length;
  const lostRecords = findings.filter((f) => /acknowledged records missing/.test(f)).length;
  return {
    seed: options.seed,
    rounds: Object.values(byScenario).reduce((a, b) => a + b, 0),
    byScenario,
    faultKills,
    timedKills,
    ackedBlobs: totals.blobs,
    ackedBlobBytes: totals.bytes,
    ackedRecords: totals.records,
    resumedUploads,
    rotted,
    unheardSessions,
    lostBlobs,
    lostRecords,
    convergeMs: spread(converge),
    sizesAtEdges,
    findings,
  };
}

/** {@link restartNode} with the rounds' settings. */
function restart(node: NodeProcess, env: Record<string, string>): Promise<NodeProcess> {
  return restartNode(node, { ...BASE_ENV, ...env });
}
