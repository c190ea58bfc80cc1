import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { IndexDb, loadMigrations, RecordLog } from "../../lib/store/mod.ts";
import { KindRegistry } from "../../lib/core/record_kinds.ts";
import { deriveIdentity, newSeed, signRecord, toBase64Url } from "../../lib/crypto/mod.ts";
import { rigTest } from "../_support/rig.ts";
import { setupRemoteFamily } from "../_support/remote_family.ts";
import { NODE_RUN_FLAGS, spawnProcess } from "../../demo/processes.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** A temp dir removed when the test's scope ends, whatever failed. */
async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir();
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** Starts a node on `dataDir`, which must refuse it with exit code 2; returns what it said. */
async function refusedStart(dataDir: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "node", "--port", "0", "--data-dir", dataDir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 2, stderr);
  return stderr;
}

rigTest(
  "First start creates the data dir, a 0600 node key, and prints the node id and a setup code",
  async (rig) => {
    const parent = await Deno.makeTempDir();
    rig.removeLater(parent);
    const dataDir = `${parent}/fresh/data`;
    const node = await rig.node({ dataDir });
    assert.match(node.nodeId, /^([A-Z2-7]{7}-){7}[A-Z2-7]{7}$/);
    assert.match(node.setupCode ?? "", /^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/);
    const key = await Deno.stat(`${dataDir}/node.key`);
    assert.equal(key.mode! & 0o777, 0o600);
    const health = await fetch(`${node.url}/health`);
    assert.deepEqual(Object.keys(await health.json()).sort(), ["status", "version"]);
    // The key itself is never printed.
    const keyText = await Deno.readTextFile(`${dataDir}/node.key`);
    assert.ok(!node.output().includes(keyText.split("\n")[1]));
    await node.stop();
    // A restart keeps the same identity and, with no family yet, prints a new code.
    const again = await rig.node({ dataDir });
    assert.equal(again.nodeId, node.nodeId);
    assert.ok(again.setupCode && again.setupCode !== node.setupCode);
    assert.doesNotMatch(again.output(), /first start/);
  },
);

Deno.test("A node refuses to start on a database from a newer schema, saying why", async () => {
  await using data = await tempDir();
  const dataDir = data.path;
  const raw = new DatabaseSync(`${dataDir}/index.db`);
  raw.exec("PRAGMA user_version = 999");
  raw.close();
  const stderr = await refusedStart(dataDir);
  assert.match(stderr, /schema version 999/);
  assert.match(stderr, /upgrade p2pos/);
});

Deno.test("A node refuses to start on records from before the family log, saying what to do", async () => {
  await using data = await tempDir();
  const dataDir = data.path;
  // A database at schema 5 holding a record (the envelope of the time had no `prev`).
  const db = await IndexDb.open(`${dataDir}/index.db`, {
    migrations: (await loadMigrations()).slice(0, 5),
  });
  db.db.prepare(
    "INSERT INTO records (kind, id, seq, author, hlc, json, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  ).run("family", "f", 1, "a", "000000000000001.000000", "{}", 1);
  db.close();
  const stderr = await refusedStart(dataDir);
  assert.match(stderr, /older than the family log/);
  assert.match(stderr, /new --data-dir/);
});

Deno.test("A node refuses to start on a family log from before encrypted names, saying what to do", async () => {
  await using data = await tempDir();
  const dataDir = data.path;
  // The family's first record as it was before names were sealed: its name in the clear. It
  // is written by a log whose family kind takes any body, as the older p2pos did.
  const db = await IndexDb.open(`${dataDir}/index.db`, { migrations: await loadMigrations() });
  const old = new KindRegistry().register({
    kind: "family",
    parseBody: (b: unknown) => b,
    authorize() {},
  });
  const id = deriveIdentity(newSeed());
  const author = toBase64Url(id.signingPublicKey);
  new RecordLog(db, old).apply([signRecord({
    v: 2,
    kind: "family",
    id: "f",
    author,
    hlc: "000000000000001.000000",
    prev: [],
    body: { name: "River", founder: author },
  }, id.signingSecretKey)], { via: "setup" });
  db.close();
  const stderr = await refusedStart(dataDir);
  assert.match(stderr, /format this p2pos no longer reads \(its first family record: /);
  assert.match(stderr, /new --data-dir/);
});

Deno.test("--help lists the flags and exits 0; an unknown flag exits 64 with a hint", async () => {
  const help = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "--help"],
    stdout: "piped",
  }).output();
  assert.equal(help.code, 0);
  assert.match(new TextDecoder().decode(help.stdout), /--data-dir\s+P2POS_DATA_DIR/);
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "--colour", "x"],
    stderr: "piped",
  }).output();
  assert.equal(bad.code, 64);
  assert.match(new TextDecoder().decode(bad.stderr), /Unknown flag --colour \(see --help\)/);
});

