/**
 * `deno task demo`: the River family of seed §15 on this machine. Three nodes
 * on 127.0.0.1 — Oak and Pine (two houses) and Cedar (a small VPS) — each with
 * its own data dir under `./.demo/`, already paired; Alice is the founder.
 * Cedar hosts the signaling relay (`--signal on`); Pine has no address the
 * others can reach (a house behind NAT), so it replicates over WebRTC data
 * channels through that relay, while Oak and Cedar also have HTTP.
 * Prints the URLs, Alice's 24 words and what to try next. Ctrl-C stops all.
 *
 *   deno task demo                      start (and on first run, set up) the family
 *   deno task demo --fresh              forget ./.demo and start over
 *   deno task demo --exit-after-setup   stop once everything is paired (tests)
 *
 * The setup and pairing are done over HTTP exactly as Alice's browser does
 * them (signed records, join codes): demo/admin_client.ts, which demo.ts
 * re-exports for tests and benchmarks, as it does the node spawner
 * (demo/processes.ts).
 */

import { newSeed, seedToMnemonic } from "./lib/crypto/mod.ts";
import { SIGNAL_PATH } from "./lib/net/signal_protocol.ts";
import { type Admin, createFamily, pairNode } from "./demo/admin_client.ts";
import { freePort, type Running, spawnNode } from "./demo/processes.ts";

export * from "./demo/admin_client.ts";
export { freePort, type Running, spawnNode, type SpawnOptions } from "./demo/processes.ts";

// --- the demo itself ---------------------------------------------------------------------

const ROOT = new URL("./", import.meta.url).pathname;
const NODES = [
  { name: "Oak", role: "house one" },
  { name: "Pine", role: "house two, behind NAT: no address, reached over WebRTC" },
  { name: "Cedar", role: "small VPS, off-site ciphertext, hosts the signaling relay" },
];

interface DemoState {
  ports: Record<string, number>;
  words: string;
  paired: boolean;
}

/**
 * Cedar hosts the relay unless `relay` is false ("stop relay"); the others register with it.
 * Every node offers 127.0.0.1 as an ICE candidate: they share one machine.
 */
function startDemoNode(
  dir: string,
  name: string,
  ports: Record<string, number>,
  relay = true,
): Promise<Running> {
  const relayUrl = `ws://127.0.0.1:${ports.Cedar}${SIGNAL_PATH}`;
  const env: Record<string, string> = {
    P2POS_LOG_LEVEL: Deno.env.get("P2POS_LOG_LEVEL") ?? "warn",
    P2POS_REP_SYNC_INTERVAL_SECS: "5",
    P2POS_REP_INVENTORY_INTERVAL_SECS: "30",
    P2POS_REP_PROOF_INTERVAL_SECS: "60",
    P2POS_ICE_LOOPBACK: "on",
  };
  // Oak and Cedar have addresses the others reach; Pine, "behind NAT", has none.
  if (name !== "Pine") env.P2POS_PUBLIC_URL = `http://127.0.0.1:${ports[name]}`;
  if (name === "Cedar") {
    if (relay) env.P2POS_SIGNAL = "on";
  } else env.P2POS_SIGNAL_URL = relayUrl;
  return spawnNode({
    dataDir: `${dir}/${name.toLowerCase()}`,
    port: ports[name],
    echoAs: name,
    env,
  });
}

/**
 * Pairs through the relay, which the nodes may still be registering with: the approval is
 * idempotent, so it is repeated until the hand-over went through.
 */
