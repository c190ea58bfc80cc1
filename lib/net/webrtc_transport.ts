/**
 * The WebRTC transport (DESIGN §8, docs/PROTOCOL.md §8.4): exactly the signed
 * `/internal/v1` requests of the HTTP transport, sent through a data-channel
 * link instead of a TCP connection. It is an {@link HttpTransport} whose
 * "origin" for a peer is its link: signing, answer verification, error
 * mapping and size caps are the same code, so the two paths cannot drift
 * apart in what they send or accept.
 */

import type { NodeSigner, PeerAddress } from "../core/transport.ts";
import { HttpTransport } from "./http_transport.ts";
import type { Links } from "./webrtc_links.ts";

const PREFIX = "p2pos-link://";

export function webrtcTransport(
  signer: NodeSigner,
  links: Links,
  options: { timeoutMs?: number; maxResponseBytes?: number } = {},
): HttpTransport {
  const fetchOverLink = async (input: string | URL | Request, init?: RequestInit) => {
    const s = String(input);
    const slash = s.indexOf("/", PREFIX.length);
    const nodeId = s.slice(PREFIX.length, slash);
    const link = await links.connect({ nodeId } as PeerAddress);
    return await link.fetch(s.slice(slash), {
      method: init?.method ?? "GET",
      headers: init?.headers as Record<string, string> | undefined,
      body: init?.body as Uint8Array | ReadableStream<Uint8Array> | null | undefined,
      signal: init?.signal ?? undefined,
    });
  };
  return new HttpTransport(signer, {
    ...options,
    path: "webrtc",
    // Any family node may be reached through the relay: whether it is there shows on use.
    origin: (peer) => `${PREFIX}${peer.nodeId}`,
    fetch: fetchOverLink as typeof fetch,
  });
}
