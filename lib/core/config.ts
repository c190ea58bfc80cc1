/**
 * Node configuration: command-line flags with `P2POS_*` environment
 * equivalents, resolved once into a {@link ResolvedNodeConfig}. Pure: `main.ts`
 * passes in `Deno.args` and `Deno.env.toObject()`.
 */

import type { LogLevel } from "./log.ts";
import { FLAGS, type FlagSpec } from "./config_flags.ts";

export interface NodeConfig {
  /** @default "127.0.0.1" */
  host?: string;
  /** @default 8420 (0 picks a free port) */
  port?: number;
  /** @default "./data" */
  dataDir?: string;
  /** The URL people and peers use to reach this node. @default http://<host>:<port> */
  publicUrl?: string;
  /** @default "info" */
  logLevel?: LogLevel;
  /** Modules traced at debug level. @default [] */
  trace?: string[];
  /** Largest blob accepted, in bytes. @default 4 GiB */
  maxBlobBytes?: number;
  /** Largest JSON body accepted, in bytes. @default 1 MiB */
  maxJsonBytes?: number;
  /** Largest JSON body one node sends another, in bytes. @default 16 MiB */
  maxPeerJsonBytes?: number;
  /** Failed replication jobs are retried after this many seconds. @default 120 */
  repFailedRetryAfterSecs?: number;
  /** Seconds between record syncs with each peer. @default 30 */
  repSyncIntervalSecs?: number;
  /** Seconds between inventory exchanges with each peer. @default 300 */
  repInventoryIntervalSecs?: number;
  /** Blob transfers running at once. @default 4 */
  repMaxTransfers?: number;
  /** Seconds between proof-of-possession rounds. @default 60 */
  repProofIntervalSecs?: number;
  /** Every peer copy is proven at least this often, seconds: rounds are sized for it. @default 86400 */
  repReverifyAfterSecs?: number;
  /** Bytes of local blobs proof rounds may read per minute. @default 256 MiB */
  repProofBytesPerMin?: number;
  /** Seconds between scrubs of the local blobs. @default 86400 */
  repScrubIntervalSecs?: number;
  /**
   * A transfer that moves no byte for this many seconds is given up: an upload body, a
   * blob pushed to or pulled from a peer, a JSON body. @default 60
   */
  stallTimeoutSecs?: number;
  /** Write blob bytes with O_DIRECT where the filesystem takes it. @default true */
  directIo?: boolean;
  /** TLS certificate and key (PEM files); when both are set the node serves HTTPS. */
  tlsCert?: string;
  tlsKey?: string;
  /** Where blobs live: files in the data dir, or an S3-compatible bucket. @default "fs" */
  blobStore?: "fs" | "s3";
  /** S3 API URL (`https://s3.eu-central-1.amazonaws.com`, `http://127.0.0.1:7480`). */
  s3Endpoint?: string;
  s3Bucket?: string;
  /** @default "us-east-1" */
  s3Region?: string;
  /** Path-style URLs (Ceph, MinIO) rather than virtual-hosted ones. @default true */
  s3PathStyle?: boolean;
  /** Every key the node writes starts with this. @default "p2pos/" */
  s3Prefix?: string;
  s3AccessKeyId?: string;
  /** Never printed: not by --help, not in errors, not on pages. */
  s3SecretAccessKey?: string;
  /** Host the signaling relay at `/signal` inside this node (small families). @default false */
  signal?: boolean;
  /** Relay WebSocket URLs (`wss://…/signal`) this node registers with. @default [] */
  signalUrl?: string[];
  /** `stun:` / `turn:` URLs for WebRTC; TURN credentials come from the relay. @default [] */
  iceServers?: string[];
  /** `relay`: only TURN-relayed paths (hides this node's addresses from peers). @default "all" */
  iceTransportPolicy?: "all" | "relay";
  /** Offer 127.0.0.1 as an ICE candidate (one machine: tests, the demo). @default false */
  iceLoopback?: boolean;
  /** Peer connections per peer, transfers spread over them (1–4). @default 2 */
  webrtcLanes?: number;
  /** Run werift in Worker threads, off the node's event loop. @default false */
  webrtcWorkers?: boolean;
  /**
   * What moves data channels: libwebrtc (native, through the @roamhq/wrtc addon, ≈ 5× werift's
   * rate at a quarter of its CPU; docs/BENCHMARKS.md), werift (JavaScript, on this thread or in
   * Workers), or auto: libwebrtc when Deno may load native code (--allow-ffi) and the addon
   * loads on this machine, else werift. Engines interoperate. @default "auto"
   */
  webrtcEngine?: "auto" | "werift" | "libwebrtc";
  /** The relay: NATS URLs of the bus several relay instances share. @default [] */
  signalBus?: string[];
  /** The relay: coturn's `static-auth-secret`, to hand nodes TURN REST credentials. */
  turnSecret?: string;
  /** The relay: TURN URLs handed out with the credentials. @default [] */
  turnUrls?: string[];
  /** The relay: lifetime of TURN credentials, seconds. @default 3600 */
  turnTtlSecs?: number;
  /** The relay: largest frame accepted, KiB. @default 64 */
  signalMaxFrameKib?: number;
  /** The relay: messages per second per registered node. @default 20 */
  signalRate?: number;
  /** The relay: open connections per client IP. @default 64 */
  signalIpConns?: number;
  /** The relay: messages per second per client IP, all its connections. @default 200 */
  signalIpRate?: number;
  /** The relay: new connections per second per client IP (burst 60×). @default 2 */
  signalIpConnectRate?: number;
  /** The relay: open connections in all. @default 10000 */
  signalMaxConns?: number;
}

