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