rigTest(
  "A real connection cut mid-upload leaves nothing under the id and no temp file",
  async (rig) => {
    const node = await rig.node();
    const { cookie } = await setupRemoteFamily(node.url, node.setupCode!);
    const id = "ab".repeat(32);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: node.port });
    const head =
      `PUT /v1/blobs/${id} HTTP/1.1\r\nHost: 127.0.0.1:${node.port}\r\nCookie: ${cookie}\r\n` +
      `Content-Type: application/octet-stream\r\nContent-Length: ${4 * 1024 * 1024}\r\n\r\n`;
    await conn.write(new TextEncoder().encode(head));
    await conn.write(new Uint8Array(256 * 1024).fill(1));
    // Wait until the node has started streaming into tmp/, then cut the connection.
    const deadline = Date.now() + 10_000;
    while ((await Array.fromAsync(Deno.readDir(`${node.dataDir}/tmp`))).length === 0) {
      if (Date.now() > deadline) throw new Error("upload never reached tmp/");
      await new Promise((r) => setTimeout(r, 20));
    }
    conn.close();
    let left = 1;
    for (let i = 0; i < 100 && left > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = (await Array.fromAsync(Deno.readDir(`${node.dataDir}/tmp`))).length;
    }
    assert.equal(left, 0, "temp file removed after the cut");
    const after = await fetch(`${node.url}/v1/blobs/${id}`, { headers: { cookie } });
    assert.equal(after.status, 404);
    await after.body?.cancel();
    assert.equal((await fetch(`${node.url}/health`)).status, 200, "the node is still up");
  },
);

rigTest(
  "A second node on the same data dir refuses to start instead of racing the first",
  async (rig) => {
    const node = await rig.node();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "node", "--port", "0", "--data-dir", node.dataDir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 3);
    assert.match(new TextDecoder().decode(out.stderr), /already using/);
  },
);

rigTest(
  "A node run as a compiled binary runs it (island build off) serves the bundles it has and builds nothing",
  async (rig) => {
    const node = await rig.node({ env: { P2POS_ISLAND_BUILD: "off" } });
    assert.doesNotMatch(node.output(), /Building island bundles/);
    const page = await (await fetch(`${node.url}/`)).text();
    const script = /src="(\/_islands\/[^"]+\.js)(\?v=[^"]*)?"/.exec(page)?.[1];
    assert.ok(script, "the first-run page loads an island bundle");
    const res = await fetch(`${node.url}${script}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /javascript/);
    await res.body?.cancel();
  },
);

/** The flags of `deno task start` without --allow-ffi (a node run by hand without it). */
const WITHOUT_FFI = NODE_RUN_FLAGS.filter((f) => f !== "--allow-ffi");

/** A node that makes data channels: registered with a relay, or (`hosts`) hosting one. */
function nodeArgs(dataDir: string, engine: string, hosts = false): string[] {
  return [
    "run",
    ...WITHOUT_FFI,
    MAIN,
    "node",
    "--port",
    "0",
    "--data-dir",
    dataDir,
    ...(hosts ? ["--signal", "on"] : ["--signal-url", "ws://127.0.0.1:9/signal"]),
    "--webrtc-engine",
    engine,
  ];
}

Deno.test("A node on --webrtc-engine libwebrtc without --allow-ffi refuses to start, saying what to do", async () => {
  for (const hosts of [false, true]) {
    await using data = await tempDir();
    const out = await new Deno.Command(Deno.execPath(), {
      args: nodeArgs(data.path, "libwebrtc", hosts),
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000), // a node that starts instead is stopped, and fails
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    assert.match(stderr, /needs Deno's --allow-ffi permission/);
    assert.match(stderr, /--webrtc-engine werift/);
  }
});

Deno.test("Without --allow-ffi, --webrtc-engine auto (the default) runs werift and says why", async () => {
  await using data = await tempDir();
  const p = await spawnProcess(Deno.execPath(), nodeArgs(data.path, "auto"), /listening on/, {
    env: { NO_COLOR: "1" },
    timeoutMs: 60_000,
  });
  try {
    assert.match(p.output(), /Data channels on werift .*needs Deno's --allow-ffi/);
  } finally {
    p.child.kill("SIGTERM");
    await p.child.status;
  }
});
