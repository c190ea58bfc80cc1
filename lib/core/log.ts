/**
 * Structured logging. `getLogger("replication")` returns a logger whose debug
 * output is enabled per module with `P2POS_TRACE=replication,net` (resolved by
 * `main.ts` and passed to {@link configureLogging}).
 *
 * Never log keys, tokens or plaintext: fields are written as given.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogRecord {
  time: string;
  level: LogLevel;
  module: string;
  msg: string;
  fields?: Record<string, unknown>;
}

export type LogSink = (record: LogRecord) => void;

interface LogState {
  level: LogLevel;
  trace: Set<string>;
  sink: LogSink;
}

const defaultSink: LogSink = (r) => {
  const extra = r.fields && Object.keys(r.fields).length ? " " + JSON.stringify(r.fields) : "";
  const line = `${r.time} ${r.level.toUpperCase().padEnd(5)} [${r.module}] ${r.msg}${extra}`;
  if (r.level === "error" || r.level === "warn") console.error(line);
  else console.log(line);
};

const state: LogState = { level: "info", trace: new Set(), sink: defaultSink };

/**
 * Sets the global level, the modules traced at debug level, and optionally the sink. Returns
 * the sink it replaced (a test that listens to the log puts it back).
 */
export function configureLogging(
  options: { level?: LogLevel; trace?: string[]; sink?: LogSink },
): LogSink {
  const previous = state.sink;
  if (options.level) state.level = options.level;
  if (options.trace) state.trace = new Set(options.trace);
  if (options.sink) state.sink = options.sink;
  return previous;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function getLogger(module: string): Logger {
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    const enabled = ORDER[level] >= ORDER[state.level] ||
      (level === "debug" && state.trace.has(module));
    if (!enabled) return;
    state.sink({ time: new Date().toISOString(), level, module, msg, fields });
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}
