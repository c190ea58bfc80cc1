/**
 * Shapes of the `/v1` answers the islands read. Browser-compatible: types only.
 *
 * These mirror what lib/web/api sends; islands read only the fields listed here, so the
 * server may add more without breaking them.
 *
 * @module
 */

import type { SignedRecord } from "../../crypto/mod.ts";

export type Role = "admin" | "member";

/** A name sealed under the family key of `epoch` (FORMAT §14.3); only members' browsers open it. */
export interface SealedPersonName {
  epoch: number;
  /** base64url of the 347-byte sealed name. */
  sealed: string;
}

export interface MemberSummary {
  key: string;
  name: SealedPersonName;
  role: Role;
}

export interface FamilySummary {
  id: string;
}

/** POST /v1/auth/challenge */
export interface ChallengeResponse {
  challenge: string;
  expiresAt: number;
  nodeId: string;
  origin: string;
  serverHlc: string;
}

/** One signed-in browser of the member, as GET /v1/session lists them. */
export interface SessionEntry {
  handle: string;
  createdAt: number;
  lastSeen: number;
  /** A coarse label the node made from the browser's User-Agent: "Chrome on Linux". */
  device: string;
  current: boolean;
}

/** GET /v1/session */
export interface SessionResponse {
  member: MemberSummary & { x25519: string };
  family: FamilySummary;
  nodeId: string;
  serverHlc: string;
  sessions: SessionEntry[];
}

/** A family record body (lib/core/family_kinds.ts FamilyBody). */
export interface FamilyRecordBody {
  founder: string;
  epoch: number;
  keyId: string;
  /** The family's name, sealed under the key of `epoch`. */
  name: string;
  /** The keys of epochs 0 … epoch−1, sealed under the key of `epoch`; null at epoch 0. */
  keys: string | null;
}

/** A member record body (lib/core/family_kinds.ts MemberBody). */
export interface MemberRecordBody {
  x25519: string;
  name: SealedPersonName;
  role: Role;
  removed: boolean;
  invite?: string;
}

/** An invite record body (lib/core/family_kinds.ts InviteBody). */
export interface InviteRecordBody {
  tokenHash: string;
  /** The invite's X25519 key, from the secret in its link's fragment (FORMAT §14.5). */
  x25519: string;
  role: Role;
  expiresAt: number;
  revoked: boolean;
}

/**
 * A family key record body (lib/core/family_key_kind.ts): the key of `epoch`, wrapped to the
 * X25519 key that is the record's id.
 */
export interface FamilyKeyRecordBody {
  epoch: number;
  keyId: string;
  wrapped: string;
}

/** Someone who should hold the family key in force (GET /v1/family, admins). */
export interface KeyRecipient {
  x25519: string;
  member?: string;
  invite?: string;
}

/** GET /v1/family */
export interface FamilyResponse {
  family: FamilyRecordBody & { id: string };
  /** This member's wrapped family key; null when nobody wrapped it for her yet. */
  key: FamilyKeyRecordBody | null;
  members: {
    key: string;
    role: Role;
    removed: boolean;
    x25519: string;
    name: SealedPersonName;
  }[];
  /** Admins only: who lacks the key in force. */
  behind?: KeyRecipient[];
  /** Admins only: a removal still waits for a new family key. */
  rotate?: boolean;
}

/** GET /v1/members */
export interface MembersResponse {
  members: (MemberSummary & {
    removed: boolean;
    x25519: string;
    record: SignedRecord<MemberRecordBody>;
  })[];
}

/** GET /v1/invites */
export interface InvitesResponse {
  invites: {
    id: string;
    role: Role;
    expiresAt: number;
    revoked: boolean;
    status: "pending" | "used" | "expired" | "withdrawn";
    usedBy?: string;
    createdBy: string;
    record: SignedRecord<InviteRecordBody>;
  }[];
}

/** POST /v1/records */
export interface RecordsResponse {
  results: { kind: string; id: string; status: string }[];
}

/** POST /v1/setup, POST /v1/join */
export interface JoinedResponse {
  member: MemberSummary;
  family: FamilySummary;
}

/** GET /v1/heads: what a record made now follows in the family log. */
export interface HeadsResponse {
  /** Link hashes, ascending. */
  prev: string[];
  /** The greatest stamp among them (a new record's stamp must be later). */
  hlc?: string;
}
