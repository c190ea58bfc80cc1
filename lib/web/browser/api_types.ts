/**
 * Shapes of the `/v1` answers the islands read. Browser-compatible: types only.
 *
 * The record bodies and names are the nodes' own types (lib/core), defined once; the answers
 * list the fields islands read, so the server may add more without breaking them.
 *
 * @module
 */

import type { SignedRecord } from "../../crypto/mod.ts";
import type { FamilyKeyBody } from "../../core/family_key_kind.ts";
import type { FamilyBody, InviteBody, MemberBody } from "../../core/family_kinds.ts";
import type { SealedPersonName } from "../../core/schemas.ts";

export type Role = "admin" | "member";

/** A name sealed under the family key of `epoch` (FORMAT §14.3); only members' browsers open it. */
export type { SealedPersonName };

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

/** The record bodies of the family, its members, invites and family keys (FORMAT §14). */
export type {
  FamilyBody as FamilyRecordBody,
  InviteBody as InviteRecordBody,
  MemberBody as MemberRecordBody,
} from "../../core/family_kinds.ts";
export type { FamilyKeyBody as FamilyKeyRecordBody } from "../../core/family_key_kind.ts";
/** Someone who should hold the family key in force (GET /v1/family, admins). */
export interface KeyRecipient {
  x25519: string;
  member?: string;
  invite?: string;
}

/** GET /v1/family */
export interface FamilyResponse {
  family: FamilyBody & { id: string };
  /** This member's wrapped family key; null when nobody wrapped it for her yet. */
  key: FamilyKeyBody | null;
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
    record: SignedRecord<MemberBody>;
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
    record: SignedRecord<InviteBody>;
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
