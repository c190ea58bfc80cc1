/**
 * The long run (issue #14 §6): three real nodes — Oak, Pine, Cedar — for `--minutes` (30 by
 * default) with a family at work: photos uploaded to albums by the admin and by contributors,
 * albums shared and un-shared, members invited, joining and removed, and Pine and Cedar
 * restarted now and then (SIGTERM or kill -9, in turn). Oak is never restarted, so its memory
 * and descriptors over the whole run show whether anything grows. Every 10 s the resident
 * memory (VmRSS) and open file descriptors of every node process are sampled.
 *
 * At the end, with the work stopped: the three nodes converge (same records, same blobs, each
 * hashing to its id, every acknowledged one there), every index passes integrity_check, no temp
 * or upload file is left, removed members are signed out everywhere, un-shared members cannot
 * read what they no longer may and shared ones can, and no node logged an unhandled error.
 *
 *   deno task soak                    30 minutes
 *   deno task soak --minutes 5        shorter
 *
 * Not part of CI (tests/reliability/soak_test.ts runs a one-minute version of it there).
 */

import type { NodeProcess } from "../_support/node_process.ts";
import {
  blobFiles,
  type Cluster,
  FAST_ENV,
  recordsOf,
  startCluster,
} from "../integration/replication_cluster.ts";
import {
  BlobVerifier,
  countRows,
  entries,
  integrityCheck,
  readIndex,
  report,
  restartNode,
  Rng,
  runSeed,
  spread,
} from "./_support.ts";
import { SoakFamily } from "./_soak_family.ts";

const NAMES = ["Oak", "Pine", "Cedar"];
const ENV = {
  ...FAST_ENV,
  P2POS_REP_SYNC_INTERVAL_SECS: "2",
  P2POS_REP_INVENTORY_INTERVAL_SECS: "10",
  P2POS_REP_PROOF_INTERVAL_SECS: "10",
  P2POS_STALL_TIMEOUT_SECS: "10",
  P2POS_LOG_LEVEL: "warn",
};

export interface SoakOptions {
  minutes: number;
  seed: number;
  /** A restart of Pine or Cedar this often. @default 120 */
  restartEverySecs?: number;
  /** Resource samples this often. @default 10 */
  sampleEverySecs?: number;
  log?: (line: string) => void;
}

export interface Sample {
  /** Seconds since the start. */
  t: number;
  node: string;
  pid: number;
  rssMiB: number;
  fds: number;
}

export interface SoakReport {
  seed: number;
  minutes: number;
  actions: Record<string, number>;
  restarts: { node: string; signal: string; atSecs: number }[];
  ackedBlobs: number;
  ackedRecords: number;
  members: { joined: number; removed: number };
  convergedMs?: number;
  /** Acknowledged records voided since by a revocation they had not seen (by design). */
  voidedAcked?: number;
  /** Per node process (a restart starts a new one): its first, last and extreme samples. */
  processes: {
    node: string;
    pid: number;
    fromSecs: number;
    toSecs: number;
    rssMiB: { first: number; last: number; min: number; max: number };
    fds: { first: number; last: number; min: number; max: number };
  }[];
  /** Oak, never restarted, every `sampleEverySecs`. */
  oakSamples: Sample[];
  findings: string[];
}

/** kind/id of records some node keeps only as void links (voided by a revocation). */
function voidedOf(dataDirs: string[]): Set<string> {
  return new Set(dataDirs.flatMap((dir) =>
    readIndex(dir, (db) =>
      (db.prepare(
        `SELECT kind, id FROM links l WHERE valid = 0 AND NOT EXISTS (
           SELECT 1 FROM links v WHERE v.kind = l.kind AND v.id = l.id AND v.valid = 1)`,
      ).all() as { kind: string; id: string }[]).map((r) => `${r.kind}/${r.id}`))
  ));
}

/** Records a node holds back until what they name arrives, with why. */
function parkedOf(dataDir: string): { kind: string; id: string; reason: string }[] {
  return readIndex(
    dataDir,
    (db) =>
      db.prepare("SELECT kind, id, reason FROM parked_records ORDER BY parked_at").all() as {
        kind: string;
        id: string;
        reason: string;
      }[],
  );
}

