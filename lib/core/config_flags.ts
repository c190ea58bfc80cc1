/**
 * Every flag of the node and the relay, with its `P2POS_*` variable, the kind of value it takes
 * and its help line: the table {@link parseCommandLine} and {@link helpText} read
 * (lib/core/config.ts).
 */

import type { NodeConfig } from "./config.ts";

export interface FlagSpec {
  key: keyof NodeConfig;
  env: string;
  kind:
    | "string"
    | "port"
    | "kib"
    | "mib"
    | "level"
    | "list"
    | "secs"
    | "count"
    | "onoff"
    | "backend"
    | "secret"
    | "posint"
    | "policy"
    | "engine";
  help: string;
}

export const FLAGS: Record<string, FlagSpec> = {
  "host": { key: "host", env: "P2POS_HOST", kind: "string", help: "address to listen on" },
  "port": { key: "port", env: "P2POS_PORT", kind: "port", help: "TCP port (0 = any free port)" },
  "data-dir": { key: "dataDir", env: "P2POS_DATA_DIR", kind: "string", help: "data directory" },
  "public-url": {
    key: "publicUrl",
    env: "P2POS_PUBLIC_URL",
    kind: "string",
    help: "URL others use to reach this node",
  },
  "log-level": {
    key: "logLevel",
    env: "P2POS_LOG_LEVEL",
    kind: "level",
    help: "debug | info | warn | error",
  },
  "trace": {
    key: "trace",
    env: "P2POS_TRACE",
    kind: "list",
    help: "modules to trace at debug level, comma-separated",
  },
  "max-blob-mib": {
    key: "maxBlobBytes",
    env: "P2POS_MAX_BLOB_MIB",
    kind: "mib",
    help: "largest blob accepted, MiB",
  },
  "max-json-kib": {
    key: "maxJsonBytes",
    env: "P2POS_MAX_JSON_KIB",
    kind: "kib",
    help: "largest JSON body accepted, KiB",
  },
  "max-peer-json-mib": {
    key: "maxPeerJsonBytes",
    env: "P2POS_MAX_PEER_JSON_MIB",
    kind: "mib",
    help: "largest JSON body between nodes, MiB",
  },
  "rep-failed-retry-after-secs": {
    key: "repFailedRetryAfterSecs",
    env: "P2POS_REP_FAILED_RETRY_AFTER_SECS",
    kind: "secs",
    help: "retry failed replication jobs after, s",
  },
  "rep-sync-interval-secs": {
    key: "repSyncIntervalSecs",
    env: "P2POS_REP_SYNC_INTERVAL_SECS",
    kind: "secs",
    help: "record sync with each peer every, s",
  },
  "rep-inventory-interval-secs": {
    key: "repInventoryIntervalSecs",
    env: "P2POS_REP_INVENTORY_INTERVAL_SECS",
    kind: "secs",
    help: "inventory exchange with each peer every, s",
  },
  "rep-max-transfers": {
    key: "repMaxTransfers",
    env: "P2POS_REP_MAX_TRANSFERS",
    kind: "count",
    help: "blob transfers at once",
  },
  "rep-proof-interval-secs": {
    key: "repProofIntervalSecs",
    env: "P2POS_REP_PROOF_INTERVAL_SECS",
    kind: "secs",
    help: "proof-of-possession round every, s",
  },
  "rep-reverify-after-secs": {
    key: "repReverifyAfterSecs",
    env: "P2POS_REP_REVERIFY_AFTER_SECS",
    kind: "secs",
    help: "prove every peer copy at least every, s",
  },
  "rep-proof-mib-per-min": {
    key: "repProofBytesPerMin",
    env: "P2POS_REP_PROOF_MIB_PER_MIN",
    kind: "mib",
    help: "local blob bytes proofs may read a minute, MiB",
  },
  "rep-scrub-interval-secs": {
    key: "repScrubIntervalSecs",
    env: "P2POS_REP_SCRUB_INTERVAL_SECS",
    kind: "secs",
    help: "re-hash local blobs every, s",
  },
  "stall-timeout-secs": {
    key: "stallTimeoutSecs",
    env: "P2POS_STALL_TIMEOUT_SECS",
    kind: "secs",
    help: "give up a transfer that moves nothing for, s",
  },
  "direct-io": {
    key: "directIo",
    env: "P2POS_DIRECT_IO",
    kind: "onoff",
    help: "write blobs past the page cache (on, off)",
  },
  "tls-cert": { key: "tlsCert", env: "P2POS_TLS_CERT", kind: "string", help: "PEM certificate" },
  "tls-key": { key: "tlsKey", env: "P2POS_TLS_KEY", kind: "string", help: "PEM private key" },
  "blob-store": {
    key: "blobStore",
    env: "P2POS_BLOB_STORE",
    kind: "backend",
    help: "where blobs live: fs (data dir) or s3",
  },
  "s3-endpoint": {
    key: "s3Endpoint",
    env: "P2POS_S3_ENDPOINT",
    kind: "string",
    help: "S3 API URL (http(s)://host[:port])",
  },
  "s3-bucket": { key: "s3Bucket", env: "P2POS_S3_BUCKET", kind: "string", help: "S3 bucket" },
  "s3-region": { key: "s3Region", env: "P2POS_S3_REGION", kind: "string", help: "S3 region" },
  "s3-path-style": {
    key: "s3PathStyle",
    env: "P2POS_S3_PATH_STYLE",
    kind: "onoff",
    help: "path-style URLs (on: Ceph, MinIO; off: bucket.host)",
  },
  "s3-prefix": {
    key: "s3Prefix",
    env: "P2POS_S3_PREFIX",
    kind: "string",
    help: "key prefix in the bucket, ends with /",
  },
  "s3-access-key-id": {
    key: "s3AccessKeyId",
    env: "P2POS_S3_ACCESS_KEY_ID",
    kind: "string",
    help: "S3 access key id",
  },
  "s3-secret-access-key": {
    key: "s3SecretAccessKey",
    env: "P2POS_S3_SECRET_ACCESS_KEY",
    kind: "secret",
    help: "S3 secret key (prefer the environment)",
  },
  "signal": {
    key: "signal",
    env: "P2POS_SIGNAL",
    kind: "onoff",
    help: "node: also host the signaling relay at /signal (on, off)",
  },
  "signal-url": {
    key: "signalUrl",
    env: "P2POS_SIGNAL_URL",
    kind: "list",
    help: "node: relay URLs to register with (ws[s]://…/signal), comma-separated",
  },
  "ice-servers": {
    key: "iceServers",
    env: "P2POS_ICE_SERVERS",
    kind: "list",
    help: "node: stun:/turn: URLs, comma-separated",
  },
  "ice-transport-policy": {
    key: "iceTransportPolicy",
    env: "P2POS_ICE_TRANSPORT_POLICY",
    kind: "policy",
    help: "node: all, or relay (TURN only)",
  },
  "ice-loopback": {
    key: "iceLoopback",
    env: "P2POS_ICE_LOOPBACK",
    kind: "onoff",
    help: "node: offer 127.0.0.1 to peers (one machine)",
  },
  "webrtc-lanes": {
    key: "webrtcLanes",
    env: "P2POS_WEBRTC_LANES",
    kind: "count",
    help: "node: data-channel connections per peer, 1–4 (transfers spread over them)",
  },
  "webrtc-engine": {
    key: "webrtcEngine",
    env: "P2POS_WEBRTC_ENGINE",
    kind: "engine",
    help: "node: data channels on libwebrtc (native; --allow-ffi), werift (JavaScript) or auto",
  },
  "webrtc-workers": {
    key: "webrtcWorkers",
    env: "P2POS_WEBRTC_WORKERS",
    kind: "onoff",
    help: "node: run WebRTC in worker threads (on, off)",
  },
  "signal-bus": {
    key: "signalBus",
    env: "P2POS_SIGNAL_BUS",
    kind: "list",
    help: "relay: nats://[user:pass@]host:port of the bus shared by relay instances",
  },
  "turn-secret": {
    key: "turnSecret",
    env: "P2POS_TURN_SECRET",
    kind: "secret",
    help: "relay: coturn static-auth-secret (prefer the env)",
  },
  "turn-urls": {
    key: "turnUrls",
    env: "P2POS_TURN_URLS",
    kind: "list",
    help: "relay: TURN URLs handed to nodes, comma-separated",
  },
  "turn-ttl-secs": {
    key: "turnTtlSecs",
    env: "P2POS_TURN_TTL_SECS",
    kind: "secs",
    help: "relay: TURN credentials last, s",
  },
  "signal-max-frame-kib": {
    key: "signalMaxFrameKib",
    env: "P2POS_SIGNAL_MAX_FRAME_KIB",
    kind: "posint",
    help: "relay: largest frame, KiB",
  },
  "signal-rate": {
    key: "signalRate",
    env: "P2POS_SIGNAL_RATE",
    kind: "posint",
    help: "relay: messages/s per node",
  },
  "signal-ip-conns": {
    key: "signalIpConns",
    env: "P2POS_SIGNAL_IP_CONNS",
    kind: "posint",
    help: "relay: open connections per IP",
  },
  "signal-ip-rate": {
    key: "signalIpRate",
    env: "P2POS_SIGNAL_IP_RATE",
    kind: "posint",
    help: "relay: messages/s per IP",
  },
  "signal-ip-connect-rate": {
    key: "signalIpConnectRate",
    env: "P2POS_SIGNAL_IP_CONNECT_RATE",
    kind: "posint",
    help: "relay: new connections/s per IP",
  },
  "signal-max-conns": {
    key: "signalMaxConns",
    env: "P2POS_SIGNAL_MAX_CONNS",
    kind: "posint",
    help: "relay: open connections in all",
  },
};