/** Settings that have no default. */
type Unset =
  | "tlsCert"
  | "tlsKey"
  | "publicUrl"
  | "s3Endpoint"
  | "s3Bucket"
  | "s3AccessKeyId"
  | "s3SecretAccessKey"
  | "turnSecret";

export type ResolvedNodeConfig = Required<Omit<NodeConfig, Unset>> & Pick<NodeConfig, Unset>;

export interface ParsedCommand {
  command: "node" | "help" | "version" | "blobs" | string;
  config: ResolvedNodeConfig;
  /** `blobs migrate --to fs|s3`: the backend to move the blobs to. */
  migrateTo?: "fs" | "s3";
  /** Arguments after the command that are not flags. */
  rest: string[];
}

/** Where `p2pos signal` listens unless --port says otherwise. */
export const SIGNAL_DEFAULT_PORT = 8430;

export const DEFAULTS: ResolvedNodeConfig = {
  host: "127.0.0.1",
  port: 8420,
  dataDir: "./data",
  logLevel: "info",
  trace: [],
  maxBlobBytes: 4 * 1024 ** 3,
  maxJsonBytes: 1024 ** 2,
  maxPeerJsonBytes: 16 * 1024 ** 2,
  repFailedRetryAfterSecs: 120,
  repSyncIntervalSecs: 30,
  repInventoryIntervalSecs: 300,
  repMaxTransfers: 4,
  repProofIntervalSecs: 60,
  repReverifyAfterSecs: 86_400,
  repProofBytesPerMin: 256 * 1024 ** 2,
  repScrubIntervalSecs: 86_400,
  stallTimeoutSecs: 60,
  directIo: true,
  blobStore: "fs",
  s3Region: "us-east-1",
  s3PathStyle: true,
  s3Prefix: "p2pos/",
  signal: false,
  signalUrl: [],
  iceServers: [],
  iceTransportPolicy: "all",
  iceLoopback: false,
  // One connection on the node's thread: lanes in Workers were not reliably faster and cost more
  // CPU and memory per GiB (docs/BENCHMARKS.md, issue #12).
  webrtcLanes: 1,
  webrtcWorkers: false,
  webrtcEngine: "auto",
  turnUrls: [],
  signalBus: [],
  turnTtlSecs: 3600,
  signalMaxFrameKib: 64,
  signalRate: 20,
  signalIpConns: 64,
  signalIpRate: 200,
  signalIpConnectRate: 2,
  signalMaxConns: 10_000,
};

const LEVELS = ["debug", "info", "warn", "error"];

/** Bytes in one unit of a size flag: `--max-json-kib 64` is 64 KiB, `--max-blob-mib 2` 2 MiB. */
const UNIT_BYTES = { kib: 1024, mib: 1024 ** 2 } as const;

