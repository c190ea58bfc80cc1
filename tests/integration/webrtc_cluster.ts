/**
 * Fixtures for the WebRTC integration tests: nodes behind "NAT" (no URL the
 * other can reach) paired through a relay, and small helpers shared by them.
 */

import { type Admin, createFamily, pairNode } from "../../demo.ts";
import type { NodeProcess } from "../_support/node_process.ts";
import type { Rig } from "../_support/rig.ts";
export { freePort } from "../_support/node_process.ts";
import { blobFiles, recordsOf, waitFor } from "./replication_cluster.ts";

/** A URL nothing listens on: what another house's private address is to this one. */
export const DEAD_URL = "http://127.0.0.1:9";

/**
 * Oak and Pine with `env` (a relay URL…), started in `rig`: Oak's record names an address
 * Pine cannot reach, Pine's join code names none. The data channel is their only path.
 */
export async function pairBehindNat(
  rig: Rig,
  env: Record<string, string>,
  own: { oak?: Record<string, string>; pine?: Record<string, string> } = {},
): Promise<{ oak: NodeProcess; pine: NodeProcess; admin: Admin }> {
  const [oak, pine] = await Promise.all([
    rig.node({ env: { ...env, ...own.oak } }),
    rig.node({ env: { ...env, ...own.pine } }),
  ]);
  const admin = await createFamily(
    { url: oak.url, setupCode: oak.setupCode! },
    { family: "River", founder: "Alice", node: "Oak" },
    undefined,
    DEAD_URL,
  );
  await pairNode(admin, oak.url, { url: pine.url, setupCode: pine.setupCode! }, "Pine");
  return { oak, pine, admin };
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

/** Waits until `node` stores blob `id`, then reads its bytes from disk. */
export async function blobOn(
  node: NodeProcess,
  id: string,
  timeoutMs: number,
): Promise<Uint8Array> {
  await waitFor(
    `blob ${id.slice(0, 8)} on ${node.url}`,
    async () => (await blobFiles(node.dataDir)).has(id),
    timeoutMs,
    200,
  );
  return await Deno.readFile(`${node.dataDir}/blobs/${id.slice(0, 2)}/${id.slice(2, 4)}/${id}`);
}

/** Waits until both nodes hold the same record versions. */
export async function sameRecords(a: NodeProcess, b: NodeProcess, timeoutMs = 60_000) {
  await waitFor(
    "the same records on both nodes",
    () => {
      const ra = recordsOf(a.dataDir);
      const rb = recordsOf(b.dataDir);
      return Promise.resolve(ra.size === rb.size && [...ra].every(([k, v]) => rb.get(k) === v));
    },
    timeoutMs,
    250,
  );
}
