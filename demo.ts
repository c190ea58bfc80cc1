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
 * them (signed records, join codes); the functions are exported for tests.
 */

import {
  deriveIdentity,
  loginMessage,
  newSeed,
  recordHash,
  seedToMnemonic,
  sign,
  type SignedRecord,
  signRecord,
  toBase64Url,
} from "./lib/crypto/mod.ts";
import { HybridClock } from "./lib/core/hlc.ts";
import { SIGNAL_PATH } from "./lib/net/signal_protocol.ts";
import { type FamilyKeys, foundingBodies } from "./lib/web/browser/family_keys.ts";

// --- a family admin driving nodes over HTTP --------------------------------------------

export interface Admin {
  seed: Uint8Array;
  name: string;
  key: string;
  x25519: string;
  signingSecretKey: Uint8Array;
  x25519SecretKey: Uint8Array;
  /** Session cookie per node URL. */
  cookies: Map<string, string>;
  /**
   * The family keys, as this member's browser holds them once unlocked: names are sealed
   * under them (FORMAT §14), so no node ever reads the family's or a member's name.
   */
  familyKeys?: FamilyKeys;
}

const clock = new HybridClock();

function cookieFrom(res: Response): string {
  const m = /^([^=;]+=[^;]*)/.exec(res.headers.get("set-cookie") ?? "");
  if (!m) throw new Error(`No session cookie (HTTP ${res.status})`);
  return m[1];
}

export async function call(
  url: string,
  method: string,
  body?: unknown,
  cookie?: string,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (cookie) headers.cookie = cookie;
  return await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function expectOk(res: Response, what: string): Promise<unknown> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what} failed: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** What a record follows in the family log: link hashes, and the greatest stamp among them. */
export interface Follows {
  prev: string[];
  hlc?: string;
}

/** Signs a record that follows `follows` (a node's heads, see {@link headsAt}). */
export function signAs(
  admin: Admin,
  kind: string,
  id: string,
  body: unknown,
  follows: Follows,
): SignedRecord {
  if (follows.hlc) clock.observe(follows.hlc);
  return signRecord(
    { v: 2, kind, id, author: admin.key, hlc: clock.next(), prev: [...follows.prev].sort(), body },
    admin.signingSecretKey,
  );
}

/** The heads of the node at `url` (GET /v1/heads), as `admin`. */
export async function headsAt(admin: Admin, url: string): Promise<Follows> {
  return await expectOk(
    await call(`${url}/v1/heads`, "GET", undefined, await cookieFor(admin, url)),
    "Heads",
  ) as Follows;
}

/** What the next record of a batch follows: the record before it. */
export function after(record: SignedRecord): Follows {
  return { prev: [recordHash(record)], hlc: record.hlc };
}

interface Challenge {
  challenge: string;
  nodeId: string;
  nodePublicKey: string;
  nodeUrl: string;
  serverHlc: string;
}

async function challenge(url: string): Promise<Challenge> {
  const ch = await expectOk(
    await call(`${url}/v1/auth/challenge`, "POST", {}),
    "Challenge",
  ) as Challenge;
  clock.observe(ch.serverHlc);
  return ch;
}

/** Creates the family on a fresh node with its setup code; the node gets its own node record. */
export async function createFamily(
  node: { url: string; setupCode: string },
  names: { family: string; founder: string; node: string },
  seed: Uint8Array = newSeed(),
  /** The address signed into the node's record: its URL by default, `null` for none. */
  recordUrl: string | null = node.url,
): Promise<Admin> {
  const id = deriveIdentity(seed);
  const admin: Admin = {
    seed,
    name: names.founder,
    key: toBase64Url(id.signingPublicKey),
    x25519: toBase64Url(id.x25519PublicKey),
    signingSecretKey: id.signingSecretKey,
    x25519SecretKey: id.x25519SecretKey,
    cookies: new Map(),
  };
  const ch = await challenge(node.url);
  const familyId = toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
  // As the setup page: a new family key; the names sealed under it; the key wrapped for Alice.
  const bodies = await foundingBodies(admin, { family: names.family, founder: names.founder });
  admin.familyKeys = bodies.keys;
  // The family log starts with the family record; each next record follows the one before.
  const family = signAs(admin, "family", familyId, bodies.family, { prev: [] });
  const member = signAs(admin, "member", admin.key, bodies.member, after(family));
  const familyKey = signAs(admin, "family_key", admin.x25519, bodies.familyKey, after(member));
  const self = signAs(admin, "node", ch.nodeId, {
    publicKey: ch.nodePublicKey,
    ...(recordUrl ? { url: recordUrl } : {}),
    name: names.node,
    removed: false,
  }, after(familyKey));
  const records = [family, member, familyKey, self];
  const res = await call(`${node.url}/v1/setup`, "POST", { code: node.setupCode, records });
  if (res.status !== 201) throw new Error(`Setup failed: ${res.status} ${await res.text()}`);
  admin.cookies.set(node.url, cookieFrom(res));
  return admin;
}

