import assert from "node:assert/strict";
import { DEFAULTS, helpText, parseCommandLine } from "./config.ts";

Deno.test("parseCommandLine() defaults to the node command on 127.0.0.1:8420 with ./data", () => {
  const { command, config } = parseCommandLine([], {});
  assert.equal(command, "node");
  assert.deepEqual(config, DEFAULTS);
  assert.equal(config.host, "127.0.0.1");
  assert.equal(config.dataDir, "./data");
});

Deno.test("parseCommandLine() reads P2POS_* variables and lets flags win over them", () => {
  const env = {
    P2POS_PORT: "9000",
    P2POS_DATA_DIR: "/srv/p2pos",
    P2POS_LOG_LEVEL: "debug",
    P2POS_TRACE: "replication, net",
    P2POS_MAX_BLOB_MIB: "16",
  };
  const fromEnv = parseCommandLine(["node"], env).config;
  assert.equal(fromEnv.port, 9000);
  assert.equal(fromEnv.dataDir, "/srv/p2pos");
  assert.equal(fromEnv.logLevel, "debug");
  assert.deepEqual(fromEnv.trace, ["replication", "net"]);
  assert.equal(fromEnv.maxBlobBytes, 16 * 1024 * 1024);
  const flags = parseCommandLine(["node", "--port", "9100", "--data-dir=/tmp/x"], env).config;
  assert.equal(flags.port, 9100);
  assert.equal(flags.dataDir, "/tmp/x");
});

Deno.test("parseCommandLine() turns direct I/O off only when asked, with on or off", () => {
  assert.equal(parseCommandLine([], {}).config.directIo, true);
  assert.equal(parseCommandLine([], { P2POS_DIRECT_IO: "off" }).config.directIo, false);
  assert.equal(
    parseCommandLine(["--direct-io", "on"], { P2POS_DIRECT_IO: "off" }).config.directIo,
    true,
  );
  assert.throws(() => parseCommandLine(["--direct-io", "no"], {}), /--direct-io must be on or off/);
  assert.match(helpText(), /--direct-io .*P2POS_DIRECT_IO .*\(default on\)/);
});

Deno.test("parseCommandLine() normalises the public URL to its origin", () => {
  const { config } = parseCommandLine(["--public-url", "https://oak.example.org/"], {});
  assert.equal(config.publicUrl, "https://oak.example.org");
});

Deno.test("parseCommandLine() rejects bad values with messages that name the flag", () => {
  assert.throws(() => parseCommandLine(["--port", "70000"], {}), /--port must be a port number/);
  assert.throws(() => parseCommandLine(["--port", "12ab"], {}), /--port/);
  assert.throws(() => parseCommandLine([], { P2POS_PORT: "x" }), /P2POS_PORT must be a port/);
  assert.throws(() => parseCommandLine(["--log-level", "loud"], {}), /must be one of debug/);
  assert.throws(() => parseCommandLine(["--prot", "1"], {}), /Unknown flag --prot/);
  assert.throws(() => parseCommandLine(["--port"], {}), /needs a value/);
  assert.throws(() => parseCommandLine(["--public-url", "ftp://x"], {}), /http or https/);
  assert.throws(
    () => parseCommandLine(["--tls-cert", "c.pem"], {}),
    /both --tls-cert and --tls-key/,
  );
  assert.throws(() => parseCommandLine(["--max-blob-mib", "0"], {}), /positive whole number/);
  // `deno task start help` must not quietly start a node.
  assert.throws(
    () => parseCommandLine(["node", "help"], {}),
    /Unexpected argument "help" after the command/,
  );
});

Deno.test("parseCommandLine() recognises --help anywhere and the help names every variable", () => {
  assert.equal(parseCommandLine(["node", "--help"], {}).command, "help");
  const text = helpText();
  for (const v of ["P2POS_HOST", "P2POS_PORT", "P2POS_DATA_DIR", "P2POS_PUBLIC_URL"]) {
    assert.match(text, new RegExp(v));
  }
});

