/**
 * A real S3 server for tests: a single-node Ceph cluster (one monitor, one memstore OSD, no
 * manager) with a RADOS Gateway (beast frontend) on 127.0.0.1, in a temp dir, on free ports.
 * It takes 15–40 s to start and about 1 GiB of memory, so a test file starts one and shares
 * it between its tests, and always stops it. Debian packages: ceph-mon, ceph-osd, radosgw,
 * ceph-common (`.ci/run` installs them).
 *
 * `stopGateway()` / `startGateway()` take the S3 endpoint away and bring it back on the same
 * port, for tests of a store that goes down mid-transfer.
 */

import { join } from "node:path";
import { S3Client, S3Config } from "../../lib/store/s3/mod.ts";

export interface CephRgw {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The `P2POS_S3_*` environment of a node storing its blobs in `bucket`. */
  nodeEnv(bucket: string, prefix?: string): Record<string, string>;
  config(bucket: string, prefix?: string): S3Config;
  /** Creates a bucket (no public access: RGW's default ACL is private). */
  createBucket(bucket: string): Promise<void>;
  /** Every key in the bucket, with its size: what a test looks at to see what was left. */
  keys(bucket: string): Promise<string[]>;
  /** Multipart uploads not completed or aborted, as `key` strings. */
  pendingUploads(bucket: string): Promise<string[]>;
  /** Stores raw bytes under a key, behind the node's back (a corrupting operator). */
  putRaw(bucket: string, key: string, bytes: Uint8Array<ArrayBuffer>): Promise<void>;
  deleteRaw(bucket: string, key: string): Promise<void>;
  stopGateway(): Promise<void>;
  startGateway(): Promise<void>;
  /** Process ids of the running daemons (monitor, OSD, gateway), for benchmarks' CPU figures. */
  pids(): number[];
  /** Freezes the gateway (SIGSTOP): connections open, nothing answers. */
  pauseGateway(): void;
  resumeGateway(): void;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const ACCESS_KEY = "P2POSTESTACCESSKEY01";
const SECRET_KEY = "p2pos-test-secret-0000000000000000000000";
const DAEMONS = ["ceph-mon", "ceph-osd", "radosgw", "ceph-authtool", "monmaptool"];

export function cephInstalled(): boolean {
  return DAEMONS.every((d) => {
    try {
      Deno.statSync(`/usr/bin/${d}`);
      return true;
    } catch {
      return false;
    }
  });
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

/** A run of `n` consecutive free ports (the OSD's messenger binds inside a range). */
function freeRange(n: number): number {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const held: Deno.Listener[] = [];
    try {
      for (let p = base; p < base + n; p++) {
        held.push(Deno.listen({ hostname: "127.0.0.1", port: p }));
      }
      return base;
    } catch {
      // taken: try another base
    } finally {
      for (const l of held) l.close();
    }
  }
  throw new Error("Cannot find free ports for Ceph");
}

async function run(cmd: string, args: string[], what: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${what} failed (${cmd} ${args.join(" ")}):\n${text}`);
  return text;
}

async function poll(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Starts Ceph + RGW; the caller must `stop()` it (or `await using` it). */
export async function startCephRgw(): Promise<CephRgw> {
  if (!cephInstalled()) {
    throw new Error(
      "Ceph is not installed: apt-get install ceph-mon ceph-osd radosgw ceph-common " +
        "(.ci/run does this)",
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "p2pos-ceph-" });
  const monPort = freePort();
  const rgwPort = freePort();
  const osdBase = freeRange(100);
  const conf = join(dir, "ceph.conf");
  const children = new Map<string, Deno.ChildProcess>();
  const fsid = crypto.randomUUID();
  for (const d of ["mon/ceph-a", "osd/ceph-0", "log", "run", "rgw", "crash"]) {
    await Deno.mkdir(join(dir, d), { recursive: true });
  }
  await Deno.writeTextFile(
    conf,
    `[global]
fsid = ${fsid}
mon host = [v2:127.0.0.1:${monPort}]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
ms bind port min = ${osdBase}
ms bind port max = ${osdBase + 99}
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = ${dir}/keyring
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
log file = ${dir}/log/$name.log
pid file = ${dir}/run/$name.pid
crash dir = ${dir}/crash
mon cluster log file = default=${dir}/log/ceph.$channel.log cluster=${dir}/log/ceph.log
exporter sock dir = ${dir}/run
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon data avail warn = 2
mon data avail crit = 1
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
debug ms = 0
[mon]
mon data = ${dir}/mon/ceph-$id
[osd]
osd data = ${dir}/osd/ceph-$id
osd objectstore = memstore
memstore device bytes = 2147483648
osd memory target = 939524096
osd op num shards = 1
osd op num threads per shard = 2
[client.rgw.a]
rgw data = ${dir}/rgw
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw thread pool size = 64
rgw dns name = localhost
`,
  );
  const ceph = (args: string[], what: string) =>
    run("ceph", ["-c", conf, "-n", "client.admin", "--connect-timeout", "20", ...args], what);
  // The daemons write their own logs under log/ (read when a start fails).
  const spawn = (name: string, cmd: string, args: string[]) => {
    const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "null" })
      .spawn();
    children.set(name, child);
    return child;
  };
  const stopChild = async (name: string) => {
    const child = children.get(name);
    if (!child) return;
    children.delete(name);
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    const killer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 10_000);
    await child.status;
    clearTimeout(killer);
  };
  const stopAll = async () => {
    for (const name of ["rgw.a", "osd.0", "mon.a"]) await stopChild(name);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const endpoint = `http://127.0.0.1:${rgwPort}`;
  const startRgw = async () => {
    spawn("rgw.a", "radosgw", ["-c", conf, "-f", "-n", "client.rgw.a"]);
    await poll("the RADOS Gateway to answer", async () => {
      const res = await fetch(`${endpoint}/`);
      const text = await res.text();
      return text.includes("ListAllMyBucketsResult");
    }, 120_000);
  };

  try {
    const kr = join(dir, "keyring");
    await run("ceph-authtool", [
      "--create-keyring",
      kr,
      "--gen-key",
      "-n",
      "mon.",
      "--cap",
      "mon",
      "allow *",
    ], "keyring");
    await run("ceph-authtool", [
      kr,
      "--gen-key",
      "-n",
      "client.admin",
      "--cap",
      "mon",
      "allow *",
      "--cap",
      "osd",
      "allow *",
      "--cap",
      "mgr",
      "allow *",
    ], "admin key");
    await run("ceph-authtool", [
      kr,
      "--gen-key",
      "-n",
      "osd.0",
      "--cap",
      "mon",
      "allow profile osd",
      "--cap",
      "osd",
      "allow *",
      "--cap",
      "mgr",
      "allow profile osd",
    ], "osd key");
    await run("ceph-authtool", [
      kr,
      "--gen-key",
      "-n",
      "client.rgw.a",
      "--cap",
      "mon",
      "allow rw",
      "--cap",
      "osd",
      "allow rwx",
      "--cap",
      "mgr",
      "allow rw",
    ], "rgw key");
    await run("monmaptool", [
      "--create",
      "--clobber",
      "--fsid",
      fsid,
      "--addv",
      "a",
      `[v2:127.0.0.1:${monPort}]`,
      join(dir, "monmap"),
    ], "monmap");
    await run("ceph-mon", [
      "-c",
      conf,
      "--mkfs",
      "-i",
      "a",
      "--monmap",
      join(dir, "monmap"),
      "--keyring",
      kr,
    ], "mon mkfs");
    spawn("mon.a", "ceph-mon", ["-c", conf, "-f", "-i", "a"]);
    await poll("the Ceph monitor", async () => {
      await ceph(["mon", "stat"], "mon stat");
      return true;
    }, 60_000);
    const osdUuid = crypto.randomUUID();
    const osdId = (await ceph(["osd", "new", osdUuid], "osd new")).trim();
    if (osdId !== "0") throw new Error(`Unexpected OSD id ${osdId}`);
    await run("ceph-osd", ["-c", conf, "-i", "0", "--mkfs", "--osd-uuid", osdUuid], "osd mkfs");
    spawn("osd.0", "ceph-osd", ["-c", conf, "-f", "-i", "0"]);
    await poll(
      "the Ceph OSD",
      async () => /^osd\.0 up/m.test(await ceph(["osd", "dump"], "osd dump")),
      90_000,
    );
    await startRgw();
    await run("radosgw-admin", [
      "-c",
      conf,
      "-n",
      "client.admin",
      "user",
      "create",
      "--uid=p2pos-test",
      "--display-name=p2pos test",
      `--access-key=${ACCESS_KEY}`,
      `--secret-key=${SECRET_KEY}`,
    ], "rgw user");
  } catch (err) {
    const logs: string[] = [];
    for (const name of ["mon.a", "osd.0", "rgw.a"]) {
      const text = await Deno.readTextFile(
        join(dir, "log", `${name === "rgw.a" ? "client.rgw.a" : name}.log`),
      )
        .catch(() => "");
      if (text) logs.push(`--- ${name}:\n${text.split("\n").slice(-15).join("\n")}`);
    }
    await stopAll();
    throw new Error(`Cannot start Ceph: ${(err as Error).message}\n${logs.join("\n")}`, {
      cause: err,
    });
  }

  const config = (bucket: string, prefix = "p2pos/") =>
    new S3Config({
      endpoint,
      bucket,
      accessKeyId: ACCESS_KEY,
      secretAccessKey: SECRET_KEY,
      prefix,
    });
  const client = (bucket: string) => new S3Client(config(bucket), { tries: 1 });
  const listAll = async (bucket: string, query: Record<string, string>, tag: RegExp) => {
    const res = await client(bucket).send({ method: "GET", key: "", query, what: "list" });
    return [...(await res.text()).matchAll(tag)].map((m) => m[1]).sort();
  };

  return {
    endpoint,
    accessKeyId: ACCESS_KEY,
    secretAccessKey: SECRET_KEY,
    nodeEnv: (bucket, prefix = "p2pos/") => ({
      P2POS_BLOB_STORE: "s3",
      P2POS_S3_ENDPOINT: endpoint,
      P2POS_S3_BUCKET: bucket,
      P2POS_S3_PREFIX: prefix,
      P2POS_S3_ACCESS_KEY_ID: ACCESS_KEY,
      P2POS_S3_SECRET_ACCESS_KEY: SECRET_KEY,
    }),
    config,
    async createBucket(bucket) {
      const res = await client(bucket).send({ method: "PUT", key: "", what: "create bucket" });
      await res.body?.cancel();
    },
    keys: (bucket) => listAll(bucket, { "list-type": "2", "max-keys": "1000" }, /<Key>([^<]+)</g),
    pendingUploads: (bucket) => listAll(bucket, { uploads: "" }, /<Key>([^<]+)</g),
    async putRaw(bucket, key, bytes) {
      const res = await client(bucket).send({ method: "PUT", key, body: [bytes], what: "put" });
      await res.body?.cancel();
    },
    async deleteRaw(bucket, key) {
      const res = await client(bucket).send({ method: "DELETE", key, what: "delete" });
      await res.body?.cancel();
    },
    stopGateway: () => stopChild("rgw.a"),
    pids: () => [...children.values()].map((c) => c.pid),
    pauseGateway: () => children.get("rgw.a")?.kill("SIGSTOP"),
    resumeGateway: () => children.get("rgw.a")?.kill("SIGCONT"),
    startGateway: startRgw,
    stop: stopAll,
    [Symbol.asyncDispose]: stopAll,
  };
}
