/**
 * Test fixtures for the node-to-node API: an in-process node whose family has
 * an admin, this node's own node record and a second, "peer" node key with
 * an admin-signed node record, plus signed requests made exactly as the HTTP
 * transport makes them.
 */

import { toBase64Url } from "../../lib/crypto/mod.ts";
import type { NodeSigner } from "../../lib/core/transport.ts";
import { HttpTransport } from "../../lib/net/http_transport.ts";
import { contentDigest, signRequest } from "../../lib/net/signing.ts";
import { setupFamily, signed, type TestMember } from "./family.ts";
import { makeTestApp, type TestApp } from "./test_app.ts";
import type { ResolvedNodeConfig } from "../../lib/core/config.ts";
import { newNodeSigner } from "./node_signer.ts";

export { newNodeSigner };

export function nodeRecord(
  t: TestApp,
  admin: TestMember,
  node: NodeSigner,
  body: { name?: string; url?: string; removed?: boolean } = {},
) {
  return signed(t, admin, "node", node.nodeId, {
    publicKey: toBase64Url(node.publicKey),
    name: body.name ?? "Peer",
    removed: body.removed ?? false,
    ...(body.url ? { url: body.url } : {}),
  });
}

export interface PeerFixture {
  t: TestApp;
  admin: TestMember;
  peer: NodeSigner;
  /** The in-process app as a fetch function (for HttpTransport). */
  fetch: typeof fetch;
  /** HttpTransport of `peer` talking to the app at http://node.test. */
  transport: HttpTransport;
  /** Address of the app's node as the peer sees it. */
  target: { nodeId: string; publicKey: string; url: string };
  /** Sends a request signed by `signer` (default: the peer), with header overrides. */
  send(
    method: string,
    path: string,
    body?: Uint8Array | string,
    opts?: { signer?: NodeSigner; headers?: Record<string, string>; now?: number },
  ): Promise<Response>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function peerFixture(config: Partial<ResolvedNodeConfig> = {}): Promise<PeerFixture> {
  // The node's public URL is the address in its node record, as on a real node.
  const t = await makeTestApp({ publicUrl: "http://node.test", ...config });
  const admin = await setupFamily(t);
  const peer = await newNodeSigner();
  t.records.apply([
    signed(t, admin, "node", t.nodeKey.nodeId, {
      publicKey: toBase64Url(t.nodeKey.publicKey),
      name: "Oak",
      removed: false,
      url: "http://node.test",
    }),
    nodeRecord(t, admin, peer, { name: "Pine" }),
  ], { via: "api", sessionMember: admin.key });
  const fetchApp =
    ((input: string | URL | Request, init?: RequestInit) =>
      Promise.resolve(t.app.request(String(input), init))) as typeof fetch;
  const target = {
    nodeId: t.nodeKey.nodeId,
    publicKey: toBase64Url(t.nodeKey.publicKey),
    url: "http://node.test",
  };
  return {
    t,
    admin,
    peer,
    fetch: fetchApp,
    transport: new HttpTransport(peer, { fetch: fetchApp }),
    target,
    async send(method, path, body, opts = {}) {
      const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
      const signedHeaders = await signRequest(opts.signer ?? peer, {
        method,
        target: path,
        to: t.nodeKey.nodeId,
        digest: contentDigest(bytes ?? new Uint8Array(0)),
      }, { now: opts.now });
      const headers: Record<string, string> = { ...signedHeaders, ...opts.headers };
      if (bytes && !headers["content-type"]) headers["content-type"] = "application/json";
      return await t.app.request(`http://node.test${path}`, {
        method,
        headers,
        body: bytes as BodyInit | undefined,
      });
    },
    [Symbol.asyncDispose]: () => t[Symbol.asyncDispose](),
  };
}
