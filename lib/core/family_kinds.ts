/**
 * Record kinds of the trust group (DESIGN §4): `family`, `member`, `invite`.
 * Who may author what:
 *
 * - `family`: created once, by its founder, only through the node's setup
 *   (which needs the setup code) or replicated from a family node; renamed by
 *   an admin. The founder never changes.
 * - `member` (id = the member's Ed25519 key):
 *   - the founder signs their own first record as admin;
 *   - a new person signs their own record carrying an invite token: the
 *     invite must be admin-signed, unrevoked, unexpired and unused, and fixes
 *     the role;
 *   - an admin adds, changes or removes members (never the last admin);
 *   - a member may rename themself, nothing else.
 *   Nobody may change a member's X25519 key: album keys are wrapped to it.
 * - `invite`: made by an admin; afterwards only revoked.
 *
 * Browser-compatible: no I/O.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { z } from "zod";
import { toHex } from "../crypto/mod.ts";
import { ConflictError, ForbiddenError } from "./errors.ts";
import { parseHlc } from "./hlc.ts";
import type { Origin, RecordKind, RecordView, TypedRecord } from "./record_kinds.ts";
import { bodyParser, DisplayName, Hex64, Key32, oneLine, Role } from "./schemas.ts";

export const FamilyBody = z.object({
  name: oneLine(80),
  founder: Key32,
}).strict();
export type FamilyBody = z.infer<typeof FamilyBody>;

export const MemberBody = z.object({
  x25519: Key32,
  name: DisplayName,
  role: Role,
  removed: z.boolean(),
  /** The invite token redeemed to join (one-time; proves the admin's invitation). */
  invite: z.string().regex(/^[A-Za-z0-9_-]{43}$/).optional(),
}).strict();
export type MemberBody = z.infer<typeof MemberBody>;

export const InviteBody = z.object({
  /** SHA-256 (hex) of the token in the invite link; the token itself never reaches a node before use. */
  tokenHash: Hex64,
  role: Role,
  /** Milliseconds since the epoch. */
  expiresAt: z.number().int().positive(),
  revoked: z.boolean(),
}).strict();
export type InviteBody = z.infer<typeof InviteBody>;

export function currentFamily(view: RecordView): TypedRecord<FamilyBody> | undefined {
  return view.list<FamilyBody>("family")[0];
}

/** The member record of `key` when that member is current (not removed). */
export function activeMember(view: RecordView, key: string): TypedRecord<MemberBody> | undefined {
  const m = view.get<MemberBody>("member", key);
  return m && !m.body.removed ? m : undefined;
}

export function isAdmin(view: RecordView, key: string): boolean {
  return activeMember(view, key)?.body.role === "admin";
}

/**
 * Whether `key` held a right when it signed a record stamped `hlc`, as far as this
 * node can tell. A browser's record is judged by the present. A record relayed by a
 * peer may be older than what this node holds — a node that was offline, or paired
 * later, receives only the latest version of each record, after the changes that
 * followed it — so it also stands when the author's member record changed after the
 * stamp (a demotion or removal since). SECURITY.md, "Rights are judged…".
 */
export function heldWhenSigned(
  view: RecordView,
  key: string,
  signed: { hlc: string; origin: Origin },
  has: (m: TypedRecord<MemberBody>) => boolean = () => true,
): boolean {
  const m = view.get<MemberBody>("member", key);
  if (!m) return false;
  if (!m.body.removed && has(m)) return true;
  return signed.origin.via === "peer" && m.hlc > signed.hlc;
}

/** {@link heldWhenSigned} for the admin role. */
export function wasAdmin(
  view: RecordView,
  key: string,
  signed: { hlc: string; origin: Origin },
): boolean {
  return heldWhenSigned(view, key, signed, (m) => m.body.role === "admin");
}

export const familyKind: RecordKind<FamilyBody> = {
  kind: "family",
  parseBody: bodyParser(FamilyBody, "Family"),
  authorize(record, previous, view, origin: Origin) {
    if (!previous) {
      const existing = currentFamily(view);
      if (existing) throw new ForbiddenError("this node already belongs to a family");
      if (origin.via === "api") {
        throw new ForbiddenError("a family is created through setup, with the setup code");
      }
      if (record.body.founder !== record.author) {
        throw new ForbiddenError("a family must be signed by its founder");
      }
      return;
    }
    if (record.body.founder !== previous.body.founder) {
      throw new ForbiddenError("the founder of a family never changes");
    }
    if (!isAdmin(view, record.author)) {
      throw new ForbiddenError("only an admin may rename the family");
    }
  },
};

