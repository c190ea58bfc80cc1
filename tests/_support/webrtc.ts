/**
 * In-process WebRTC fixtures: a real relay on 127.0.0.1 and "nodes" made of a
 * node key, a relay client and a link manager (real werift), answering
 * requests with a small handler. Everything is stopped by `dispose`.
 */

import { toBase64Url } from "../../lib/crypto/mod.ts";
import type { NodeSigner } from "../../lib/core/transport.ts";
import { newNodeSigner as newSigner } from "./node_signer.ts";
import { SignalClient } from "../../lib/net/signal_client.ts";
import { type IceConfig, LinkManager } from "../../lib/net/webrtc_links.ts";
import { workerRtcPeer } from "../../lib/net/worker_rtc_peer.ts";
import { SessionRefusedError, SessionVerifier } from "../../lib/net/webrtc_session.ts";
import { type RelayOptions, type RelayServer, serveRelay } from "../../signal/mod.ts";

export { newSigner };

export function startRelay(options: RelayOptions = {}): Promise<RelayServer> {
  return serveRelay({ host: "127.0.0.1", port: 0 }, options);
}

export const LOOPBACK_ICE: IceConfig = {
  iceServers: [],
  iceTransportPolicy: "all",
  loopback: true,
};

export interface TestNode {
  signer: NodeSigner;
  links: LinkManager;
  signal: SignalClient;
  /** Node id → base64url key: the "family" this node trusts. */
  family: Map<string, string>;
  refused: { from: string; code: string }[];
  stop(): void;
}

export async function startTestNode(
  relayUrl: string | string[],
  options: {
    /** Peer connections per peer. @default 1 */
    lanes?: number;
    /** Run werift in Workers (worker_rtc_peer.ts). @default false */
    workers?: boolean;
    signer?: NodeSigner;
    ice?: IceConfig;
    handler?: (req: Request) => Promise<Response>;
    acceptStrangers?: boolean;
  } = {},
): Promise<TestNode> {
  const signer = options.signer ?? await newSigner();
  const family = new Map<string, string>([[signer.nodeId, toBase64Url(signer.publicKey)]]);
  const refused: TestNode["refused"] = [];
  const links = new LinkManager({
    signer,
    verifier: new SessionVerifier({
      selfId: signer.nodeId,
      keyOf: (id) => family.get(id),
      acceptStrangers: () => options.acceptStrangers === true,
    }),
    handler: options.handler ??
      ((req) => Promise.resolve(Response.json({ path: new URL(req.url).pathname }))),
    ice: options.ice ?? LOOPBACK_ICE,
    onRefused: (from, err: SessionRefusedError) => refused.push({ from, code: err.code }),
    newPeer: options.workers ? workerRtcPeer : undefined,
  }, {
    connectTimeoutMs: 20_000,
    backoffBaseMs: 200,
    backoffMaxMs: 1_000,
    lanes: options.lanes ?? 1,
  });
  const signal = new SignalClient({
    urls: typeof relayUrl === "string" ? [relayUrl] : relayUrl,
    signer,
    onSignal: (from, data) => links.onSignal(from, data),
    onError: (code, message, to) => links.onRelayError(code, message, to),
    onState: (up) => links.onRelayState(up),
    backoffBaseMs: 100,
    backoffMaxMs: 1_000,
  });
  links.attach(signal);
  signal.start();
  return {
    signer,
    links,
    signal,
    family,
    refused,
    stop() {
      links.close();
      signal.stop();
    },
  };
}

/** Makes each node trust the others' keys (as admin-signed node records would). */
export function befriend(...nodes: TestNode[]): void {
  for (const a of nodes) {
    for (const b of nodes) a.family.set(b.signer.nodeId, toBase64Url(b.signer.publicKey));
  }
}

/** Polls `check` every 25 ms until it returns something truthy; throws after `ms`. */
export async function until<T>(what: string, check: () => T | undefined | false, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`Timed out waiting for ${what}`);
}
