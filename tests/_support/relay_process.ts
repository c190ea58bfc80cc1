/**
 * Starts `main.ts signal` (the relay alone) as a child process on 127.0.0.1,
 * waits for it to listen, and stops it. A fixed `port` lets a test start it
 * again where the nodes expect it.
 */

import { spawnMain } from "./node_process.ts";

export interface RelayProcess {
  url: string;
  port: number;
  pid: number;
  output(): string;
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

export async function startRelayProcess(
  options: { port?: number; args?: string[]; env?: Record<string, string> } = {},
): Promise<RelayProcess> {
  const p = await spawnMain(
    ["signal", "--host", "127.0.0.1", "--port", String(options.port ?? 0), ...(options.args ?? [])],
    /listening on (ws:\/\/127\.0\.0\.1:(\d+)\/signal)/,
    options,
  );
  return {
    url: p.match[1],
    port: Number(p.match[2]),
    pid: p.pid,
    output: p.output,
    stop: p.stop,
  };
}
