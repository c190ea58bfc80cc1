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
