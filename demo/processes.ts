/**
 * Child processes that print a line when ready (a node's "listening on …", a relay's, coturn's):
 * started, watched until that line, and stopped. The demo, the benchmarks and the tests
 * (tests/_support/node_process.ts) all start their processes through here.
 */

/** A child process that printed the line it was waited for. */
export interface Listening {
  /** What the `ready` pattern matched. */
  match: RegExpExecArray;
  pid: number;
  child: Deno.ChildProcess;
  /** Everything it printed so far (stdout and stderr), or its start and a bounded tail. */
  output(): string;
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

export interface SpawnProcessOptions {
  env?: Record<string, string>;
  /** @default 60_000 */
  timeoutMs?: number;
  /** Past this many characters the output keeps its start-up text and then a bounded tail. */
  maxOutput?: number;
  /** Called with what the process prints once it is ready. */
  onOutput?: (text: string) => void;
}

/** A port free right now on 127.0.0.1 (for a process restarted at the same address). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Runs `cmd`, collecting its output, and waits until the output matches `ready`; a process
 * that exits first or misses the time limit fails with its output (and is killed).
 */
export async function spawnProcess(
  cmd: string,
  args: string[],
  ready: RegExp,
  options: SpawnProcessOptions = {},
): Promise<Listening> {
  const child = new Deno.Command(cmd, {
    args,
    env: options.env,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();

  let text = "";
  let listening = false;
  const max = options.maxOutput ?? Infinity;
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      const s = decoder.decode(chunk, { stream: true });
      text = text.length > max ? text.slice(-Math.floor(max / 2)) + s : text + s;
      if (listening) options.onOutput?.(s);
    }
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
  listening = true;
  return {
    match,
    pid: child.pid,
    child,
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

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** A node started by {@link spawnNode}. */
export interface Running {
  name: string;
  url: string;
  nodeId: string;
  setupCode?: string;
  child: Deno.ChildProcess;
  output: () => string;
}

export interface SpawnOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  env?: Record<string, string>;
  /** Once started, echo the node's output prefixed with this name. */
  echoAs?: string;
}

/**
 * The Deno flags a node runs with, the same everywhere (`deno task start`, `dev` and `compile` in
 * deno.json, compose.yaml, the demo, the tests; tests/node_flags_test.ts holds them together):
 * - its permissions, not -A; `--allow-ffi` so the libwebrtc engine's addon may load (native code:
 *   docs/SECURITY.md); without it `--webrtc-engine auto` runs werift;
 * - V8's young generation capped at 1 MiB a semi-space: what a transfer leaves for the garbage
 *   collector is mostly 64 KiB buffers held outside V8's heap until a scavenge, and a smaller young
 *   generation scavenges sooner. A node replicating a 1 GiB blob peaks far lower for it
 *   (docs/BENCHMARKS.md, issue #12).
 */
export const NODE_RUN_FLAGS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-sys=networkInterfaces",
  "--allow-ffi",
  "--v8-flags=--max-semi-space-size=1",
];

/** {@link NODE_RUN_FLAGS}' V8 flags alone, for processes given other permissions (tests: -A). */
export const NODE_V8_FLAGS = NODE_RUN_FLAGS.filter((f) => f.startsWith("--v8-flags="));

/** Starts `main.ts node` with the permissions it needs as a child process; waits until it listens. */
export async function spawnNode(o: SpawnOptions): Promise<Running> {
  const p = await spawnProcess(
    Deno.execPath(),
    [
      "run",
      ...NODE_RUN_FLAGS,
      // Extra `deno run` flags, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile nodes; after
      // NODE_RUN_FLAGS, so that a bench's `--v8-flags=…` replaces theirs (the last one counts).
      ...(Deno.env.get("P2POS_DEMO_DENO_FLAGS")?.split(" ").filter(Boolean) ?? []),
      MAIN,
      "node",
      "--host",
      "127.0.0.1",
      "--port",
      String(o.port),
      "--data-dir",
      o.dataDir,
    ],
    /listening on (http:\/\/127\.0\.0\.1:\d+)/,
    {
      env: { NO_COLOR: "1", ...o.env },
      timeoutMs: 120_000,
      maxOutput: 1 << 20,
      onOutput: o.echoAs
        ? (s) => {
          for (const line of s.split("\n").filter(Boolean)) console.log(`  [${o.echoAs}] ${line}`);
        }
        : undefined,
    },
  );
  const text = p.output();
  return {
    name: o.echoAs ?? "",
    url: p.match[1],
    nodeId: /Node id:\s+([A-Z2-7-]{63})/.exec(text)?.[1] ?? "",
    setupCode: /Setup code: ([A-Z0-9-]{14})/.exec(text)?.[1],
    child: p.child,
    output: p.output,
  };
}
