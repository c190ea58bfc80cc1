/**
 * Joining a family as a node (PROTOCOL §4). A fresh node accepts the records
 * a family node hands it only if, once applied, they contain an admin-signed
 * node record naming this node's own key and one naming the sender's key:
 * then an admin of that family really approved this pairing, and the sender
 * really is one of its nodes. The records are first applied to a scratch
 * database, so a refused bootstrap leaves nothing behind.
 */

import { ForbiddenError, ValidationError } from "../core/errors.ts";
import { currentFamily } from "../core/family_kinds.ts";
import { activeNode, type NodeBody } from "../core/node_kinds.ts";
import type { KindRegistry, Origin, RecordView } from "../core/record_kinds.ts";
import type { TypedRecord } from "../core/record_kinds.ts";
import { IndexDb, RecordLog } from "../store/mod.ts";
import { applyWithRetry } from "./record_apply.ts";

/** Kinds that establish trust; the rest of the family's records follow by the feed. */
export const TRUST_KINDS = ["family", "member", "invite", "node"];

export interface BootstrapParty {
  nodeId: string;
  /** base64url Ed25519 public key. */
  publicKey: string;
}

function check(view: RecordView, self: BootstrapParty, from: BootstrapParty): void {
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
  if (!named(from)) {
    throw new ForbiddenError(
      "The node that sent the family is not one of its nodes: no admin-signed node record names its key",
    );
  }
}

/**
 * Checks the bootstrap in a scratch database, then applies it for real.
 * Throws ForbiddenError / ValidationError naming what is missing.
 */
export async function acceptBootstrap(
  deps: { records: RecordLog; kinds: KindRegistry; now: () => number },
  self: BootstrapParty,
  from: BootstrapParty,
  records: unknown[],
): Promise<{ stored: number }> {
  if (currentFamily(deps.records)) {
    throw new ForbiddenError("This node already belongs to a family");
  }
  const origin: Origin = { via: "peer", nodeId: from.nodeId };
  const scratch = await IndexDb.open(":memory:");
  try {
    const trial = new RecordLog(scratch, deps.kinds, deps.now);
    applyWithRetry(trial, records, origin);
    check(trial, self, from);
  } finally {
    scratch.close();
  }
  const outcome = applyWithRetry(deps.records, records, origin);
  check(deps.records, self, from);
  return { stored: outcome.stored };
}
