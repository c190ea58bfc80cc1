import assert from "node:assert/strict";
import { DEFAULTS, helpText, parseCommandLine } from "./config.ts";

Deno.test("Replication settings default to the documented values (failed jobs retried after 120 s)", () => {
  assert.equal(DEFAULTS.repFailedRetryAfterSecs, 120);
  assert.equal(DEFAULTS.repSyncIntervalSecs, 30);
  assert.equal(DEFAULTS.repMaxTransfers, 4);
  assert.equal(DEFAULTS.maxPeerJsonBytes, 16 * 1024 * 1024);
  assert.match(helpText(), /P2POS_REP_FAILED_RETRY_AFTER_SECS/);
});

Deno.test("Replication settings come from P2POS_REP_* and flags, fractions of seconds allowed", () => {
  const env = { P2POS_REP_FAILED_RETRY_AFTER_SECS: "5", P2POS_REP_SYNC_INTERVAL_SECS: "0.5" };
  const { config } = parseCommandLine(["--rep-max-transfers", "8"], env);
  assert.equal(config.repFailedRetryAfterSecs, 5);
  assert.equal(config.repSyncIntervalSecs, 0.5);
  assert.equal(config.repMaxTransfers, 8);
});

Deno.test("Replication settings refuse zero, negatives and words, naming the variable", () => {
  assert.throws(
    () => parseCommandLine([], { P2POS_REP_FAILED_RETRY_AFTER_SECS: "0" }),
    /P2POS_REP_FAILED_RETRY_AFTER_SECS must be a positive number of seconds/,
  );
  assert.throws(() => parseCommandLine(["--rep-sync-interval-secs", "-1"], {}), /positive/);
  assert.throws(() => parseCommandLine(["--rep-max-transfers", "0"], {}), /1 to 64/);
  assert.throws(() => parseCommandLine(["--rep-max-transfers", "many"], {}), /1 to 64/);
});

Deno.test("Proof rounds default to one a minute, every copy within a day, 256 MiB a minute", () => {
  assert.equal(DEFAULTS.repProofIntervalSecs, 60);
  assert.equal(DEFAULTS.repReverifyAfterSecs, 86_400);
  assert.equal(DEFAULTS.repProofBytesPerMin, 256 * 1024 ** 2);
  const { config } = parseCommandLine(["--rep-proof-mib-per-min", "32"], {});
  assert.equal(config.repProofBytesPerMin, 32 * 1024 ** 2);
  assert.equal(
    parseCommandLine([], { P2POS_REP_PROOF_MIB_PER_MIN: "8" }).config.repProofBytesPerMin,
    8 * 1024 ** 2,
  );
  assert.throws(() => parseCommandLine(["--rep-proof-mib-per-min", "0"], {}), /positive/);
  assert.match(helpText(), /--rep-proof-mib-per-min .*\(default 256\)/);
});