function convert(flag: string, spec: FlagSpec, raw: string, source: string): unknown {
  const where = `${source} ${source === "flag" ? "--" + flag : spec.env}`;
  switch (spec.kind) {
    case "string":
      if (raw === "") throw new SyntaxError(`${where} needs a value`);
      return raw;
    case "port": {
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n > 65535) {
        throw new RangeError(`${where} must be a port number 0–65535, got "${raw}"`);
      }
      return n;
    }
    case "kib":
    case "mib": {
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < 1) {
        throw new RangeError(`${where} must be a positive whole number, got "${raw}"`);
      }
      return n * UNIT_BYTES[spec.kind];
    }
    case "level":
      if (!LEVELS.includes(raw)) {
        throw new RangeError(`${where} must be one of ${LEVELS.join(", ")}, got "${raw}"`);
      }
      return raw;
    case "list":
      return raw.split(",").map((s) => s.trim()).filter(Boolean);
    case "secs": {
      // Fractions are allowed so tests can run replication on a short clock.
      const n = Number(raw);
      if (!/^\d+(\.\d+)?$/.test(raw) || n <= 0) {
        throw new RangeError(`${where} must be a positive number of seconds, got "${raw}"`);
      }
      return n;
    }
    case "count": {
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < 1 || n > 64) {
        throw new RangeError(`${where} must be a whole number from 1 to 64, got "${raw}"`);
      }
      return n;
    }
    case "posint": {
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < 1 || n > 1_000_000) {
        throw new RangeError(`${where} must be a whole number from 1 to 1000000, got "${raw}"`);
      }
      return n;
    }
    case "policy":
      if (raw !== "all" && raw !== "relay") {
        throw new RangeError(`${where} must be all or relay, got "${raw}"`);
      }
      return raw;
    case "engine":
      if (raw !== "auto" && raw !== "werift" && raw !== "libwebrtc") {
        throw new RangeError(
          `${where} must be auto, werift or libwebrtc, got "${raw.slice(0, 20)}"`,
        );
      }
      return raw;
    case "onoff":
      if (raw !== "on" && raw !== "off") {
        throw new RangeError(`${where} must be on or off, got "${raw}"`);
      }
      return raw === "on";
    case "backend":
      if (raw !== "fs" && raw !== "s3") {
        throw new RangeError(`${where} must be fs or s3, got "${raw.slice(0, 20)}"`);
      }
      return raw;
    case "secret":
      // Never echoed back: a typo here must not print the key.
      if (raw === "") throw new SyntaxError(`${where} needs a value`);
      return raw;
  }
}

/**
 * Parses `p2pos [command] [--flag value | --flag=value]…`. Flags win over the
 * environment, the environment over defaults. Unknown flags are errors, so a
 * typo never silently falls back to a default.
 */
