/**
 * `deno task reliability`: the reliability suite at full counts (docs/RELIABILITY.md) — 200
 * kill -9 rounds, the disk-full test, 300 blobs through the degraded network, 100,000 fuzzed
 * requests and 10,000 inputs per parser, the authorization matrix, then the 30-minute soak —
 * and a summary of the figures, printed and written beside the raw ones.
 *
 *   deno task reliability                       everything (about an hour)
 *   deno task reliability --no-soak             without the soak
 *   deno task reliability --soak-minutes 5      a shorter soak
 *   deno task reliability --only crash_rounds,soak --dir .reliability/<run>
 *                                               run some parts again into an earlier run's
 *                                               figures (same seed), and summarize them all
 *
 * P2POS_RELIABILITY_SEED replays a run; each part's count has its own variable (see the test
 * files). Run it on a machine nobody else is loading: the figures include times.
 */

import { join } from "node:path";

const HERE = new URL(".", import.meta.url).pathname;
const args = Deno.args;
const soakMinutes = args.includes("--no-soak")
  ? 0
  : Number(args[args.indexOf("--soak-minutes") + 1] ?? 30) || 30;
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = option("--only")?.split(",");
const dir = option("--dir") ??
  join(Deno.cwd(), ".reliability", new Date().toISOString().replace(/[:.]/g, "-"));
await Deno.mkdir(dir, { recursive: true });
// An earlier run's seed, when parts of it are run again.
const earlier = await Deno.readTextFile(join(dir, "seed")).catch(() => undefined);
const seed = Deno.env.get("P2POS_RELIABILITY_SEED") ?? earlier ??
  String(crypto.getRandomValues(new Uint32Array(1))[0]);
await Deno.writeTextFile(join(dir, "seed"), seed);
const env = {
  ...Deno.env.toObject(),
  P2POS_RELIABILITY: "full",
  P2POS_RELIABILITY_SEED: seed,
  P2POS_RELIABILITY_REPORT_DIR: dir,
};
console.log(`reliability: full run, seed ${seed}, figures in ${dir}`);

const tests = [
  "crash_rounds",
  "disk_full",
  "degraded_network",
  "fuzz_routes",
  "fuzz_parsers",
  "fuzz_relay",
  "authz_matrix",
].filter((part) => !only || only.includes(part)).map((part) => join(HERE, `${part}_test.ts`));
// Load the node's whole module graph once, so the first node a part starts does not spend its
// start-up time limit compiling the code on a loaded machine (a first full run after a rebase
// failed that way, before any round).
await new Deno.Command(Deno.execPath(), {
  args: ["run", "--allow-all", join(HERE, "../../main.ts"), "--help"],
  stdout: "null",
  stderr: "inherit",
}).output();
const started = performance.now();
const suite = tests.length
  ? await new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", ...tests],
    env,
    stdout: "inherit",
    stderr: "inherit",
  }).output()
  : { success: true };
let soak: { success: boolean } | undefined;
if (soakMinutes > 0 && (!only || only.includes("soak"))) {
  soak = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", join(HERE, "soak.ts"), "--minutes", String(soakMinutes)],
    env,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
}
const minutes = Math.round((performance.now() - started) / 6000) / 10;

// deno-lint-ignore no-explicit-any
async function figures(part: string): Promise<any> {
  try {
    return JSON.parse(await Deno.readTextFile(join(dir, `${part}.json`)));
  } catch {
    return undefined;
  }
}

