/**
 * p2pos — the composition root. The only place that reads `Deno.args` and
 * `Deno.env` and constructs the real parts (key, index database, blob store,
 * web app) and wires them together.
 *
 * @module
 */

import { statfsSync } from "node:fs";
import { helpText, parseCommandLine, type ResolvedNodeConfig } from "./lib/core/config.ts";
import { currentFamily } from "./lib/core/family_kinds.ts";
import { activeNode } from "./lib/core/node_kinds.ts";
import type { Transport } from "./lib/core/transport.ts";
import { MultipathTransport } from "./lib/net/multipath_transport.ts";
import { SignalClient } from "./lib/net/signal_client.ts";
import { SIGNAL_PATH } from "./lib/net/signal_protocol.ts";
import { LinkManager } from "./lib/net/webrtc_links.ts";
import { localRtcPeer, type RtcPeer, type RtcPeerConfig } from "./lib/net/rtc_peer.ts";
import { workerRtcPeer } from "./lib/net/worker_rtc_peer.ts";
import { libwebrtcOrWerift, libwebrtcRtcPeer } from "./lib/net/libwebrtc_peer.ts";
import { SessionVerifier } from "./lib/net/webrtc_session.ts";
import { webrtcTransport } from "./lib/net/webrtc_transport.ts";
import { NatsBus, type RelayOptions, serveRelay, SignalRelay } from "./signal/mod.ts";
import { configureLogging, getLogger } from "./lib/core/log.ts";
import { HybridClock } from "./lib/core/hlc.ts";
import {
  type BlobStore,
  FsBlobStore,
  IndexDb,
  loadOrCreateNodeKey,
  OutdatedDataError,
  PreLogDataError,
  RecordLog,
  SchemaTooNewError,
  UploadSessions,
} from "./lib/store/mod.ts";
import { type Backend, checkBackend, migrateBlobs } from "./lib/store/blob_migration.ts";
import { S3BlobStore, S3Config } from "./lib/store/s3/mod.ts";
import { StoreUnavailableError } from "./lib/core/errors.ts";
import { createKindRegistry } from "./lib/vault/kinds.ts";
import { addUploader } from "./lib/vault/blob_access.ts";
import { armFaults } from "./lib/core/faults.ts";
import { HttpTransport } from "./lib/net/http_transport.ts";
import {
  FEED_HEAD_FILE,
  FeedHeadFile,
  ObservedBlobStore,
  Replicator,
} from "./lib/replication/mod.ts";
import { SessionStore } from "./lib/store/session_store.ts";
import { boundAddresses, NodeOrigins } from "./lib/web/auth/node_origins.ts";
import { issueSetupCode } from "./lib/vault/setup_code.ts";
import { createApp, isFirstRun, VERSION } from "./lib/web/app.ts";
import { ensureIslandBundles } from "./lib/web/build.ts";
import { manifest } from "./manifest.gen.ts";

const log = getLogger("node");

function interfaceAddresses(): Deno.NetworkInterfaceInfo[] {
  try {
    return Deno.networkInterfaces();
  } catch (err) {
    log.warn("Cannot list this machine's addresses: only loopback names will be answered", {
      error: String(err),
    });
    return [];
  }
}

/** Takes the data dir (one process per data dir) and opens its index database. */
async function openDataDir(config: ResolvedNodeConfig): Promise<{ dataDir: string; db: IndexDb }> {
  await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const dataDir = await Deno.realPath(config.dataDir);
  // One node per data dir: two processes would race on tmp/ and the database.
  const lockFile = await Deno.open(`${dataDir}/.lock`, { create: true, write: true, mode: 0o600 });
  if (!(await lockFile.tryLock(true))) {
    console.error(`p2pos cannot start: another p2pos process is already using ${dataDir}`);
    Deno.exit(3);
  }
  try {
    return { dataDir, db: await IndexDb.open(`${dataDir}/index.db`) };
  } catch (err) {
    if (err instanceof SchemaTooNewError) {
      console.error(`p2pos cannot start: ${err.message}`);
      Deno.exit(2);
    }
    throw err;
  }
}

/**
 * Opens the blob store of `backend`. A bad setting or an object store that refuses the
 * node (credentials, bucket, clock, unreachable) stops the start with the reason: nothing
 * would be stored or served right.
 */