/** Signs `admin` in on the node at `url` (challenge → signature → cookie). */
export async function signIn(admin: Admin, url: string): Promise<string> {
  const ch = await challenge(url);
  const signature = sign(
    loginMessage({ origin: new URL(url).origin, nodeId: ch.nodeId, challenge: ch.challenge }),
    admin.signingSecretKey,
  );
  const res = await call(`${url}/v1/auth/verify`, "POST", {
    member: admin.key,
    challenge: ch.challenge,
    signature: toBase64Url(signature),
  });
  if (res.status !== 200) throw new Error(`Sign-in failed: ${res.status} ${await res.text()}`);
  const cookie = cookieFrom(res);
  admin.cookies.set(url, cookie);
  return cookie;
}

async function cookieFor(admin: Admin, url: string): Promise<string> {
  return admin.cookies.get(url) ?? await signIn(admin, url);
}

/**
 * Pairs a fresh node: reads its join code (with its setup code, as its
 * operator would), approves it on `at` as `admin` (PROTOCOL §4), and waits
 * until the new node has read the family's records far enough to find its own.
 */
export async function pairNode(
  admin: Admin,
  at: string,
  fresh: { url: string; setupCode: string },
  name: string,
): Promise<string> {
  const { joinCode, nodeId, publicKey, url } = await expectOk(
    await call(`${fresh.url}/v1/nodes/join-code`, "POST", { code: fresh.setupCode }),
    "Join code",
  ) as { joinCode: string; nodeId: string; publicKey: string; url?: string };
  await challenge(at);
  // A node behind NAT shows no URL in its join code: peers meet it through the relay.
  const record = signAs(admin, "node", nodeId, {
    publicKey,
    ...(url ? { url } : {}),
    name,
    removed: false,
  }, await headsAt(admin, at));
  await expectOk(
    await call(`${at}/v1/nodes/peers`, "POST", { joinCode, record }, await cookieFor(admin, at)),
    `Pairing ${name}`,
  );
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const status = await expectOk(
      await call(`${fresh.url}/v1/nodes/join-status`, "GET"),
      "Join status",
    ) as { ready?: boolean };
    if (status.ready) return nodeId;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not receive the family's records within a minute`);
}

/** Removes a node from the family: an admin-signed node record with `removed: true`. */
export async function removeNode(admin: Admin, at: string, nodeId: string): Promise<void> {
  const cookie = await cookieFor(admin, at);
  const nodes = await expectOk(await call(`${at}/v1/nodes`, "GET", undefined, cookie), "Nodes") as {
    peers: { nodeId: string; record: SignedRecord<Record<string, unknown>> }[];
  };
  const peer = nodes.peers.find((p) => p.nodeId === nodeId);
  if (!peer) throw new Error(`Node ${nodeId} is not a peer of ${at}`);
  await challenge(at);
  const record = signAs(
    admin,
    "node",
    nodeId,
    { ...peer.record.body, removed: true },
    await headsAt(admin, at),
  );
  await expectOk(await call(`${at}/v1/records`, "POST", { records: [record] }, cookie), "Removal");
}

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

export interface Running {
  name: string;
  url: string;
  nodeId: string;
  setupCode?: string;
  child: Deno.ChildProcess;
  output: () => string;
}

export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

export interface SpawnOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  env?: Record<string, string>;
  /** Once started, echo the node's output prefixed with this name. */
  echoAs?: string;
}

/** Starts `main.ts node` as a child process and waits until it listens. */
export async function spawnNode(o: SpawnOptions): Promise<Running> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      // Extra `deno run` flags, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile nodes.
      ...(Deno.env.get("P2POS_DEMO_DENO_FLAGS")?.split(" ").filter(Boolean) ?? []),
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      "--allow-sys=networkInterfaces",
      `${ROOT}main.ts`,
      "node",
      "--host",
      "127.0.0.1",
      "--port",
      String(o.port),
      "--data-dir",
      o.dataDir,
    ],
    env: { NO_COLOR: "1", ...o.env },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  let ready = false;
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      const s = decoder.decode(chunk, { stream: true });
      // Keep the start-up text (id, setup code) and then only a bounded tail.
      text = text.length > 1 << 20 ? text.slice(-(1 << 19)) + s : text + s;
      if (ready && o.echoAs) {
        for (const line of s.split("\n").filter(Boolean)) console.log(`  [${o.echoAs}] ${line}`);
      }
    }
  };
  pump(child.stdout);
  pump(child.stderr);
  const deadline = Date.now() + 120_000;
  let exited = false;
  child.status.then(() => (exited = true));
  let m: RegExpExecArray | null;
  while (!(m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text))) {
    if (exited) throw new Error(`The node exited before listening:\n${text}`);
    if (Date.now() > deadline) throw new Error(`The node did not start in time:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  ready = true;
  const setupCode = /Setup code: ([A-Z0-9-]{14})/.exec(text)?.[1];
  const nodeId = /Node id:\s+([A-Z2-7-]{63})/.exec(text)?.[1] ?? "";
  return { name: o.echoAs ?? "", url: m[1], nodeId, setupCode, child, output: () => text };
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