function procSample(node: NodeProcess, name: string, t: number): Sample | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${node.pid}/status`);
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    let fds = 0;
    for (const _ of Deno.readDirSync(`/proc/${node.pid}/fd`)) fds++;
    return { t, node: name, pid: node.pid, rssMiB: Math.round(rssKb / 102.4) / 10, fds };
  } catch {
    return undefined; // restarting: no process right now
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? console.log;
  const rng = new Rng(options.seed);
  const findings: string[] = [];
  const restarts: SoakReport["restarts"] = [];
  const samples: Sample[] = [];
  const started = performance.now();
  const secs = () => Math.round((performance.now() - started) / 100) / 10;
  const endAt = started + options.minutes * 60_000;

  const cluster: Cluster = await startCluster(NAMES, ENV);
  const nodes = cluster.nodes;
  const up = new Set([0, 1, 2]);
  const finding = (what: string) => {
    findings.push(`${secs()} s: ${what}`);
    log(`  FINDING ${what}`);
  };
  const family = new SoakFamily(cluster.admin, nodes, up, rng, finding);
  const { ackedBlobs, ackedRecords, actions } = family;

  const sampler = setInterval(() => {
    const t = secs();
    nodes.forEach((n, i) => {
      if (!up.has(i)) return;
      const s = procSample(n, NAMES[i], t);
      if (s) samples.push(s);
    });
  }, (options.sampleEverySecs ?? 10) * 1000);

  let restartTurn = 1;
  let restarting: Promise<void> | undefined;
  let nextRestart = started + (options.restartEverySecs ?? 120) * 1000;
  let convergedMs: number | undefined;
  let voidedAcked: number | undefined;
  try {
    samples.push(...nodes.map((n, i) => procSample(n, NAMES[i], 0)!).filter(Boolean));
    await family.album();
    let lastLog = performance.now();
    while (performance.now() < endAt) {
      if (performance.now() >= nextRestart && !restarting) {
        // Pine and Cedar in turn, stopped or killed; the work goes on against the others.
        const i = restartTurn;
        restartTurn = restartTurn === 1 ? 2 : 1;
        const signal = rng.chance(0.5) ? "SIGKILL" : "SIGTERM";
        up.delete(i);
        restarting = (async () => {
          await nodes[i].stop(signal);
          restarts.push({ node: NAMES[i], signal, atSecs: secs() });
          nodes[i] = await restartNode(nodes[i], ENV);
          up.add(i);
          nextRestart = performance.now() + (options.restartEverySecs ?? 120) * 1000;
          restarting = undefined;
        })();
      }
      await family.act();
      // A family's pace, not a benchmark's: the machine is shared.
      await new Promise((r) => setTimeout(r, rng.int(20, 250)));
      if (performance.now() - lastLog > 60_000) {
        lastLog = performance.now();
        const oak = samples.filter((s) => s.node === "Oak").at(-1);
        log(
          `${Math.round(secs())} s: ${
            JSON.stringify(actions)
          }; Oak ${oak?.rssMiB} MiB, ${oak?.fds} fds`,
        );
      }
    }
    await restarting;
    clearInterval(sampler);

    // The end: everything converges and every invariant holds.
    const convergeStart = performance.now();
    const verifier = new BlobVerifier();
    // The last check's view of the nodes, which the report below says what differs in.
    let files: Map<string, number>[] = [];
    let recs: Map<string, string>[] = [];
    let voided = new Set<string>();
    while (performance.now() - convergeStart < 300_000) {
      files = await Promise.all(nodes.map((n) => blobFiles(n.dataDir)));
      recs = nodes.map((n) => recordsOf(n.dataDir));
      const sameBlobs = files.every((f) =>
        f.size === files[0].size && [...f.keys()].every((id) =>
          files[0].has(id)
        )
      ) && [...ackedBlobs].every((id) => files[0].has(id));
      // An acknowledged record may be voided later by a revocation it had not seen (a photo
      // added while an un-share of its uploader was on its way): kept in the log, not in force.
      voided = voidedOf(nodes.map((n) => n.dataDir));
      const sameRecords = recs.every((r) =>
        r.size === recs[0].size && [...r].every(([k, s]) => recs[0].get(k) === s)
      ) && [...ackedRecords].every((k) => recs[0].has(k) || voided.has(k));
      if (sameBlobs && sameRecords) {
        convergedMs = Math.round(performance.now() - convergeStart);
        voidedAcked = [...ackedRecords].filter((k) => !recs[0].has(k)).length;
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    if (convergedMs === undefined) {
      // Say what differs, so the finding can be followed up: per node, what the others hold
      // that it lacks, and acknowledged items it lacks.
      const allBlobs = new Set(files.flatMap((f) => [...f.keys()]));
      const allRecs = new Map(recs.flatMap((r) => [...r]));
      const gaps = nodes.map((_, i) => {
        const lacks = [...allBlobs].filter((id) => !files[i].has(id));
        const ackedLacks = [...ackedBlobs].filter((id) => !files[i].has(id));
        const recLacks = [...allRecs.keys()].filter((k) => !recs[i].has(k));
        const ackedRecLacks = [...ackedRecords].filter((k) => !recs[i].has(k) && !voided.has(k));
        const recDiffers = [...recs[i]].filter(([k, v]) => allRecs.get(k) !== v);
        return `${NAMES[i]}: lacks ${lacks.length} blobs (${ackedLacks.length} acknowledged; ` +
          `e.g. ${lacks.slice(0, 2).join(", ") || "none"}), lacks ${recLacks.length} records ` +
          `(e.g. ${recLacks.slice(0, 2).join(", ") || "none"}), ${recDiffers.length} differ, ` +
          `${ackedRecLacks.length} acknowledged records neither in force nor voided`;
      });
      finding(`the three nodes did not converge within 300 s — ${gaps.join("; ")}`);
      for (const [i, n] of nodes.entries()) {
        for (const p of parkedOf(n.dataDir)) {
          finding(`${NAMES[i]} holds parked ${p.kind} ${p.id.slice(0, 24)}: ${p.reason}`);
        }
      }
      const keep = Deno.env.get("P2POS_SOAK_KEEP");
      if (keep) {
        for (const [i, n] of nodes.entries()) {
          await Deno.mkdir(keep, { recursive: true });
          await new Deno.Command("cp", { args: ["-a", n.dataDir, `${keep}/${NAMES[i]}`] }).output();
        }
        log(`  data dirs copied to ${keep}`);
      }
    }
    for (const [i, n] of nodes.entries()) {
      const files = await blobFiles(n.dataDir);
      const bad = await verifier.bad(n.dataDir, files.keys());
      if (bad.length) finding(`${NAMES[i]}: ${bad.length} blobs do not hash to their id`);
      const check = integrityCheck(n.dataDir);
      if (check !== "ok") finding(`${NAMES[i]} integrity_check: ${check.slice(0, 200)}`);
      const tmp = await entries(`${n.dataDir}/tmp`);
      const uploads = await entries(`${n.dataDir}/uploads`);
      if (tmp.length || uploads.length) {
        finding(`${NAMES[i]}: ${tmp.length} files left in tmp/, ${uploads.length} in uploads/`);
      }
      const unfinished = countRows(
        n.dataDir,
        "SELECT count(*) AS n FROM upload_sessions WHERE finished_at IS NULL",
      );
      if (unfinished) finding(`${NAMES[i]}: ${unfinished} unfinished upload sessions`);
      for (const line of n.output().split("\n")) {
        if (/Unhandled error|ERROR/.test(line)) {
          finding(`${NAMES[i]} logged: ${line.slice(0, 300)}`);
        }
      }
    }
    await family.checkAccess();
  } finally {
    clearInterval(sampler);
    await restarting?.catch(() => {});
    // Restarted nodes are not the cluster's own processes: stop them too, so none outlives the run.
    await Promise.allSettled(nodes.map((n) => n.stop()));
    await cluster[Symbol.asyncDispose]();
  }

  const processes = new Map<string, Sample[]>();
  for (const s of samples) {
    const key = `${s.node}:${s.pid}`;
    processes.set(key, [...(processes.get(key) ?? []), s]);
  }
  const summary = (xs: number[]) => ({
    first: xs[0],
    last: xs.at(-1)!,
    min: Math.min(...xs),
    max: Math.max(...xs),
  });
  return {
    seed: options.seed,
    minutes: options.minutes,
    actions,
    restarts,
    ackedBlobs: ackedBlobs.size,
    ackedRecords: ackedRecords.size,
    members: {
      joined: family.joined,
      removed: family.members.filter((m) => m.removed).length,
    },
    convergedMs,
    voidedAcked,
    processes: [...processes.values()].map((ss) => ({
      node: ss[0].node,
      pid: ss[0].pid,
      fromSecs: ss[0].t,
      toSecs: ss.at(-1)!.t,
      rssMiB: summary(ss.map((s) => s.rssMiB)),
      fds: summary(ss.map((s) => s.fds)),
    })),
    oakSamples: samples.filter((s) => s.node === "Oak"),
    findings,
  };
}

/** A table of Oak's samples, one line a minute, for docs/RELIABILITY.md. */
export function rssTable(report: SoakReport): string {
  const lines = [
    "| minute | Oak RSS (MiB) | Oak open fds |",
    "| -----: | ------------: | -----------: |",
  ];
  let next = 0;
  for (const s of report.oakSamples) {
    if (s.t >= next) {
      lines.push(`| ${Math.round(s.t / 60)} | ${s.rssMiB} | ${s.fds} |`);
      next += 60 * Math.max(1, Math.round(report.minutes / 15));
    }
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--minutes");
  const minutes = i >= 0 ? Number(Deno.args[i + 1]) : 30;
  if (!(minutes > 0)) {
    console.error("soak: --minutes needs a positive number");
    Deno.exit(64);
  }
  const seed = runSeed();
  console.log(`soak: ${minutes} minutes, seed ${seed} (P2POS_RELIABILITY_SEED to replay)`);
  const r = await runSoak({ minutes, seed });
  await report("soak", { ...r });
  console.log(`\n${rssTable(r)}\n`);
  console.log(spread(r.oakSamples.map((s) => s.rssMiB)));
  if (r.findings.length) {
    console.error(`soak: ${r.findings.length} findings`);
    Deno.exit(1);
  }
  console.log("soak: every invariant holds");
}
