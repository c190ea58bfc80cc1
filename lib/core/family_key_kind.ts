/**
 * The `family_key` kind (FORMAT §14.1): the family key of an epoch, wrapped (FORMAT §5) to one
 * member's X25519 key, or to an invite's, so the invited person can read the family's names
 * before she has a key of her own. The record's id is that X25519 key, so each recipient has
 * one record, whose versions follow the epochs.
 *
 * Who may write one:
 * - an admin, for a current member or for an invite;
 * - a member, for herself (a joiner wraps the key she unwrapped from her invite).
 * From a browser, the wrap is of the family's current key (its epoch and key id), for a member
 * still in the family or an invite still pending. From a peer, what the state then was is not
 * checked again: a wrap only gives a key to whom it was allowed to give it.
 *
 * A node cannot check that `wrapped` holds the key `keyId` names (it cannot unwrap it); a wrong
 * wrap only leaves its recipient unable to read names until an admin's browser, seeing the key
 * id, wraps the key again (lib/web/browser/family_keys.ts). Browser-compatible: no I/O.
 *
 * @module
 */

import { z } from "zod";
import { recordHash } from "../crypto/mod.ts";
import { ForbiddenError, ValidationError } from "./errors.ts";
import {
  activeMember,
  currentFamily,
  type FamilyBody,
  type InviteBody,
  isAdmin,
  type MemberBody,
  memberWhoUsed,
} from "./family_kinds.ts";
import type { RecordKind, RecordView, TypedRecord } from "./record_kinds.ts";
import { base64UrlLength, bodyParser, Epoch, Hex64, Key32 } from "./schemas.ts";

export const FamilyKeyBody = z.object({
  /** The family key epoch it wraps (the family record's `epoch` when it was made). */
  epoch: Epoch,
  /** FORMAT §14.2: the id of the key it wraps. */
  keyId: Hex64,
  /** The key, wrapped to the X25519 key that is this record's id (FORMAT §5, 81 bytes). */
  wrapped: z.string().regex(
    new RegExp(`^[A-Za-z0-9_-]{${base64UrlLength(81)}}$`),
    "expected a wrapped key (base64url of 81 bytes, FORMAT §5.1)",
  ),
}).strict();
export type FamilyKeyBody = z.infer<typeof FamilyKeyBody>;

/** Whom a family key record with id `x25519` is for: a member, or an invite. */
export function familyKeyRecipient(
  view: RecordView,
  x25519: string,
): { member?: TypedRecord<MemberBody>; invite?: TypedRecord<InviteBody> } {
  const member = view.find<MemberBody>("member", "x25519", x25519)[0];
  if (member) return { member };
  return { invite: view.find<InviteBody>("invite", "x25519", x25519)[0] };
}

/** An invite nobody used yet, not withdrawn and not expired. */
export function isPendingInvite(view: RecordView, invite: TypedRecord<InviteBody>): boolean {
  return !invite.body.revoked && view.now() <= invite.body.expiresAt &&
    !memberWhoUsed(view, invite.body.tokenHash);
}

export const familyKeyKind: RecordKind<FamilyKeyBody> = {
  kind: "family_key",
  parseBody: bodyParser(FamilyKeyBody, "Family key"),
  authorize(record, _previous, view, origin) {
    if (!Key32.safeParse(record.id).success) {
      throw new ValidationError("a family key record's id is its recipient's X25519 key");
    }
    const { member, invite } = familyKeyRecipient(view, record.id);
    if (!member && !invite) {
      throw new ForbiddenError("a family key is wrapped for a member or an invite of the family");
    }
    const forSelf = member !== undefined && member.id === record.author;
    if (!forSelf && !isAdmin(view, record.author)) {
      throw new ForbiddenError("only an admin wraps the family key for someone else");
    }
    if (forSelf && !activeMember(view, record.author)) {
      throw new ForbiddenError("only family members hold the family key");
    }
    if (origin.via === "peer") return;
    if (member && member.body.removed) {
      throw new ForbiddenError("the family key is wrapped for current members only");
    }
    if (invite && !isPendingInvite(view, invite)) {
      throw new ForbiddenError("the family key is wrapped for pending invites only");
    }
    const family = currentFamily(view);
    if (!family) throw new ForbiddenError("this node has no family yet");
    if (record.body.epoch !== family.body.epoch || record.body.keyId !== family.body.keyId) {
      throw new ForbiddenError(
        `a family key record wraps the family's current key (epoch ${family.body.epoch}); ` +
          "reload the page",
      );
    }
  },
};

/** Someone who should hold the family key in force: a current member or a pending invite. */
export interface KeyRecipient {
  /** The X25519 key the family key is wrapped to (the family key record's id). */
  x25519: string;
  member?: string;
  invite?: string;
}

/**
 * Current members and pending invites whose family key record is missing or wraps another key
 * than the one in force: an admin's browser wraps the key for them (a joiner whose invite
 * predated a rotation, two admins' rotations that crossed).
 */
export function recipientsBehind(view: RecordView): KeyRecipient[] {
  const family = currentFamily(view);
  if (!family) return [];
  const behind = (x25519: string) =>
    view.get<FamilyKeyBody>("family_key", x25519)?.body.keyId !== family.body.keyId;
  const members = view.list<MemberBody>("member")
    .filter((m) => !m.body.removed && behind(m.body.x25519))
    .map((m) => ({ x25519: m.body.x25519, member: m.id }));
  const invites = view.list<InviteBody>("invite")
    .filter((i) => isPendingInvite(view, i) && behind(i.body.x25519))
    .map((i) => ({ x25519: i.body.x25519, invite: i.id }));
  return [...members, ...invites];
}

/**
 * Whether a member was removed without a new family key following the removal: the removed
 * member still holds the key in force, so whatever is sealed under it next would be hers to
 * read. The admin's browser that removes someone starts the new epoch in the same batch; this
 * catches a removal that crossed a rotation, or one made by a browser that stopped half-way.
 */
export function rotationDue(view: RecordView): boolean {
  const family = currentFamily(view);
  if (!family) return false;
  // The version that brought the key in force (a later rename keeps it).
  const since = view.versions<FamilyBody>("family", family.id)
    .find((v) => v.body.keyId === family.body.keyId) ?? family;
  const start = recordHash(since);
  return view.list<MemberBody>("member").some((m) =>
    m.body.removed && !view.precedes(recordHash(m), start)
  );
}
