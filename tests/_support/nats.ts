/**
 * A real NATS server (Debian `nats-server`) on 127.0.0.1 for the relay
 * cluster tests: a free port, optional user and password, no JetStream,
 * nothing on disk, always stopped.
 */

import { freePort, spawnProcess } from "./node_process.ts";

export interface NatsServer {
  /** `nats://[user:pass@]127.0.0.1:port` */
  url: string;
  port: number;
  output(): string;
  stop(): Promise<void>;
}

export async function startNats(
  options: { user?: string; pass?: string; port?: number } = {},
): Promise<NatsServer> {
  const port = options.port ?? freePort();
  const auth = options.user ? ["--user", options.user, "--pass", options.pass ?? ""] : [];
  const p = await spawnProcess(
    "nats-server",
    ["-a", "127.0.0.1", "-p", String(port), "-m", "0", ...auth],
    /Server is ready/,
    { timeoutMs: 15_000 },
  );
  const cred = options.user ? `${options.user}:${options.pass ?? ""}@` : "";
  return {
    url: `nats://${cred}127.0.0.1:${port}`,
    port,
    output: p.output,
    stop: () => p.stop("SIGKILL").then(() => {}),
  };
}
