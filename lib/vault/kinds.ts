/**
 * Every record kind this node accepts: the trust group's (family, member,
 * invite, family key, node, from core) and the vault's. Used by `main.ts` and tests to build
 * the record log.
 */

import { familyKeyKind } from "../core/family_key_kind.ts";
import { familyKind, inviteKind, memberKind } from "../core/family_kinds.ts";
import { nodeKind } from "../core/node_kinds.ts";
import { KindRegistry } from "../core/record_kinds.ts";
import { albumIndexKind, albumKind, grantKind, photoKind, tombstoneKind } from "./album_kinds.ts";

export function createKindRegistry(): KindRegistry {
  return new KindRegistry()
    .register(familyKind)
    .register(memberKind)
    .register(inviteKind)
    .register(familyKeyKind)
    .register(nodeKind)
    .register(albumKind)
    .register(grantKind)
    .register(photoKind)
    .register(tombstoneKind)
    .register(albumIndexKind);
}
