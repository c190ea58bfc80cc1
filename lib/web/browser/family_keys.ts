/**
 * The family key in the browser (FORMAT §14): opening it from the member's wrap, reading the
 * family's and the members' sealed names, and the record bodies that seal names and hand the
 * key on — at setup, in an invite, at a join, and in a new epoch when a member is removed.
 * Browser-compatible: lib/crypto only, no I/O (callers fetch and sign), so the demo and tests
 * use the same code as the pages.
 *
 * What a removed member keeps: the keys of the epochs she held, so the names as they were
 * until her removal (she saw them anyway; every version stays in the family log). Names set
 * after it are sealed under the new key, which is never wrapped for her.
 *
 * @module
 */

import {
  familyKeyId,
  fromBase64Url,
  inviteKeyPair,
  newFamilyKey,
  newInviteSecret,
  openKeychain,
  openName,
  sealKeychain,
  sealName,
  toBase64Url,
  unwrapKey,
  wrapKey,
} from "../../crypto/mod.ts";
import type {
  FamilyKeyRecordBody,
  FamilyRecordBody,
  FamilyResponse,
  InviteRecordBody,
  Role,
  SealedPersonName,
} from "./api_types.ts";
import { inviteTokenHash, newInviteToken } from "./invite_token.ts";

/** What to show for a member whose name this browser cannot open. */
export const UNREADABLE_NAME = "A member";

/** The family keys this member holds: the current epoch's and every earlier one. */
export class FamilyKeys {
  readonly keyId: string;

  constructor(
    readonly epoch: number,
    readonly current: Uint8Array,
    /** The keys of epochs 0 … epoch−1, in order. */
    readonly earlier: Uint8Array[],
  ) {
    if (earlier.length !== epoch) {
      throw new RangeError(`Epoch ${epoch} needs ${epoch} earlier keys, got ${earlier.length}`);
    }
    this.keyId = familyKeyId(current);
  }

  /** A new family's keys: epoch 0. */
  static create(): FamilyKeys {
    return new FamilyKeys(0, newFamilyKey(), []);
  }

  /** The next epoch's keys: a new key, this one added to the earlier ones. */
  next(): FamilyKeys {
    return new FamilyKeys(this.epoch + 1, newFamilyKey(), [...this.earlier, this.current]);
  }

  keyFor(epoch: number): Uint8Array | undefined {
    return epoch === this.epoch ? this.current : this.earlier[epoch];
  }

  /** `name` sealed under the current key, with its epoch: a member record's `name`. */
  async sealPersonName(name: string): Promise<SealedPersonName> {
    return { epoch: this.epoch, sealed: toBase64Url(await sealName(name, this.current)) };
  }

  /** Opens a member's sealed name; undefined when sealed under a key this member lacks. */
  async openPersonName(name: SealedPersonName): Promise<string | undefined> {
    const key = this.keyFor(name.epoch);
    if (!key) return undefined;
    try {
      return await openName(fromBase64Url(name.sealed), key);
    } catch {
      return undefined; // sealed under another key of that epoch (two rotations that crossed)
    }
  }

  /** The family record body for `familyName` at this epoch. */
  async familyBody(founder: string, familyName: string): Promise<FamilyRecordBody> {
    return {
      founder,
      epoch: this.epoch,
      keyId: this.keyId,
      name: toBase64Url(await sealName(familyName, this.current)),
      keys: this.epoch === 0 ? null : toBase64Url(await sealKeychain(this.earlier, this.current)),
    };
  }

  /** The current key wrapped to an X25519 key (base64url): a family key record's body. */
  async wrapFor(x25519: string): Promise<FamilyKeyRecordBody> {
    return {
      epoch: this.epoch,
      keyId: this.keyId,
      wrapped: toBase64Url(await wrapKey(this.current, fromBase64Url(x25519))),
    };
  }