const lines: string[] = [`# Reliability run, seed ${seed} (this invocation: ${minutes} min)`, ""];
const crash = await figures("crash_rounds");
if (crash) {
  lines.push(
    "## kill -9 rounds",
    `- rounds: ${crash.rounds} (${JSON.stringify(crash.byScenario)})`,
    `- killed at a fault point: ${
      Object.values(crash.faultKills as Record<string, number>).reduce((a, b) => a + b, 0)
    } (${JSON.stringify(crash.faultKills)}); at a random moment: ${crash.timedKills}`,
    `- acknowledged: ${crash.ackedBlobs} blobs (${
      Math.round(crash.ackedBlobBytes / 1e6)
    } MB), ${crash.ackedRecords} records; ${crash.resumedUploads} uploads resumed; ${crash.rotted} blobs rotted for the scrub; ${crash.unheardSessions} upload sessions opened unheard as the node died`,
    `- lost after a restart: ${crash.lostBlobs} rounds with blobs missing, ${crash.lostRecords} with records missing`,
    `- converged after restart (ms): min ${crash.convergeMs.min}, median ${crash.convergeMs.median}, max ${crash.convergeMs.max} (n = ${crash.convergeMs.n})`,
    `- findings: ${crash.findings.length}`,
    "",
  );
}
const disk = await figures("disk_full");
if (disk) {
  lines.push(
    "## Disk full",
    `- ${disk.filesystem}; everything resumed ${disk.resumedWithinMs} ms after space was freed`,
    "",
  );
}
const net = await figures("degraded_network");
if (net) {
  const fates: Record<string, number> = {};
  let conns = 0;
  let ended = 0;
  for (const p of net.proxies) {
    conns += p.connections;
    ended += p.lifeEnded;
    for (const [k, v] of Object.entries(p.fates as Record<string, number>)) {
      fates[k] = (fates[k] ?? 0) + v;
    }
  }
  lines.push(
    "## Degraded network",
    `- ${net.blobs} blobs (${
      Math.round(net.blobBytes / 1e6)
    } MB) and ${net.records} records; converged ${net.convergedMs} ms after the last upload`,
    `- ${conns} connections: ${JSON.stringify(fates)}, ${ended} reset at the end of their life`,
    `- missing ${net.missing}, extra ${net.extra}, corrupt ${net.corrupt}, records differing ${net.recordsDiffering}; findings ${net.findings.length}`,
    "",
  );
}
const routes = await figures("fuzz_routes");
const parsers = await figures("fuzz_parsers");
if (routes || parsers) {
  lines.push("## Fuzzing");
  if (routes) {
    lines.push(
      `- routes: ${routes.cases} requests over ${routes.routes} routes, answers ${
        JSON.stringify(routes.statuses)
      }; distinct findings ${routes.findings.length}`,
    );
  }
  if (parsers) {
    lines.push(`- parsers: ${parsers.total} inputs over ${parsers.parsers} parsers`);
  }
  const relay = await figures("fuzz_relay");
  if (relay) {
    lines.push(
      `- relay and link: ${relay["link frame"]} inputs per frame/message parser, ${
        relay["link frame sequences"]?.cases
      } frame sequences into a DataLink (${
        relay["link frame sequences"]?.closedOnError
      } refused, the link closed), ${relay.relay?.connections} WebSocket connections to a relay, closed ${
        JSON.stringify(relay.relay?.closes)
      } (0: no status; never 1011)`,
    );
  }
  lines.push("");
}
const matrix = await figures("authz_matrix");
if (matrix) {
  lines.push(
    "## Authorization matrix",
    `- ${matrix.routes} routes + ${matrix.variants} variants × ${matrix.actors} actors × objects = ${matrix.cells} cells (${matrix.allowed} allowed, ${matrix.denied} denied)`,
    `- unexpected allows ${matrix.unexpectedAllows.length}, unexpected denies ${matrix.unexpectedDenies.length}, existence oracles ${matrix.oracles.length}, leaks ${matrix.leaks.length}`,
    "",
  );
}
const soakFigures = await figures("soak");
if (soakFigures) {
  lines.push(
    "## Soak",
    `- ${soakFigures.minutes} min, ${
      JSON.stringify(soakFigures.actions)
    }, ${soakFigures.restarts.length} restarts; converged ${soakFigures.convergedMs} ms after the work stopped; findings ${soakFigures.findings.length}`,
    "",
    "| node (process) | from–to (s) | RSS MiB first → last (min–max) | fds first → last (min–max) |",
    "| --- | --- | --- | --- |",
    ...soakFigures.processes.map((p: {
      node: string;
      pid: number;
      fromSecs: number;
      toSecs: number;
      rssMiB: Record<string, number>;
      fds: Record<string, number>;
    }) =>
      `| ${p.node} (${p.pid}) | ${p.fromSecs}–${p.toSecs} | ${p.rssMiB.first} → ${p.rssMiB.last} (${p.rssMiB.min}–${p.rssMiB.max}) | ${p.fds.first} → ${p.fds.last} (${p.fds.min}–${p.fds.max}) |`
    ),
    "",
  );
}
const summary = lines.join("\n");
await Deno.writeTextFile(join(dir, "summary.md"), summary + "\n");
console.log(`\n${summary}`);
const failed = !suite.success || (soak !== undefined && !soak.success);
console.log(
  failed ? "reliability: some parts failed (see above)" : "reliability: all parts passed",
);
Deno.exit(failed ? 1 : 0);
