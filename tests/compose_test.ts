/**
 * compose.yaml (issue #11) cannot run here (no Docker), so this reads it and
 * checks it against the real CLI: every p2pos service's command parses with
 * `parseCommandLine`, listens on all interfaces on a port it publishes, and the
 * operator stack's relay, coturn and the family's node agree on ports, paths and
 * the TURN secret's variable.
 */

import assert from "node:assert/strict";
import { parse } from "yaml";
import { parseCommandLine } from "../lib/core/config.ts";
import { SIGNAL_PATH } from "../lib/net/signal_protocol.ts";

interface Service {
  image: string;
  profiles?: string[];
  entrypoint?: string[];
  command: string[];
  environment?: Record<string, string>;
  ports?: string[];
}

const text = await Deno.readTextFile(new URL("../compose.yaml", import.meta.url));
const compose = parse(text, { merge: true }) as { services: Record<string, Service> };
const { signal, coturn, node, nats } = compose.services;
const signal2 = compose.services["signal-2"];

/** Compose's `${VAR}` / `${VAR:?message}` interpolation, with test values. */
const VARS: Record<string, string> = {
  TURN_HOST: "turn.example.org",
  TURN_SECRET: "0123456789abcdef",
  P2POS_SIGNAL_URL: `wss://signal.example.org${SIGNAL_PATH}`,
  NATS_PASSWORD: "fedcba9876543210",
  P2POS_SIGNAL_BUS: "nats://relay:fedcba9876543210@nats:4222",
};
function interpolate(s: string): string {
  return s.replace(/\$\{(\w+)(?::[?-][^}]*)?\}/g, (_, name) => {
    assert.ok(name in VARS, `compose.yaml uses \${${name}}, unknown to this test`);
    return VARS[name];
  });
}
const cli = (s: Service) =>
  parseCommandLine(
    s.command.map(interpolate),
    Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(v)])),
  );

function published(s: Service): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of s.ports ?? []) {
    const m = /^(\d+)(?:-(\d+))?:(\d+)(?:-(\d+))?(\/(tcp|udp))?$/.exec(p);
    assert.ok(m, `port mapping "${p}"`);
    const [host, hostEnd, inside] = [Number(m[1]), Number(m[2] ?? m[1]), Number(m[3])];
    for (let i = 0; i <= hostEnd - host; i++) out.set(inside + i, host + i);
  }
  return out;
}

Deno.test("compose.yaml splits the operator stack (signal, coturn) from the family stack (node)", () => {
  // (cedar, profile family-s3, is checked by compose_s3_test.ts)
  assert.deepEqual(
    Object.keys(compose.services).sort(),
    ["cedar", "coturn", "nats", "node", "signal", "signal-2"],
  );
  assert.deepEqual(signal.profiles, ["operator"]);
  assert.deepEqual(signal2.profiles, ["operator-cluster"]);
  assert.deepEqual(nats.profiles, ["operator-cluster"]);
  assert.deepEqual(coturn.profiles, ["operator"]);
  assert.deepEqual(node.profiles, ["family"]);
  assert.doesNotMatch(text, /TURN_SECRET:\s*["']?\w{8,}/, "no secret is written in the file");
});

Deno.test("compose.yaml: each p2pos service's command is one the CLI accepts, on a port it publishes", () => {
  for (
    const [name, s, command] of [
      ["signal", signal, "signal"],
      ["signal-2", signal2, "signal"],
      ["node", node, "node"],
    ] as const
  ) {
    assert.equal(s.entrypoint?.at(-1), "main.ts", name);
    assert.ok(s.entrypoint!.includes("--allow-sys=networkInterfaces"), `${name}: werift needs it`);
    const parsed = cli(s);
    assert.equal(parsed.command, command, name);
    assert.equal(parsed.config.host, "0.0.0.0", `${name} listens on every interface`);
    assert.equal(
      published(s).get(parsed.config.port),
      parsed.config.port,
      `${name} publishes its port`,
    );
  }
  assert.equal(cli(signal).config.turnSecret, VARS.TURN_SECRET);
  assert.equal(cli(node).config.dataDir, "/data");
});

Deno.test("compose.yaml: relay, coturn and node agree on the TURN port, the secret and the relay URL", () => {
  const flags = new Map(
    coturn.command.map(interpolate).filter((a) => a.startsWith("--")).map((a) => {
      const [k, v] = a.split("=");
      return [k, v] as const;
    }),
  );
  const turnPort = Number(flags.get("--listening-port"));
  assert.deepEqual(cli(signal).config.turnUrls, [`turn:${VARS.TURN_HOST}:${turnPort}`]);
  assert.ok(flags.has("--use-auth-secret"), "coturn checks REST credentials");
  assert.equal(flags.get("--static-auth-secret"), cli(signal).config.turnSecret);
  const ports = published(coturn);
  assert.equal(ports.get(turnPort), turnPort, "coturn's listening port is published");
  for (let p = Number(flags.get("--min-port")); p <= Number(flags.get("--max-port")); p++) {
    assert.equal(ports.get(p), p, `relay port ${p} is published`);
  }
  const nodeConfig = cli(node).config;
  assert.ok(nodeConfig.signalUrl[0].endsWith(SIGNAL_PATH), "the node dials the relay's path");
  assert.ok(nodeConfig.iceServers.includes(`turn:${VARS.TURN_HOST}:${turnPort}`));
  assert.equal(published(signal).get(cli(signal).config.port), 8430);
});

Deno.test("compose.yaml: the relay instances share the NATS service, which needs a password and stays off the host", () => {
  const bus = cli(signal2).config.signalBus;
  assert.equal(bus.length, 1);
  const url = new URL(bus[0]);
  assert.equal(url.hostname, "nats", "the bus is the Compose service");
  const flags = nats.command.map(interpolate);
  const flag = (name: string) => flags[flags.indexOf(name) + 1];
  assert.equal(url.port, flag("--port"));
  assert.equal(decodeURIComponent(url.username), flag("--user"));
  assert.equal(decodeURIComponent(url.password), flag("--pass"), "the relays use NATS's password");
  assert.equal(nats.ports, undefined, "NATS is not published on the host");
  // The first instance joins the same bus when the operator sets P2POS_SIGNAL_BUS.
  assert.deepEqual(cli(signal).config.signalBus, bus);
  assert.notEqual(cli(signal).config.port, cli(signal2).config.port);
  assert.doesNotMatch(text, /NATS_PASSWORD:\s*["']?\w{8,}/, "no password is written in the file");
});
