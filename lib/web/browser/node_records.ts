/**
 * New versions of node records, signed in this browser by an admin: a node renamed, moved to
 * another address or removed. Each builds on the node's latest record as this node has it.
 *
 * @module
 */

import { api } from "./api.ts";
import { makeSignedRecord, postRecords } from "./records.ts";

interface NodeRecordBody {
  url?: string;
  name: string;
  removed: boolean;
  [field: string]: unknown;
}

interface NodesResponse {
  self: { nodeId: string; record?: { body: NodeRecordBody } };
  peers: { nodeId: string; record?: { body: NodeRecordBody } }[];
}

/** The node's latest record body; throws when it is no longer in the family. */
async function currentBody(nodeId: string, name: string): Promise<NodeRecordBody> {
  const nodes = await api<NodesResponse>("GET", "/v1/nodes");
  const record = nodes.self.nodeId === nodeId
    ? nodes.self.record
    : nodes.peers.find((p) => p.nodeId === nodeId)?.record;
  if (!record || record.body.removed) throw new Error(`${name} is no longer in the family.`);
  return record.body;
}

/** Signs and stores the node's record with a new name and address (none: it dials out). */
export async function renameOrMoveNode(
  nodeId: string,
  was: string,
  name: string,
  url: string | undefined,
): Promise<void> {
  const { url: _old, ...rest } = await currentBody(nodeId, was);
  await postRecords([
    await makeSignedRecord("node", nodeId, { ...rest, name, ...(url ? { url } : {}) }),
  ]);
}

/** Signs and stores the node's record with `removed: true`: every node then refuses it. */
export async function removeNode(nodeId: string, name: string): Promise<void> {
  const body = await currentBody(nodeId, name);
  await postRecords([await makeSignedRecord("node", nodeId, { ...body, removed: true })]);
}
