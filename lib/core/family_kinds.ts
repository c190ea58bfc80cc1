/**
 * Record kinds of the trust group (DESIGN §4): `family`, `member`, `invite`.
 * Names are sealed under the family key (FORMAT §14): a node stores and checks
 * their shape, and never reads them.
 * Who may author what:
 *
 * - `family`: created once, by its founder, only through the node's setup
 *   (which needs the setup code) or replicated from a family node, at family key
 *   epoch 0; renamed by an admin, who also starts a new key epoch (one at a
 *   time) when a member is removed. The founder never changes.
 * - `member` (id = the member's Ed25519 key):
 *   - the founder signs their own first record as admin;
 *   - a new person signs their own record carrying an invite token: the
 *     invite must be admin-signed, unrevoked, unexpired and unused, and fixes
 *     the role;
 *   - an admin adds, changes or removes members (never the last admin); another admin
 *     only if they became admin first (their admin record is an ancestor of the other's
 *     in the family log), so two admins can never remove each other;
 *   - a member may rename themself, nothing else.
 *   Nobody may change a member's X25519 key: album keys are wrapped to it. A name
 *   set or changed from a browser is sealed under the family's current key.
 * - `invite`: made by an admin, with the X25519 key its link's secret gives (the
 *   family key is wrapped to it, `family_key`); afterwards only revoked. It dies
 *   with its admin's right.
 *
 * Every right is judged on what the record follows: members, invites, nodes and family keys
 * as they stood among its ancestors (lib/store/record_log.ts), the same on every node whatever
 * else arrived first. Removing a member, demoting an admin or withdrawing an invite ends
 * a right: the family log voids what used it without having seen the change
 * (`revokes`, see lib/store/record_log.ts and docs/SECURITY.md "The family log").
 *
 * Browser-compatible: no I/O.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { z } from "zod";
import { recordHash, toHex } from "../crypto/mod.ts";
import { ConflictError, ForbiddenError } from "./errors.ts";
import { parseHlc } from "./hlc.ts";
import type { Origin, RecordKind, RecordView, TypedRecord } from "./record_kinds.ts";
import {
  base64UrlLength,
  bodyParser,
  Epoch,
  Hex64,
  Key32,
  Role,
  SealedName,
  SealedPersonName,
} from "./schemas.ts";

/** FORMAT §14.4: bytes of the keychain blob of epoch `epoch` (header, label, keys, tag). */
const keychainBytes = (epoch: number) => 75 + 21 + 32 * epoch + 16;

export const FamilyBody = z.object({
  founder: Key32,
  /** The family key epoch: 0 at setup, one more at each rotation. */
  epoch: Epoch,
  /** FORMAT §14.2: names the key of `epoch` without revealing it. */
  keyId: Hex64,
  /** The family's name, sealed under the key of `epoch`. */
  name: SealedName,
  /** The keys of epochs 0 … epoch−1, sealed under the key of `epoch`; null at epoch 0. */
  keys: z.string().regex(/^[A-Za-z0-9_-]+$/).nullable(),
}).strict().refine(
  (b) =>
    b.epoch === 0
      ? b.keys === null
      : b.keys !== null && b.keys.length === base64UrlLength(keychainBytes(b.epoch)),
  "keys: expected null at epoch 0, else the sealed keys of every earlier epoch (FORMAT §14.4)",
);
export type FamilyBody = z.infer<typeof FamilyBody>;

export const MemberBody = z.object({
  x25519: Key32,
  name: SealedPersonName,
  role: Role,
  removed: z.boolean(),
  /** The invite token redeemed to join (one-time; proves the admin's invitation). */
  invite: z.string().regex(/^[A-Za-z0-9_-]{43}$/).optional(),
}).strict();
export type MemberBody = z.infer<typeof MemberBody>;

