/**
 * Starts a real p2pos node as a child process on 127.0.0.1 with its own temp
 * data dir, waits for it to listen, and stops it (SIGTERM, or SIGKILL for
 * crash tests). Tests always stop what they start. Processes are started and
 * watched by demo/processes.ts, which the demo and the benchmarks use too.
 */

import { type Listening, NODE_V8_FLAGS, spawnProcess } from "../../demo/processes.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

export interface NodeProcess {
  url: string;
  port: number;
  dataDir: string;
  /** Everything the node printed so far (stdout and stderr). */
  output(): string;
  /** The setup code printed at start, when the node has no family yet. */
  setupCode?: string;
  nodeId: string;
  /** The node's process id (for tests that pause it with SIGSTOP/SIGCONT). */
  pid: number;
  /** Settles when the process exits, by itself (a fault point) or stopped. */
  exited: Promise<Deno.CommandStatus>;
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

export interface StartOptions {
  dataDir?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Flags for `deno run` itself, e.g. `--inspect` for a profiling bench. */
  denoArgs?: string[];
  /** @default 60_000 */
  timeoutMs?: number;
}

export { freePort, type Listening, spawnProcess } from "../../demo/processes.ts";

/** Runs `main.ts <args>` and waits until its output matches `listening`. */
export function spawnMain(
  args: string[],
  listening: RegExp,
  options: { env?: Record<string, string>; denoArgs?: string[]; timeoutMs?: number } = {},
): Promise<Listening> {
  return spawnProcess(
    Deno.execPath(),
    // As a node is run (the V8 flags of `deno task start`), with every permission.
    ["run", "--allow-all", ...NODE_V8_FLAGS, ...(options.denoArgs ?? []), MAIN, ...args],
    listening,
    { ...options, env: { NO_COLOR: "1", ...options.env } },
  );
}

export async function startNode(options: StartOptions = {}): Promise<NodeProcess> {
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "p2pos-node-" });
  const p = await spawnMain(
    [
      "node",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--data-dir",
      dataDir,
      ...(options.args ?? []),
    ],
    /listening on (https?:\/\/127\.0\.0\.1:(\d+))/,
    options,
  );
  const text = p.output();
  const setup = /Setup code: ([A-Z0-9-]{14})/.exec(text);
  const nodeId = /Node id:\s+([A-Z2-7-]{63})/.exec(text)?.[1] ?? "";
  return {
    url: p.match[1],
    port: Number(p.match[2]),
    dataDir,
    nodeId,
    pid: p.pid,
    exited: p.child.status,
    setupCode: setup?.[1],
    output: p.output,
    stop: p.stop,
  };
}
