/**
 * A real coturn (Debian `coturn`, `/usr/bin/turnserver`) on 127.0.0.1 for the
 * TURN tests: REST credentials (`use-auth-secret`), loopback peers allowed
 * (DESIGN §2), nothing written outside a temp dir, always stopped.
 */

import { freePort, spawnProcess } from "./node_process.ts";

export interface Coturn {
  url: string;
  secret: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startCoturn(): Promise<Coturn> {
  const port = freePort();
  const secret = crypto.randomUUID();
  const dir = await Deno.makeTempDir({ prefix: "p2pos-coturn-" });
  const relayBase = 40_000 + Math.floor(Math.random() * 200) * 100;
  const p = await spawnProcess(
    "turnserver",
    [
      "-n",
      "--listening-ip=127.0.0.1",
      "--relay-ip=127.0.0.1",
      `--listening-port=${port}`,
      `--min-port=${relayBase}`,
      `--max-port=${relayBase + 99}`,
      "--use-auth-secret",
      `--static-auth-secret=${secret}`,
      "--realm=p2pos.test",
      "--allow-loopback-peers",
      "--no-cli",
      "--no-tls",
      "--no-dtls",
      "--no-tcp-relay",
      `--pidfile=${dir}/turnserver.pid`,
      `--userdb=${dir}/turndb`,
      "--log-file=stdout",
      "--simple-log",
    ],
    /listener opened on|Total General servers/i,
    { timeoutMs: 15_000 },
  );
  return {
    url: `turn:127.0.0.1:${port}`,
    secret,
    output: p.output,
    async stop() {
      await p.stop("SIGKILL");
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