export const memberKind: RecordKind<MemberBody> = {
  kind: "member",
  parseBody: bodyParser(MemberBody, "Member"),
  authorize(record, previous, view, origin) {
    if (previous && previous.body.x25519 !== record.body.x25519) {
      throw new ForbiddenError("a member's encryption key never changes");
    }
    // The redeemed token stays on the record so the invite can never be used twice.
    if (previous && previous.body.invite !== record.body.invite) {
      throw new ForbiddenError("the invite a member joined with never changes");
    }
    if (wasAdmin(view, record.author, { hlc: record.hlc, origin })) {
      const demotesAdmin = previous && !previous.body.removed && previous.body.role === "admin" &&
        (record.body.removed || record.body.role !== "admin");
      if (demotesAdmin && origin.via !== "peer") {
        const admins = view.list<MemberBody>("member")
          .filter((m) => !m.body.removed && m.body.role === "admin");
        if (admins.length <= 1) {
          throw new ForbiddenError("the family's last admin cannot be removed or demoted");
        }
      }
      return;
    }
    if (record.author !== record.id) {
      throw new ForbiddenError("only an admin may add, change or remove another member");
    }
    if (previous) {
      const same = previous.body.role === record.body.role &&
        previous.body.removed === record.body.removed && !previous.body.removed;
      if (!same) throw new ForbiddenError("members may change only their own name");
      return;
    }
    const family = currentFamily(view);
    if (!family) throw new ForbiddenError("this node has no family to join yet");
    if (family.body.founder === record.author) {
      if (record.body.role !== "admin" || record.body.removed) {
        throw new ForbiddenError("the founder joins as an admin");
      }
      return;
    }
    authorizeJoin(record, view, origin);
  },
};

/** SHA-256 (hex) of an invite token, as stored in the invite record. */
export function inviteTokenHash(token: string): string {
  return toHex(sha256(new TextEncoder().encode(token)));
}

/** The member who joined with the invite whose token hashes to `tokenHash`, if any. */
export function memberWhoUsed(
  view: RecordView,
  tokenHash: string,
): TypedRecord<MemberBody> | undefined {
  return view.list<MemberBody>("member").find((m) =>
    m.body.invite !== undefined && inviteTokenHash(m.body.invite) === tokenHash
  );
}

/** Checks the invite a self-signed new member record carries. */
function authorizeJoin(record: TypedRecord<MemberBody>, view: RecordView, origin: Origin): void {
  const token = record.body.invite;
  if (!token) throw new ForbiddenError("joining a family needs an invite");
  const invite = view.find<InviteBody>("invite", "tokenHash", inviteTokenHash(token))[0];
  if (!invite) throw new ForbiddenError("this invite is not known to this node");
  // A peer relays a join its own node accepted; a withdrawal stamped after the join
  // (made on another node before the join reached it) does not undo it, or nodes
  // would disagree about who is a member depending on what they heard first.
  const withdrawnFirst = origin.via !== "peer" || invite.hlc < record.hlc;
  if (invite.body.revoked && withdrawnFirst) {
    throw new ForbiddenError("this invite was withdrawn by an admin");
  }
  if (!wasAdmin(view, invite.author, { hlc: record.hlc, origin })) {
    throw new ForbiddenError("the admin who made this invite is no longer an admin");
  }
  // A browser joining here is checked against this node's clock; a peer relays a join
  // that its own node already checked, so its signed time is what counts.
  const joinedAt = origin.via === "peer" ? parseHlc(record.hlc).wall : view.now();
  if (joinedAt > invite.body.expiresAt) throw new ForbiddenError("this invite has expired");
  const used = view.find<MemberBody>("member", "invite", token).filter((m) => m.id !== record.id);
  if (used.length > 0) throw new ForbiddenError("this invite was already used");
  if (record.body.role !== invite.body.role || record.body.removed) {
    throw new ForbiddenError(`this invite is for the role "${invite.body.role}"`);
  }
}

export const inviteKind: RecordKind<InviteBody> = {
  kind: "invite",
  parseBody: bodyParser(InviteBody, "Invite"),
  authorize(record, previous, view, origin) {
    if (!wasAdmin(view, record.author, { hlc: record.hlc, origin })) {
      throw new ForbiddenError("only an admin may invite people");
    }
    if (previous) {
      const b = previous.body;
      if (
        b.tokenHash !== record.body.tokenHash || b.role !== record.body.role ||
        b.expiresAt !== record.body.expiresAt || !record.body.revoked
      ) {
        throw new ForbiddenError("an invite can only be withdrawn once made");
      }
      // Withdrawing a spent invite changes nothing for its member here, but would
      // block that member on nodes that hear of the withdrawal first. (From a peer it is
      // taken as it comes: the join still stands there, see authorizeJoin.)
      if (origin.via !== "peer" && !b.revoked && memberWhoUsed(view, b.tokenHash)) {
        throw new ConflictError(
          "this invite was already used; to undo it, remove the member who joined with it",
        );
      }
    }
  },
};
