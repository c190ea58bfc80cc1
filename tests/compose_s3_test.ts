/**
 * compose.yaml's Cedar (issue #17) cannot run here (no Docker), so this reads it and checks
 * it against the real CLI: its command and environment parse with `parseCommandLine` into a
 * node on S3, every S3 setting comes from the environment, and no credential is in the file.
 */

import assert from "node:assert/strict";
import { parse } from "yaml";
import { parseCommandLine } from "../lib/core/config.ts";

interface Service {
  profiles?: string[];
  command: string[];
  environment?: Record<string, string>;
  ports?: string[];
}

const text = await Deno.readTextFile(new URL("../compose.yaml", import.meta.url));
const compose = parse(text, { merge: true }) as { services: Record<string, Service> };

/** Compose's `${VAR}`, `${VAR:?message}` and `${VAR:-default}`, with test values. */
const VARS: Record<string, string> = {
  P2POS_PUBLIC_URL: "https://cedar.example.org",
  P2POS_S3_ENDPOINT: "https://s3.eu-central-003.backblazeb2.com",
  P2POS_S3_BUCKET: "river-family-photos",
  P2POS_S3_ACCESS_KEY_ID: "key-id",
  P2POS_S3_SECRET_ACCESS_KEY: "secret",
};
const interpolate = (s: string) =>
  s.replace(/\$\{(\w+)(?::\?[^}]*|:-([^}]*))?\}/g, (_, name, fallback) => {
    assert.ok(name in VARS || fallback !== undefined, `\${${name}} has no value in this test`);
    return VARS[name] ?? fallback;
  });

Deno.test("compose.yaml runs Cedar with its blobs in S3, its settings from the environment", () => {
  const cedar = compose.services.cedar;
  assert.deepEqual(cedar.profiles, ["family-s3"]);
  const env = Object.fromEntries(
    Object.entries(cedar.environment ?? {}).map(([k, v]) => [k, interpolate(v)]),
  );
  const { command, config } = parseCommandLine(cedar.command.map(interpolate), env);
  assert.equal(command, "node");
  assert.equal(config.blobStore, "s3");
  assert.equal(config.s3Bucket, "river-family-photos");
  assert.equal(config.s3Prefix, "p2pos/cedar/");
  assert.equal(config.host, "0.0.0.0");
  assert.ok(cedar.ports?.includes(`${config.port}:${config.port}`));
  // Credentials only by reference, required: never a value written in the file.
  for (const name of ["P2POS_S3_ACCESS_KEY_ID", "P2POS_S3_SECRET_ACCESS_KEY"]) {
    assert.match(cedar.environment![name], new RegExp(`^\\$\\{${name}:\\?`));
  }
});