export function parseCommandLine(
  args: string[],
  env: Record<string, string | undefined>,
): ParsedCommand {
  const config: Record<string, unknown> = { ...DEFAULTS };
  for (const [flag, spec] of Object.entries(FLAGS)) {
    const raw = env[spec.env];
    if (raw !== undefined && raw !== "") config[spec.key] = convert(flag, spec, raw, "environment");
  }
  let command: string | undefined;
  let migrateTo: string | undefined;
  let portGiven = env.P2POS_PORT !== undefined && env.P2POS_PORT !== "";
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--help" || arg === "-h") {
      command = "help";
      continue;
    }
    if (arg === "--version" || arg === "-V") {
      command = "version";
      continue;
    }
    if (arg === "--to" || arg.startsWith("--to=")) {
      migrateTo = arg === "--to" ? args[++i] : arg.slice(5);
      if (migrateTo !== "fs" && migrateTo !== "s3") {
        throw new RangeError(`--to must be fs or s3, got "${String(migrateTo).slice(0, 20)}"`);
      }
      continue;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      const spec = FLAGS[name];
      if (!spec) throw new SyntaxError(`Unknown flag --${name} (see --help)`);
      let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined) throw new SyntaxError(`Flag --${name} needs a value`);
      value = value.trim();
      config[spec.key] = convert(name, spec, value, "flag");
      if (spec.key === "port") portGiven = true;
      continue;
    }
    if (command === undefined) command = arg;
    else rest.push(arg);
  }
  const resolved = config as ResolvedNodeConfig;
  if (Boolean(resolved.tlsCert) !== Boolean(resolved.tlsKey)) {
    throw new SyntaxError("HTTPS needs both --tls-cert and --tls-key");
  }
  if (resolved.publicUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(resolved.publicUrl);
    } catch {
      throw new SyntaxError(`Public URL "${resolved.publicUrl}" is not a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new SyntaxError(`Public URL must be http or https, got ${url.protocol}`);
    }
    resolved.publicUrl = url.origin;
  }
  if (resolved.blobStore === "s3" || migrateTo === "s3") {
    const missing = (["s3Endpoint", "s3Bucket", "s3AccessKeyId", "s3SecretAccessKey"] as const)
      .filter((k) => !resolved[k])
      .map((k) => Object.values(FLAGS).find((f) => f.key === k)!.env);
    if (missing.length) {
      throw new SyntaxError(`Blobs in S3 need ${missing.join(", ")} (or their flags)`);
    }
  }
  if (command === "blobs") {
    if (rest[0] !== "migrate" || rest.length > 1 || !migrateTo) {
      throw new SyntaxError("Usage: p2pos blobs migrate --to fs|s3");
    }
    return { command, config: resolved, rest, migrateTo: migrateTo as "fs" | "s3" };
  }
  if (migrateTo) throw new SyntaxError("--to is only for p2pos blobs migrate");
  for (const url of resolved.signalBus) {
    if (!/^nats:\/\/[^/\s]+\/?$/.test(url)) {
      throw new SyntaxError(
        `Bus URL "${
          url.replace(/\/\/[^@/]*@/, "//…@").slice(0, 80)
        }" must look like nats://host:4222`,
      );
    }
  }
  if (resolved.webrtcLanes > 4) {
    throw new RangeError(`--webrtc-lanes must be 1–4, got ${resolved.webrtcLanes}`);
  }
  for (const url of resolved.signalUrl) {
    if (!/^wss?:\/\/[^/\s]+\/\S*$/.test(url)) {
      throw new SyntaxError(
        `Relay URL "${url.slice(0, 80)}" must look like wss://relay.example/signal`,
      );
    }
  }
  for (const url of [...resolved.iceServers, ...resolved.turnUrls]) {
    if (!/^(stun|stuns|turn|turns):\S+$/.test(url)) {
      throw new SyntaxError(`ICE server "${url.slice(0, 80)}" must be a stun: or turn: URL`);
    }
  }
  if (command === "signal" && !portGiven) resolved.port = SIGNAL_DEFAULT_PORT;
  if (rest.length > 0) {
    throw new SyntaxError(`Unexpected argument "${rest[0].slice(0, 60)}" after the command`);
  }
  return { command: command ?? "node", config: resolved, rest };
}

export function helpText(): string {
  const lines = [
    "p2pos — the sovereign family photo vault",
    "",
    "Usage: p2pos [command] [flags]",
    "",
    "Commands:",
    "  node      run a family node (default)",
    "  blobs migrate --to fs|s3",
    "            copy every blob to the other backend, verify it, switch the node over",
    "            (the node must be stopped; run it again after an interruption)",
    `  signal    run the signaling relay alone (default port ${SIGNAL_DEFAULT_PORT})`,
    "  help      show this help (also -h, --help)",
    "  version   print the version (also -V, --version)",
    "",
    "Flags (each also read from its environment variable):",
  ];
  for (const [flag, spec] of Object.entries(FLAGS)) {
    const def = (DEFAULTS as unknown as Record<string, unknown>)[spec.key];
    const shown = def === undefined
      ? ""
      : spec.kind === "kib" || spec.kind === "mib"
      ? ` (default ${Number(def) / UNIT_BYTES[spec.kind]})`
      : Array.isArray(def)
      ? ""
      : spec.kind === "onoff"
      ? ` (default ${def ? "on" : "off"})`
      : spec.kind === "secret"
      ? ""
      : ` (default ${def})`;
    lines.push(`  --${flag.padEnd(28)} ${spec.env.padEnd(34)} ${spec.help}${shown}`);
  }
  lines.push(
    "",
    "On first start the node creates its data directory and key, and prints its",
    "node id and a one-time setup code. Open the printed URL and enter the code",
    "to create your family.",
  );
  return lines.join("\n");
}
