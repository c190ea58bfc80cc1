/**
 * `p2pos signal`: the relay as its own process — the WebSocket on
 * `/signal` and `GET /health` for probes, nothing else.
 */

import { SIGNAL_PATH } from "../lib/net/signal_protocol.ts";
import { type RelayOptions, SignalRelay } from "./relay.ts";

export interface RelayServer {
  relay: SignalRelay;
  /** `ws://host:port/signal` */
  url: string;
  port: number;
  finished: Promise<void>;
  shutdown(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The relay's own routes: the WebSocket, `/health`, and a 404 that says what this is. */
export function relayHandler(
  relay: SignalRelay,
  version?: string,
): (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Response {
  return (req, info) => {
    const path = new URL(req.url).pathname;
    if (path === SIGNAL_PATH) return relay.handle(req, info.remoteAddr.hostname);
    if (path === "/health") {
      return Response.json({ status: "ok", role: "signal", version, ...relay.stats() });
    }
    return Response.json(
      {
        error: {
          code: "not_found",
          message: `This is a p2pos signaling relay: nodes connect to ${SIGNAL_PATH}`,
        },
      },
      { status: 404 },
    );
  };
}

export async function serveRelay(
  listen: { host: string; port: number; cert?: string; key?: string },
  options: RelayOptions & { version?: string; signal?: AbortSignal } = {},
): Promise<RelayServer> {
  const relay = new SignalRelay(options);
  let listening!: (addr: Deno.NetAddr) => void;
  const addr = new Promise<Deno.NetAddr>((r) => (listening = r));
  const server = Deno.serve({
    hostname: listen.host,
    port: listen.port,
    signal: options.signal,
    ...(listen.cert && listen.key ? { cert: listen.cert, key: listen.key } : {}),
    onListen: (a) => listening(a as Deno.NetAddr),
  }, relayHandler(relay, options.version));
  const { hostname, port } = await addr;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const shutdown = async () => {
    relay.close();
    await server.shutdown();
  };
  return {
    relay,
    url: `${listen.cert ? "wss" : "ws"}://${host}:${port}${SIGNAL_PATH}`,
    port,
    finished: server.finished,
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}