export const InviteBody = z.object({
  /** SHA-256 (hex) of the token in the invite link; the token itself never reaches a node before use. */
  tokenHash: Hex64,
  /**
   * The invite's X25519 key, derived from the secret in the link's fragment (FORMAT §14.5),
   * which never reaches a node: the family key is wrapped to it for the invited person.
   */
  x25519: Key32,
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
 * Kinds only an admin makes (a member's record of someone else too, and the family key
 * wrapped for someone else).
 */
export const ADMIN_KINDS = ["family", "member", "invite", "node", "family_key"];

/**
 * The link hash of the member record that began `key`'s current run as admin, or undefined
 * when `key` is not an admin. Seniority: an admin whose run began in an ancestor of
 * another's began first.
 */
export function adminSince(view: RecordView, key: string): string | undefined {
  const versions = view.versions<MemberBody>("member", key);
  const isAdminVersion = (m: TypedRecord<MemberBody>) => m.body.role === "admin" && !m.body.removed;
  if (!isAdminVersion(versions.at(-1)!) || !isAdmin(view, key)) return undefined;
  let i = versions.length - 1;
  while (i > 0 && isAdminVersion(versions[i - 1])) i--;
  return recordHash(versions[i]);
}

/** Whether admin `a` may remove or demote admin `b`: `a` became admin first. */
export function outranks(view: RecordView, a: string, b: string): boolean {
  const since = adminSince(view, a);
  const other = adminSince(view, b);
  return since !== undefined && other !== undefined && view.precedes(since, other);
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
      if (record.body.epoch !== 0) throw new ForbiddenError("a family starts at key epoch 0");
      return;
    }
    if (record.body.founder !== previous.body.founder) {
      throw new ForbiddenError("the founder of a family never changes");
    }
    if (!isAdmin(view, record.author)) {
      throw new ForbiddenError("only an admin may rename the family or change its key");
    }
    // From a peer, two admins' versions made at once on two nodes may cross.
    if (origin.via === "peer") return;
    const step = record.body.epoch - previous.body.epoch;
    if (step !== 0 && step !== 1) {
      throw new ForbiddenError("the family key's epoch advances one at a time");
    }
    if ((step === 1) !== (record.body.keyId !== previous.body.keyId)) {
      throw new ForbiddenError("a new family key comes with a new epoch, and only then");
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
    checkNameEpoch(record, previous, view, origin);
    // The redeemed token stays on the record so the invite can never be used twice.
    if (previous && previous.body.invite !== record.body.invite) {
      throw new ForbiddenError("the invite a member joined with never changes");
    }
    if (isAdmin(view, record.author)) {
      const demotesAdmin = previous && !previous.body.removed && previous.body.role === "admin" &&
        (record.body.removed || record.body.role !== "admin");
      if (demotesAdmin && record.author !== record.id) {
        if (!outranks(view, record.author, record.id)) {
          throw new ForbiddenError(
            "an admin can be removed or made a member only by an admin who became admin " +
              "before them",
          );
        }
      }
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
      if (view.list("member").length > 0) {
        throw new ForbiddenError("the founder joins first, when the family is made");
      }
      return;
    }
    authorizeJoin(record, view, origin);
  },
  withdraws: (body) => body.removed,
  revokes(record, view) {
    const subject = record.id;
    if (record.body.removed) {
      // Everything the member made, and joins through invites they made.
      return {
        author: subject,
        others: ["member"],
        covers: (link, view) => link.author === subject || invitedBy(view, link) === subject,
      };
    }
    if (record.body.role !== "admin" && hadSeenAdmin(view, record)) {
      // What only an admin makes: not their own member record (a rename), nor the family
      // key wrapped for themself.
      const own = record.body.x25519;
      return {
        author: subject,
        kinds: ADMIN_KINDS,
        others: ["member"],
        covers: (link, view) =>
          link.author === subject
            ? !(link.kind === "member" && link.id === subject) &&
              !(link.kind === "family_key" && link.id === own)
            : invitedBy(view, link) === subject,
      };
    }
    return undefined;
  },
  relies(record, view) {
    const by = invitedBy(view, record);
    return by ? [by] : [];
  },
};

/**
 * A name set or changed from a browser is sealed under the family's current key, so a member
 * removed since (who keeps the earlier keys) cannot read it. A name that stays as it was keeps
 * its epoch (an admin changing a role does not re-seal it); from a peer, a name sealed before
 * the key moved on keeps its epoch too.
 */
function checkNameEpoch(
  record: TypedRecord<MemberBody>,
  previous: TypedRecord<MemberBody> | undefined,
  view: RecordView,
  origin: Origin,
): void {
  if (origin.via === "peer" || previous?.body.name.sealed === record.body.name.sealed) return;
  const family = currentFamily(view);
  if (family && record.body.name.epoch !== family.body.epoch) {
    throw new ForbiddenError(
      `a new name is sealed under the family's current key (epoch ${family.body.epoch}); ` +
        "reload the page",
    );
  }
}

/** Whether a member record that is not an admin one follows one that was: a demotion. */
function hadSeenAdmin(view: RecordView, record: TypedRecord<MemberBody>): boolean {
  const hash = recordHash(record);
  return view.versions<MemberBody>("member", record.id).some((v) =>
    v.body.role === "admin" && !v.body.removed && view.precedes(recordHash(v), hash)
  );
}

/** The admin whose invite a self-signed member record (a join) redeemed. */
function invitedBy(view: RecordView, link: TypedRecord<unknown>): string | undefined {
  const token = (link.body as { invite?: unknown } | null)?.invite;
  if (link.kind !== "member" || link.author !== link.id || typeof token !== "string") {
    return undefined;
  }
  return view.find<InviteBody>("invite", "tokenHash", inviteTokenHash(token))[0]?.author;
}

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
  // A withdrawal the join had not seen voids it too (inviteKind.revokes), whichever a
  // node received first.
  if (invite.body.revoked) throw new ForbiddenError("this invite was withdrawn by an admin");
  if (!isAdmin(view, invite.author)) {
    throw new ForbiddenError("the admin who made this invite is no longer an admin");
  }
  // A browser joining here is checked against this node's clock. A peer relays a join
  // made elsewhere, perhaps long ago: only its signed time can say when (the limit is in
  // docs/SECURITY.md).
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
    if (!isAdmin(view, record.author)) {
      throw new ForbiddenError("only an admin may invite people");
    }
    if (previous) {
      const b = previous.body;
      if (
        b.tokenHash !== record.body.tokenHash || b.x25519 !== record.body.x25519 ||
        b.role !== record.body.role || b.expiresAt !== record.body.expiresAt ||
        !record.body.revoked
      ) {
        throw new ForbiddenError("an invite can only be withdrawn once made");
      }
      // Withdrawing a spent invite would void the join of a member who may have been in the
      // family for a while, on nodes where the two crossed. (From a peer it is taken as it
      // comes: the family log voids the join only where the withdrawal had not seen it.)
      if (origin.via !== "peer" && !b.revoked && memberWhoUsed(view, b.tokenHash)) {
        throw new ConflictError(
          "this invite was already used; to undo it, remove the member who joined with it",
        );
      }
    }
  },
  withdraws: (body) => body.revoked,
  revokes(record) {
    if (!record.body.revoked) return undefined;
    const tokenHash = record.body.tokenHash;
    return {
      kinds: ["member"],
      covers: (link) => {
        const token = (link.body as { invite?: unknown }).invite;
        return link.author === link.id && typeof token === "string" &&
          inviteTokenHash(token) === tokenHash;
      },
    };
  },
};