  /**
   * The keys a family record and a wrap of its key open: undefined when the wrap is missing,
   * of another key (a rotation it has not caught up with) or damaged.
   */
  static async open(
    family: Pick<FamilyRecordBody, "epoch" | "keyId" | "keys">,
    wrap: FamilyKeyRecordBody | null | undefined,
    x25519SecretKey: Uint8Array,
  ): Promise<FamilyKeys | undefined> {
    if (!wrap || wrap.keyId !== family.keyId || wrap.epoch !== family.epoch) return undefined;
    try {
      const current = await unwrapKey(fromBase64Url(wrap.wrapped), x25519SecretKey);
      if (familyKeyId(current) !== family.keyId) return undefined;
      const earlier = family.epoch === 0 || family.keys === null
        ? []
        : await openKeychain(fromBase64Url(family.keys), current, family.epoch);
      return new FamilyKeys(family.epoch, current, earlier);
    } catch {
      return undefined;
    }
  }
}

/** The family's names as this member can read them. */
export interface FamilyNames {
  /** The family's name; undefined while this member does not hold the key in force. */
  family?: string;
  /** Member key → name; undefined for a name this member cannot open. */
  members: Map<string, string | undefined>;
  /** Undefined when nobody has wrapped the key in force for this member yet. */
  keys?: FamilyKeys;
  answer: FamilyResponse;
}

/** Opens every name of a `GET /v1/family` answer with the member's X25519 secret key. */
export async function openFamilyNames(
  answer: FamilyResponse,
  x25519SecretKey: Uint8Array,
): Promise<FamilyNames> {
  const keys = await FamilyKeys.open(answer.family, answer.key, x25519SecretKey);
  const members = new Map<string, string | undefined>();
  let family: string | undefined;
  if (keys) {
    try {
      family = await openName(fromBase64Url(answer.family.name), keys.current);
    } catch {
      family = undefined;
    }
    for (const m of answer.members) members.set(m.key, await keys.openPersonName(m.name));
  } else {
    for (const m of answer.members) members.set(m.key, undefined);
  }
  return { family, members, keys, answer };
}

/** What a new family's first records carry: its keys, and the bodies the founder signs. */
export async function foundingBodies(
  founder: { key: string; x25519: string },
  names: { family: string; founder: string },
): Promise<{
  keys: FamilyKeys;
  family: FamilyRecordBody;
  member: { x25519: string; name: SealedPersonName; role: Role; removed: boolean };
  familyKey: FamilyKeyRecordBody;
}> {
  const keys = FamilyKeys.create();
  return {
    keys,
    family: await keys.familyBody(founder.key, names.family),
    member: {
      x25519: founder.x25519,
      name: await keys.sealPersonName(names.founder),
      role: "admin",
      removed: false,
    },
    familyKey: await keys.wrapFor(founder.x25519),
  };
}

/** A new invite: the link's token and secret, the invite body, and the key wrapped for it. */
export async function inviteBodies(
  keys: FamilyKeys,
  role: Role,
  expiresAt: number,
): Promise<{
  token: string;
  /** base64url: the part of the link after `#`, which never reaches a node. */
  secret: string;
  invite: InviteRecordBody;
  familyKey: FamilyKeyRecordBody;
}> {
  const token = newInviteToken();
  const secret = toBase64Url(newInviteSecret());
  const x25519 = toBase64Url(inviteKeyPair(secret).publicKey);
  return {
    token,
    secret,
    invite: { tokenHash: inviteTokenHash(token), x25519, role, expiresAt, revoked: false },
    familyKey: await keys.wrapFor(x25519),
  };
}

/** The invite's path and fragment: `/join/<token>#<secret>`. */
export function inviteLink(origin: string, token: string, secret: string): string {
  return `${origin}/join/${token}#${secret}`;
}

/**
 * The keys an invite's link opens (its secret, from the fragment), given what the join page
 * shows: undefined when the invite's wrap is missing or not of the key in force.
 */
export async function openInvite(
  secret: string,
  invite: { x25519: string },
  family: Pick<FamilyRecordBody, "epoch" | "keyId" | "keys">,
  wrap: FamilyKeyRecordBody | null,
): Promise<FamilyKeys | undefined> {
  const pair = inviteKeyPair(secret);
  if (toBase64Url(pair.publicKey) !== invite.x25519) {
    throw new InviteLinkError();
  }
  return await FamilyKeys.open(family, wrap, pair.secretKey);
}

/** The link's secret does not belong to this invite: it was cut or mistyped. */
export class InviteLinkError extends Error {
  constructor() {
    super(
      "This invite link is not complete: the part after # does not match the invite. " +
        "Copy the whole link again, or ask for a new one.",
    );
    this.name = "InviteLinkError";
  }
}
