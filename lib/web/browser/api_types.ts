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

export interface MemberSummary {
  key: string;
  name: string;
  role: Role;
}

export interface FamilySummary {
  id: string;
  name: string;
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
  userAgent: string;
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

/** A member record body (lib/core/family_kinds.ts MemberBody). */
export interface MemberRecordBody {
  x25519: string;
  name: string;
  role: Role;
  removed: boolean;
  invite?: string;
}

/** An invite record body (lib/core/family_kinds.ts InviteBody). */
export interface InviteRecordBody {
  tokenHash: string;
  role: Role;
  expiresAt: number;
  revoked: boolean;
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
    usedBy: string | null;
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
