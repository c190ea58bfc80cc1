/** JSON shapes the API returns for records (what browsers see). */

import type { InviteBody, MemberBody } from "../../core/family_kinds.ts";
import type { RecordView, TypedRecord } from "../../core/record_kinds.ts";
import { memberWhoUsed } from "../../core/family_kinds.ts";

/** A member as answers show them: the name stays sealed (FORMAT §14.3); browsers open it. */
export function memberView(m: TypedRecord<MemberBody>) {
  return { key: m.id, name: m.body.name, role: m.body.role };
}

export function inviteStatus(
  invite: TypedRecord<InviteBody>,
  view: RecordView,
): { status: "pending" | "used" | "expired" | "withdrawn"; usedBy?: string } {
  const usedBy = memberWhoUsed(view, invite.body.tokenHash);
  if (usedBy) return { status: "used", usedBy: usedBy.id };
  if (invite.body.revoked) return { status: "withdrawn" };
  if (view.now() > invite.body.expiresAt) return { status: "expired" };
  return { status: "pending" };
}