async function openBlobStore(
  config: ResolvedNodeConfig,
  dataDir: string,
  backend: Backend,
): Promise<BlobStore> {
  if (backend === "fs") return await FsBlobStore.open(dataDir, { directIo: config.directIo });
  try {
    const s3 = new S3Config({
      endpoint: config.s3Endpoint!,
      bucket: config.s3Bucket!,
      region: config.s3Region,
      pathStyle: config.s3PathStyle,
      prefix: config.s3Prefix,
      accessKeyId: config.s3AccessKeyId!,
      secretAccessKey: config.s3SecretAccessKey!,
    });
    return await S3BlobStore.open({
      root: dataDir,
      config: s3,
      stallMs: Math.round(config.stallTimeoutSecs * 1000),
    });
  } catch (err) {
    if (err instanceof SyntaxError || err instanceof StoreUnavailableError) {
      console.error(`p2pos cannot start: ${err.message}`);
      Deno.exit(err instanceof SyntaxError ? 64 : 2);
    }
    throw err;
  }
}

/** Whether the data dir holds blob files (a node from before the backend was recorded). */
async function fsHasBlobs(dataDir: string): Promise<boolean> {
  const there = await Deno.stat(`${dataDir}/blobs`).then(() => true, () => false);
  return there && (await (await FsBlobStore.open(dataDir)).list({ limit: 1 })).ids.length > 0;
}

/** Whether Deno lets this process load native code (libwebrtc's addon). */
const ffiGranted = () => Deno.permissions.querySync({ name: "ffi" }).state === "granted";

/** Whether the node makes data channels: it registers with a relay, or hosts one. */
const usesWebrtc = (config: ResolvedNodeConfig) => config.signal || config.signalUrl.length > 0;

/**
 * The data-channel engine (`--webrtc-engine`): auto takes libwebrtc when Deno may load native
 * code, falling back to werift where the addon does not load, and werift without --allow-ffi.
 */
function rtcEngine(config: ResolvedNodeConfig): (c: RtcPeerConfig) => RtcPeer {
  const log = getLogger("webrtc");
  const werift = config.webrtcWorkers ? workerRtcPeer : localRtcPeer;
  if (config.webrtcEngine === "libwebrtc") return libwebrtcRtcPeer;
  // Workers run werift (--webrtc-workers on chooses it).
  if (config.webrtcEngine === "werift" || config.webrtcWorkers) return werift;
  if (!ffiGranted()) {
    log.info(
      "Data channels on werift (JavaScript): libwebrtc, ≈ 5× faster, needs Deno's --allow-ffi " +
        "(docs/OPERATIONS.md)",
    );
    return werift;
  }
  return libwebrtcOrWerift((err) =>
    log.warn("libwebrtc does not load on this machine; data channels run on werift instead", {
      error: err.message,
    })
  );
}

