/**
 * Test fixtures for the node-to-node API: an in-process node whose family has
 * an admin, this node's own node record and a second, "peer" node key with
 * an admin-signed node record, plus signed requests made exactly as the HTTP
 * transport makes them.
 */

import { ed25519 } from "@noble/curves/ed25519.js";
import { toBase64Url } from "../../crypto/mod.ts";
import { nodeIdFromPublicKey } from "../../core/node_id.ts";
import type { NodeSigner } from "../../core/transport.ts";
import { HttpTransport } from "../../net/http_transport.ts";
import { contentDigest, signRequest } from "../../net/signing.ts";
import { setupFamily, signed, type TestMember } from "../../../tests/_support/family.ts";
import { makeTestApp, type TestApp } from "../../../tests/_support/test_app.ts";
import type { ResolvedNodeConfig } from "../../core/config.ts";

export async function newNodeSigner(): Promise<NodeSigner> {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const publicKey = ed25519.getPublicKey(seed);
  return {
    nodeId: await nodeIdFromPublicKey(publicKey),
    publicKey,
    sign: (m) => ed25519.sign(m, seed),
  };
}

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