async function pairWithRetry(
  admin: Admin,
  at: string,
  fresh: { url: string; setupCode: string },
  name: string,
): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      await pairNode(admin, at, fresh, name);
      return;
    } catch (err) {
      if (attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

async function main(): Promise<void> {
  const args = new Set(Deno.args);
  // P2POS_DEMO_DIR lets tests run the demo without touching ./.demo.
  const dir = Deno.env.get("P2POS_DEMO_DIR") ?? `${ROOT}.demo`;
  if (args.has("--fresh")) await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const statePath = `${dir}/state.json`;
  let state: DemoState | undefined;
  try {
    state = JSON.parse(await Deno.readTextFile(statePath));
  } catch { /* first run */ }
  if (state && !state.paired) {
    console.log("The last demo set-up did not finish; starting over (removing .demo/).");
    await Deno.remove(dir, { recursive: true });
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    state = undefined;
  }
  const ports = state?.ports ?? {};
  for (const n of NODES) ports[n.name] ??= freePort();

  console.log("Starting the River family: Oak, Pine and Cedar on 127.0.0.1 …");
  const running: Running[] = [];
  const stopAll = async () => {
    for (const r of running) {
      try {
        r.child.kill("SIGTERM");
      } catch { /* gone */ }
    }
    await Promise.allSettled(running.map((r) => r.child.status));
  };
  let stopping = false;
  const onSignal = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\nStopping Oak, Pine and Cedar …");
    await stopAll();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);

  try {
    // Cedar first: the others register with its relay as they start, instead of backing off.
    const cedar = await startDemoNode(dir, "Cedar", ports);
    const houses = await Promise.all(
      NODES.slice(0, 2).map((n) => startDemoNode(dir, n.name, ports)),
    );
    running.push(...houses, cedar);
  } catch (err) {
    console.error(`Could not start the demo: ${(err as Error).message}`);
    console.error("If a port is taken now, run: deno task demo --fresh");
    await stopAll();
    Deno.exit(1);
  }
  const [oak, pine, cedar] = running;

  let words = state?.words;
  if (!state) {
    if (!oak.setupCode || !pine.setupCode || !cedar.setupCode) {
      console.error(
        "The nodes in .demo/ were set up by something else; run: deno task demo --fresh",
      );
      await stopAll();
      Deno.exit(1);
    }
    const seed = newSeed();
    words = seedToMnemonic(seed);
    // Saved first: if pairing fails, the words are still there to sign in with.
    await Deno.writeTextFile(
      statePath,
      JSON.stringify({ ports, words, paired: false } satisfies DemoState, null, 2),
      { mode: 0o600 },
    );
    const alice = await createFamily(
      { url: oak.url, setupCode: oak.setupCode },
      { family: "River", founder: "Alice", node: "Oak" },
      seed,
    );
    await pairNode(alice, oak.url, { url: cedar.url, setupCode: cedar.setupCode }, "Cedar");
    // Pine's join code has no address: Oak hands it the family through Cedar's relay.
    await pairWithRetry(alice, oak.url, { url: pine.url, setupCode: pine.setupCode }, "Pine");
    await Deno.writeTextFile(
      statePath,
      JSON.stringify({ ports, words, paired: true } satisfies DemoState, null, 2),
      { mode: 0o600 },
    );
  }

  const lines = [
    "",
    "The River family is running:",
    ...running.map((r, i) => `  ${r.name.padEnd(6)} ${r.url}/   (${NODES[i].role})`),
    "",
    "Alice is the family's founder and admin. Her 24 words (demo only — a real key is never",
    "printed; they are also in .demo/state.json):",
    "",
    `  ${words}`,
    "",
    "Try this:",
    `  1. Open ${oak.url}/ and sign in by typing Alice's 24 words.`,
    "  2. Create the album “Summer 2026” and upload a few photos on Oak.",
    `  3. Open Nodes (${oak.url}/nodes): Pine and Cedar get the copies within seconds,`,
    "     and each photo shows Oak ✓ Pine ✓ Cedar ✓.",
    `  4. Type "stop oak" here, then sign in on ${pine.url}/ with the same words: the album`,
    "     is there and the photos decrypt in your browser.",
    '  5. Upload on Pine while Oak is stopped, then type "start oak": Oak catches up by itself.',
    `  6. On ${oak.url}/nodes Pine's path is "WebRTC, direct": it has no address, only the relay.`,
    '     Type "stop relay": Cedar restarts without it, Oak and Cedar carry on over HTTP and',
    '     Pine waits ("waiting for it to connect"); "start relay" and Pine catches up.',
    "",
    'Commands: "stop <node>", "start <node>", "stop relay", "start relay", "quit".',
    "Ctrl-C stops all three nodes.",
    "`deno task demo --fresh` starts a new family.",
  ];
  console.log(lines.join("\n"));

  if (args.has("--exit-after-setup")) {
    await stopAll();
    Deno.exit(0);
  }
  await commands(dir, running, ports);
  await stopAll();
  Deno.exit(0);
}

/**
 * Reads "stop pine" / "start pine" / "quit" line by line from standard input, a terminal or a
 * pipe alike (scripts and tests drive the demo through a pipe). The end of the input is not
 * "quit": the nodes run on until "quit", Ctrl-C or SIGTERM, as they do with no input at all.
 */
async function commands(dir: string, running: Running[], ports: Record<string, number>) {
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buffer = "";
  for await (const chunk of lines) {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (await command(line, dir, running, ports) === "quit") return;
    }
  }
  if (buffer.trim() !== "" && await command(buffer, dir, running, ports) === "quit") return;
  await Promise.all(running.map((r) => r.child.status));
}

/** Carries out one command line; "quit" when the demo should stop. */
async function command(
  line: string,
  dir: string,
  running: Running[],
  ports: Record<string, number>,
): Promise<"quit" | undefined> {
  const [cmd, arg] = line.trim().toLowerCase().split(/\s+/);
  if (cmd === "quit" || cmd === "exit") return "quit";
  if ((cmd === "stop" || cmd === "start") && arg === "relay") {
    // The relay lives in Cedar (--signal): Cedar restarts with it, or without it.
    const c = running.findIndex((r) => r.name === "Cedar");
    running[c].child.kill("SIGTERM");
    await running[c].child.status;
    try {
      running[c] = await startDemoNode(dir, "Cedar", ports, cmd === "start");
      console.log(
        cmd === "stop"
          ? "  The relay is stopped (Cedar runs without it): Oak and Cedar use HTTP, Pine waits."
          : "  The relay is back in Cedar: Pine reconnects over WebRTC and catches up.",
      );
    } catch (err) {
      console.log(`  Cannot restart Cedar: ${(err as Error).message.split("\n")[0]}`);
    }
    return;
  }
  const i = running.findIndex((r) => r.name.toLowerCase() === arg);
  if ((cmd !== "stop" && cmd !== "start") || i < 0) {
    if (cmd) {
      console.log('  Commands: "stop oak|pine|cedar|relay", "start oak|pine|cedar|relay", "quit"');
    }
    return;
  }
  const node = running[i];
  const exited = await Promise.race([
    node.child.status.then(() => true, () => true),
    new Promise<false>((r) => setTimeout(() => r(false), 0)),
  ]);
  if (cmd === "stop") {
    if (exited) return void console.log(`  ${node.name} is already stopped.`);
    node.child.kill("SIGTERM");
    await node.child.status;
    console.log(`  ${node.name} stopped. Its data stays in .demo/${arg}/.`);
  } else {
    if (!exited) return void console.log(`  ${node.name} is already running at ${node.url}/.`);
    try {
      running[i] = await startDemoNode(dir, node.name, ports);
      console.log(`  ${node.name} is back at ${running[i].url}/ and catching up.`);
    } catch (err) {
      console.log(`  Cannot start ${node.name}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
}

if (import.meta.main) await main();
