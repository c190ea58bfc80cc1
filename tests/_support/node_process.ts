/**
 * Starts a real p2pos node as a child process on 127.0.0.1 with its own temp
 * data dir, waits for it to listen, and stops it (SIGTERM, or SIGKILL for
 * crash tests). Tests always stop what they start.
 */

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

/** A child `main.ts` process that printed its "listening on" line. */
export interface Listening {
  match: RegExpExecArray;
  pid: number;
  output(): string;
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** A port free right now on 127.0.0.1 (for a process a test restarts at the same address). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Runs `main.ts <args>` and waits until its output matches `listening`. */
export function spawnMain(
  args: string[],
  listening: RegExp,
  options: { env?: Record<string, string>; denoArgs?: string[]; timeoutMs?: number } = {},
): Promise<Listening> {
  return spawnProcess(
    Deno.execPath(),
    ["run", "--allow-all", ...(options.denoArgs ?? []), MAIN, ...args],
    listening,
    { ...options, env: { NO_COLOR: "1", ...options.env } },
  );
}

/** Runs `cmd`, collecting its output, and waits until the output matches `ready`. */
export async function spawnProcess(
  cmd: string,
  args: string[],
  ready: RegExp,
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Listening> {
  const child = new Deno.Command(cmd, {
    args,
    env: options.env,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();

  let text = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited: Deno.CommandStatus | undefined;
  const statusPromise = child.status.then((s) => (exited = s));

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let match: RegExpExecArray | null = null;
  while (!(match = ready.exec(text))) {
    if (exited) throw new Error(`Process exited with ${exited.code} before listening:\n${text}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await statusPromise;
      throw new Error(`Process did not listen within the time limit:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    match,
    pid: child.pid,
    output: () => text,
    async stop(signal: Deno.Signal = "SIGTERM") {
      if (!exited) {
        try {
          child.kill(signal);
        } catch { /* already gone */ }
      }
      const status = await statusPromise;
      await pumps.catch(() => {});
      return status;
    },
  };
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
    setupCode: setup?.[1],
    output: p.output,
    stop: p.stop,
  };
}
