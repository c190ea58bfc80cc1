/**
 * Joining a family as a node (PROTOCOL §4). A fresh node accepts a family from
 * the node that sends it the trust records only if, once checked, they contain
 * an admin-signed node record naming this node's own key and one naming the
 * sender's key: then an admin of that family really approved this pairing, and
 * the sender really is one of its nodes.
 *
 * The records are checked in a scratch database, as the latest versions alone.
 * They are not kept: the family log must arrive whole, each record after those
 * it follows, so the node instead pins the sender as the one peer it talks to
 * until its own log names the family's nodes, and reads the sender's feed from
 * the start. A refused bootstrap leaves nothing behind.
 */

import { ForbiddenError, ValidationError } from "../core/errors.ts";
import { currentFamily } from "../core/family_kinds.ts";
import { activeNode, type NodeBody } from "../core/node_kinds.ts";
import type { KindRegistry, Origin, RecordView } from "../core/record_kinds.ts";
import type { TypedRecord } from "../core/record_kinds.ts";
import { IndexDb, RecordLog } from "../store/mod.ts";
import type { Peer } from "./peers.ts";
import { applyWithRetry } from "./record_apply.ts";

/** Kinds that establish trust; the rest of the family's records follow by the feed. */
export const TRUST_KINDS = ["family", "member", "invite", "node"];

/** Settings key of the pinned bootstrap peer. */
const PIN = "replication.bootstrap_peer";

export interface BootstrapParty {
  nodeId: string;
  /** base64url Ed25519 public key. */
  publicKey: string;
}

function check(
  view: RecordView,
  self: BootstrapParty,
  from: BootstrapParty,
): TypedRecord<NodeBody> {
  if (!currentFamily(view)) {
    throw new ValidationError("The bootstrap records contain no family");
  }
  const named = (p: BootstrapParty): TypedRecord<NodeBody> | undefined => {
    const n = activeNode(view, p.nodeId);
    return n?.body.publicKey === p.publicKey ? n : undefined;
  };
  if (!named(self)) {
    throw new ForbiddenError(
      "No admin of that family has approved this node: its records hold no node record for this node's key",
    );
  }
  const sender = named(from);
  if (!sender) {
    throw new ForbiddenError(
      "The node that sent the family is not one of its nodes: no admin-signed node record names its key",
    );
  }
  return sender;
}

/** The peer this node joined through, while its own log does not name it yet. */
export function pinnedPeer(db: IndexDb, records: RecordView): Peer | undefined {
  const raw = db.getSetting(PIN);
  if (!raw) return undefined;
  const pin = JSON.parse(raw) as Peer;
  return records.get("node", pin.nodeId) ? undefined : pin;
}

/**
 * Checks the bootstrap in a scratch database, then pins the sender: this node reads the
 * family's log from it. Throws ForbiddenError / ValidationError naming what is missing.
 */
export async function acceptBootstrap(
  deps: { db: IndexDb; records: RecordLog; kinds: KindRegistry; now: () => number },
  self: BootstrapParty,
  from: BootstrapParty,
  records: unknown[],
): Promise<{ checked: number; peer: Peer }> {
  if (currentFamily(deps.records) || deps.db.getSetting(PIN)) {
    throw new ForbiddenError("This node already belongs to a family");
  }
  const origin: Origin = { via: "peer", nodeId: from.nodeId };
  const scratch = await IndexDb.open(":memory:");
  let sender: TypedRecord<NodeBody>;
  let checked: number;
  try {
    const trial = new RecordLog(scratch, deps.kinds, deps.now, { linked: false });
    checked = applyWithRetry(trial, records, origin).stored;
    sender = check(trial, self, from);
  } finally {
    scratch.close();
  }
  const peer: Peer = {
    nodeId: sender.id,
    publicKey: sender.body.publicKey,
    url: sender.body.url,
    name: sender.body.name,
  };
  deps.db.setSetting(PIN, JSON.stringify(peer));
  return { checked, peer };
}