Deno.test("parseCommandLine() reads the S3 blob store settings and asks for the missing ones by name", () => {
  const env = {
    P2POS_BLOB_STORE: "s3",
    P2POS_S3_ENDPOINT: "http://127.0.0.1:7480",
    P2POS_S3_BUCKET: "family",
    P2POS_S3_ACCESS_KEY_ID: "AKID",
    P2POS_S3_SECRET_ACCESS_KEY: "s3cr3t-value",
  };
  const { config } = parseCommandLine([], env);
  assert.equal(config.blobStore, "s3");
  assert.equal(config.s3Region, "us-east-1");
  assert.equal(config.s3PathStyle, true);
  assert.equal(config.s3Prefix, "p2pos/");
  assert.equal(config.s3SecretAccessKey, "s3cr3t-value");
  assert.equal(parseCommandLine(["--s3-path-style", "off"], env).config.s3PathStyle, false);
  assert.equal(parseCommandLine([], {}).config.blobStore, "fs");
  assert.throws(
    () => parseCommandLine(["--blob-store", "s3"], { P2POS_S3_BUCKET: "family" }),
    /Blobs in S3 need P2POS_S3_ENDPOINT, P2POS_S3_ACCESS_KEY_ID, P2POS_S3_SECRET_ACCESS_KEY/,
  );
  assert.throws(() => parseCommandLine(["--blob-store", "gcs"], {}), /must be fs or s3/);
  // The secret is never shown: not as a default in --help, not in an error.
  assert.ok(!helpText().includes("s3cr3t"));
  assert.match(helpText(), /--s3-secret-access-key\s+P2POS_S3_SECRET_ACCESS_KEY/);
  assert.match(helpText(), /blobs migrate --to fs\|s3/);
});

Deno.test("parseCommandLine() takes blobs migrate --to fs|s3 and nothing else after blobs", () => {
  const s3 = {
    P2POS_S3_ENDPOINT: "http://127.0.0.1:7480",
    P2POS_S3_BUCKET: "family",
    P2POS_S3_ACCESS_KEY_ID: "AKID",
    P2POS_S3_SECRET_ACCESS_KEY: "secret",
  };
  const parsed = parseCommandLine(["blobs", "migrate", "--to", "s3"], s3);
  assert.equal(parsed.command, "blobs");
  assert.equal(parsed.migrateTo, "s3");
  assert.equal(parseCommandLine(["blobs", "migrate", "--to=fs"], s3).migrateTo, "fs");
  assert.throws(() => parseCommandLine(["blobs", "migrate", "--to", "s3"], {}), /need P2POS_S3/);
  assert.throws(() => parseCommandLine(["blobs", "migrate"], s3), /Usage: p2pos blobs migrate/);
  assert.throws(() => parseCommandLine(["blobs", "copy", "--to", "s3"], s3), /Usage/);
  assert.throws(() => parseCommandLine(["blobs", "migrate", "--to", "gcs"], s3), /fs or s3/);
  assert.throws(() => parseCommandLine(["node", "--to", "s3"], s3), /only for p2pos blobs migrate/);
});

Deno.test("`p2pos signal` listens on 8430 unless told otherwise; relay and ICE URLs are checked", () => {
  assert.equal(parseCommandLine(["signal"], {}).config.port, 8430);
  assert.equal(parseCommandLine(["signal", "--port", "9000"], {}).config.port, 9000);
  assert.equal(parseCommandLine(["signal"], { P2POS_PORT: "9001" }).config.port, 9001);
  assert.equal(parseCommandLine(["node"], {}).config.port, 8420);
  const c = parseCommandLine([
    "--signal-url",
    "wss://relay.example.org/signal,ws://10.0.0.2:8430/signal",
    "--ice-servers",
    "stun:turn.example.org:3478,turn:turn.example.org:3478",
    "--ice-transport-policy",
    "relay",
  ], { P2POS_TURN_SECRET: "s3cret" }).config;
  assert.deepEqual(c.signalUrl, ["wss://relay.example.org/signal", "ws://10.0.0.2:8430/signal"]);
  assert.equal(c.iceTransportPolicy, "relay");
  assert.equal(c.turnSecret, "s3cret");
  assert.throws(() => parseCommandLine(["--signal-url", "https://relay/signal"], {}), SyntaxError);
  assert.throws(() => parseCommandLine(["--ice-servers", "http://x"], {}), SyntaxError);
  assert.throws(() => parseCommandLine(["--ice-transport-policy", "direct"], {}), RangeError);
});

Deno.test("Size flags count in the unit their name says, and the help shows defaults in it", () => {
  const { config } = parseCommandLine(
    ["node", "--max-json-kib", "64", "--max-blob-mib", "2", "--max-peer-json-mib", "3"],
    {},
  );
  assert.equal(config.maxJsonBytes, 64 * 1024);
  assert.equal(config.maxBlobBytes, 2 * 1024 ** 2);
  assert.equal(config.maxPeerJsonBytes, 3 * 1024 ** 2);
  assert.match(helpText(), /--max-json-kib .* KiB \(default 1024\)/);
  assert.match(helpText(), /--max-blob-mib .* MiB \(default 4096\)/);
});