async function runNode(config: ResolvedNodeConfig): Promise<void> {
  if (
    config.webrtcEngine === "libwebrtc" && usesWebrtc(config) && !ffiGranted()
  ) {
    console.error(
      "p2pos cannot start: --webrtc-engine libwebrtc loads a native addon, which needs Deno's " +
        "--allow-ffi permission. Run with --allow-ffi, or use --webrtc-engine werift.",
    );
    Deno.exit(2);
  }
  const { dataDir, db } = await openDataDir(config);
  const { key: nodeKey, created } = await loadOrCreateNodeKey(`${dataDir}/node.key`);
  const refusal = checkBackend(
    db,
    config.blobStore,
    config.blobStore === "s3" && await fsHasBlobs(dataDir),
  );
  if (refusal) {
    console.error(`p2pos cannot start: ${refusal}`);
    Deno.exit(2);
  }
  const store = await openBlobStore(config, dataDir, config.blobStore);
  // Observed: blobs stored through the API are pushed to the other family nodes at once.
  const blobs = new ObservedBlobStore(store);
  // A compiled binary serves the bundles it was built with: it has no `deno` to bundle with.
  const build = await ensureIslandBundles({
    log: (m) => log.info(m),
    rebuild: !Deno.build.standalone && Deno.env.get("P2POS_ISLAND_BUILD") !== "off",
  });

  const kinds = createKindRegistry();
  let records: RecordLog;
  try {
    records = new RecordLog(db, kinds);
  } catch (err) {
    if (err instanceof PreLogDataError || err instanceof OutdatedDataError) {
      console.error(`p2pos cannot start: ${err.message}`);
      Deno.exit(2);
    }
    throw err;
  }
  const secs = (s: number) => Math.round(s * 1000);

  // WebRTC (DESIGN §8) when a relay is configured, or hosted here: data channels to peers,
  // HTTP to those with a URL, and the path chosen per peer (lib/net/multipath_transport.ts).
  const relayBusHere = config.signal ? await relayBus(config) : undefined;
  const relay = config.signal
    ? new SignalRelay({ ...relayOptions(config), bus: relayBusHere })
    : undefined;
  // Made below; the links call into them once the node runs.
  const late: {
    app?: { fetch(req: Request): Response | Promise<Response> };
    rep?: Replicator;
    origins?: NodeOrigins;
  } = {};
  const links = usesWebrtc(config)
    ? new LinkManager({
      signer: nodeKey,
      verifier: new SessionVerifier({
        selfId: nodeKey.nodeId,
        // The node this one joined through counts before its own records name it (PROTOCOL §4.2).
        keyOf: (id) => activeNode(records, id)?.body.publicKey ?? late.rep?.peerSide.pinnedKey(id),
        acceptStrangers: () => !currentFamily(records),
      }),
      // A request from a data channel, addressed to this node's own origin so the Host guard
      // (lib/web/auth/node_origins.ts, against browsers and DNS rebinding) lets it through.
      handler: async (req) => {
        const url = new URL(req.url);
        const own = late.origins!.ownOrigins()[0];
        return await late.app!.fetch(new Request(own + url.pathname + url.search, req));
      },
      ice: {
        iceServers: config.iceServers,
        iceTransportPolicy: config.iceTransportPolicy,
        loopback: config.iceLoopback,
      },
      onChange: (peerId, up) => {
        if (up) late.rep?.peerSide.peerSeen(peerId);
        late.rep?.events.emit({ type: "status" });
      },
      newPeer: rtcEngine(config),
    }, { lanes: config.webrtcLanes })
    : undefined;
  const http = new HttpTransport(nodeKey);
  const transport: Transport = links
    ? new MultipathTransport(http, { transport: webrtcTransport(nodeKey, links), links })
    : http;
  const replication = late.rep = new Replicator({
    db,
    blobs,
    records,
    kinds,
    self: nodeKey,
    transports: [transport],
  }, {
    syncIntervalMs: secs(config.repSyncIntervalSecs),
    inventoryIntervalMs: secs(config.repInventoryIntervalSecs),
    failedRetryAfterMs: secs(config.repFailedRetryAfterSecs),
    maxConcurrentTransfers: config.repMaxTransfers,
    proofIntervalMs: secs(config.repProofIntervalSecs),
    reverifyAfterMs: secs(config.repReverifyAfterSecs),
    proofBytesPerMinute: config.repProofBytesPerMin,
    scrubIntervalMs: secs(config.repScrubIntervalSecs),
    stallTimeoutMs: secs(config.stallTimeoutSecs),
    maxBlobBytes: config.maxBlobBytes,
    // The data dir holds the index (and, on the fs backend, the blobs): a full disk there
    // pauses replication until this says there is room again.
    freeBytes: () => {
      const fs = statfsSync(dataDir);
      return fs.bavail * fs.bsize;
    },
  });
  // Beside index.db, not in it: a database restored from a backup is found behind it.
  const feedHead = new FeedHeadFile(`${dataDir}/${FEED_HEAD_FILE}`, records, replication.peerStore);
  await feedHead.check();
  const writeFeedHead = () =>
    feedHead.write().catch((err) => log.warn("Cannot write the feed head", { error: String(err) }));
  const feedHeadTimer = setInterval(writeFeedHead, 5_000);
  const origins = late.origins = new NodeOrigins({
    publicUrl: config.publicUrl,
    https: Boolean(config.tlsCert),
  });
  const app = late.app = createApp({
    config,
    nodeKey,
    db,
    blobs,
    records,
    sessions: new SessionStore(db),
    // A finished upload and its uploader's right to read the blob commit together.
    uploads: await UploadSessions.open(db, blobs, {
      onFinished: (s) => addUploader(db, s.blobId, s.memberKey, Date.now()),
    }),
    origins,
    clock: new HybridClock(),
    manifest,
    buildId: () => build.buildId,
    replication,
  });

  const ac = new AbortController();
  const tls = config.tlsCert && config.tlsKey
    ? { cert: await Deno.readTextFile(config.tlsCert), key: await Deno.readTextFile(config.tlsKey) }
    : {};
  let signalClient: SignalClient | undefined;
  const server = Deno.serve({
    hostname: config.host,
    port: config.port,
    signal: ac.signal,
    ...tls,
    onListen: ({ hostname, port }) => {
      origins.listening(boundAddresses(config.host, hostname, interfaceAddresses), port);
      const scheme = config.tlsCert ? "https" : "http";
      const host = hostname.includes(":") ? `[${hostname}]` : hostname;
      const url = config.publicUrl ?? `${scheme}://${host}:${port}`;
      const lines = [
        `p2pos ${VERSION}${created ? " — first start, created a new node key" : ""}`,
        `  Node id:   ${nodeKey.nodeId}`,
        `  Data dir:  ${dataDir}`,
      ];
      if (store instanceof S3BlobStore) {
        lines.push(`  Blobs:     ${s3Location(config)} (S3)`);
      } else if (config.directIo && !(store as FsBlobStore).directIo) {
        lines.push("  Blob writes: through the page cache (this filesystem refuses O_DIRECT)");
      }
      if (isFirstRun(records)) {
        lines.push(
          `  Setup code: ${
            issueSetupCode(db)
          }   (one-time; a new one is printed at each start until used)`,
          `  Open ${url}/ in a browser and enter the setup code to create your family.`,
        );
      }
      // Hosting the relay and given no other: register with it over loopback.
      const relayUrls = config.signalUrl.length
        ? config.signalUrl
        : [`${scheme === "https" ? "wss" : "ws"}://${loopback(hostname)}:${port}${SIGNAL_PATH}`];
      if (relay) lines.push(`  Relay:     hosting the signaling relay at ${SIGNAL_PATH}`);
      if (links) {
        lines.push(`  WebRTC:    through ${relayUrls.join(", ")}`);
        signalClient = new SignalClient({
          urls: relayUrls,
          signer: nodeKey,
          onSignal: (from, data) => links.onSignal(from, data),
          onError: (code, message, to) => links.onRelayError(code, message, to),
          onState: (up) => links.onRelayState(up),
        });
        links.attach(signalClient);
        signalClient.start();
      }
      lines.push(`p2pos node listening on ${scheme}://${host}:${port}`);
      console.log(lines.join("\n"));
      replication.start();
    },
  }, (req, info) => {
    if (relay && new URL(req.url).pathname === SIGNAL_PATH) {
      return relay.handle(req, info.remoteAddr.hostname);
    }
    return app.fetch(req);
  });

  const stop = () => {
    log.info("Shutting down");
    // WebSockets and data channels first: the server waits for open connections to end.
    links?.close();
    signalClient?.stop();
    relay?.close();
    ac.abort();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  await relayBusHere?.close();
  await replication.stop();
  clearInterval(feedHeadTimer);
  await writeFeedHead();
  db.close();
}

function s3Location(config: ResolvedNodeConfig): string {
  return `${config.s3Endpoint}/${config.s3Bucket}/${config.s3Prefix}`;
}

/** `p2pos blobs migrate --to fs|s3`, with the node stopped. */
async function runMigrate(config: ResolvedNodeConfig, to: Backend): Promise<void> {
  const { dataDir, db } = await openDataDir(config);
  const from: Backend = to === "s3" ? "fs" : "s3";
  const source = await openBlobStore(config, dataDir, from);
  const target = await openBlobStore(config, dataDir, to);
  const names = { fs: `the data dir (${dataDir}/blobs)`, s3: `S3 (${s3Location(config)})` };
  console.log(`Moving this node's blobs from ${names[from]} to ${names[to]}`);
  let last = 0;
  try {
    const { total, copied } = await migrateBlobs(db, source, target, to, {
      stallMs: Math.round(config.stallTimeoutSecs * 1000),
      onProgress: ({ done, total, copied, bytes }) => {
        if (done === total || Date.now() - last > 1000) {
          last = Date.now();
          console.log(
            `  ${done} of ${total} blobs checked, ${copied} copied (${
              (bytes / 1e6).toFixed(1)
            } MB)`,
          );
        }
      },
    });
    console.log(
      `Done: all ${total} blobs are in ${names[to]} (${copied} copied, each verified against ` +
        `its id). Start the node with --blob-store ${to} (P2POS_BLOB_STORE=${to}). The copies ` +
        `in ${names[from]} were left in place; delete them once the node runs well.`,
    );
  } catch (err) {
    console.error(
      `p2pos blobs migrate stopped: ${(err as Error).message}\nRun it again: it goes on where ` +
        `it stopped. The node keeps using ${names[from]} until the migration finishes.`,
    );
    Deno.exit(1);
  } finally {
    db.close();
  }
}

/** The relay's settings, shared by `p2pos signal` and `node --signal`. */
function relayOptions(config: ResolvedNodeConfig): RelayOptions {
  return {
    maxFrameBytes: config.signalMaxFrameKib * 1024,
    idRate: { perSec: config.signalRate, burst: config.signalRate * 5 },
    maxConnsPerIp: config.signalIpConns,
    ipRate: { perSec: config.signalIpRate, burst: config.signalIpRate * 10 },
    connectRate: { perSec: config.signalIpConnectRate, burst: config.signalIpConnectRate * 60 },
    maxConns: config.signalMaxConns,
    turn: config.turnSecret
      ? { secret: config.turnSecret, urls: config.turnUrls, ttlSecs: config.turnTtlSecs }
      : undefined,
  };
}

/** The address to reach a server listening on `hostname` from this machine. */
function loopback(hostname: string): string {
  if (hostname === "0.0.0.0" || hostname === "::") return "127.0.0.1";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

/** The bus shared by relay instances, when configured (docs/OPERATIONS.md). */
async function relayBus(config: ResolvedNodeConfig): Promise<NatsBus | undefined> {
  if (!config.signalBus.length) return undefined;
  try {
    return await NatsBus.connect({ servers: config.signalBus, name: `p2pos-signal-${Deno.pid}` });
  } catch (err) {
    // The message names the hosts only, never the bus password.
    console.error(`p2pos: ${(err as Error).message}`);
    Deno.exit(1);
  }
}

/** A bus URL for people to read: the host and port, never the credentials. */
function busHosts(config: ResolvedNodeConfig): string {
  return config.signalBus.map((u) => new URL(u).host).join(", ");
}

async function runSignal(config: ResolvedNodeConfig): Promise<void> {
  const ac = new AbortController();
  const tls = config.tlsCert && config.tlsKey
    ? { cert: await Deno.readTextFile(config.tlsCert), key: await Deno.readTextFile(config.tlsKey) }
    : {};
  const bus = await relayBus(config);
  const server = await serveRelay(
    { host: config.host, port: config.port, ...tls },
    { ...relayOptions(config), bus, version: VERSION, signal: ac.signal },
  );
  console.log([
    `p2pos ${VERSION} — signaling relay`,
    `  Bus:              ${
      bus ? `NATS at ${busHosts(config)}, shared with the other instances` : "none (one instance)"
    }`,
    `  TURN credentials: ${
      config.turnSecret
        ? `handed out for ${config.turnUrls.join(", ") || "the nodes' own TURN URLs"}`
        : "off (no --turn-secret)"
    }`,
    `p2pos signal relay listening on ${server.url}`,
  ].join("\n"));
  const stop = () => {
    log.info("Shutting down");
    server.relay.close();
    ac.abort();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  await bus?.close();
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseCommandLine(Deno.args, Deno.env.toObject());
  } catch (err) {
    console.error(`p2pos: ${(err as Error).message}`);
    Deno.exit(64);
  }
  configureLogging({ level: parsed.config.logLevel, trace: parsed.config.trace });
  // Crash tests only: die by SIGKILL at a named step of a write path (lib/core/faults.ts).
  const faults = Deno.env.get("P2POS_FAULTS")?.split(",").map((f) => f.trim()).filter(Boolean);
  if (faults?.length) {
    armFaults(faults, (name) => {
      console.error(`p2pos: fault point ${name} reached (P2POS_FAULTS): killing this process`);
      Deno.kill(Deno.pid, "SIGKILL");
    });
  }
  switch (parsed.command) {
    case "help":
      console.log(helpText());
      return;
    case "version":
      console.log(VERSION);
      return;
    case "node":
      await runNode(parsed.config);
      // Stopped in order (database closed): werift's sockets and timers must not keep the
      // process alive for their own timeouts (≈ 30 s).
      Deno.exit(0);
      break;
    case "blobs":
      await runMigrate(parsed.config, parsed.migrateTo!);
      return;
    case "signal":
      await runSignal(parsed.config);
      Deno.exit(0);
      break;
    default:
      console.error(`p2pos: unknown command "${parsed.command}" (see --help)`);
      Deno.exit(64);
  }
}

if (import.meta.main) await main();
