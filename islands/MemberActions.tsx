import { useState } from "preact/hooks";
import { api, isSignedOut, messageOf } from "../lib/web/browser/api.ts";
import type { MemberRecordBody, MembersResponse, Role } from "../lib/web/browser/api_types.ts";
import { removeMember } from "../lib/web/browser/family_admin.ts";
import { forgetFamilyNames } from "../lib/web/browser/family_names.ts";
import { makeSignedRecord, postRecords } from "../lib/web/browser/records.ts";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { SignedOutAlert } from "../lib/web/browser/ui/SignedOutAlert.tsx";
import { useFamilyNames } from "../lib/web/browser/ui/use_family_names.ts";
import { browserVaultDeps } from "../lib/web/browser/vault/client.ts";

interface Props {
  memberKey: string;
  role: string;
  isSelf: boolean;
  adminCount: number;
  /** An admin who became admin before the viewer: only a more senior admin changes them. */
  senior?: boolean;
}

/**
 * An admin's controls for one member: change their role, or remove them. Each change is a
 * new version of the member's record, signed in this browser (DESIGN §4); a removal also
 * starts a new family key epoch, so names set afterwards are not readable with the keys the
 * removed member keeps (lib/web/browser/family_admin.ts).
 */
export default function MemberActions(
  { memberKey, role, isSelf, adminCount, senior = false }: Props,
) {
  // Names are sealed: the browser opens this one (FORMAT §14).
  const known = useFamilyNames()?.members.get(memberKey);
  const name = known ?? "this member";
  const Name = known ?? "This member";
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState<"role" | "remove" | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [signedOut, setSignedOut] = useState(false);

  const lastAdmin = role === "admin" && adminCount <= 1;
  const newRole: Role = role === "admin" ? "member" : "admin";

  /** Signs a new version of the member's current record with `change` applied. */
  const change = async (kind: "role" | "remove", patch: Partial<MemberRecordBody>) => {
    setBusy(kind);
    setError(undefined);
    try {
      if (kind === "remove") {
        await removeMember(await browserVaultDeps(), memberKey);
        forgetFamilyNames();
        location.reload();
        return;
      }
      const { members } = await api<MembersResponse>("GET", "/v1/members");
      const current = members.find((m) => m.key === memberKey);
      if (!current) {
        throw new Error(`${Name} is no longer in the family's records. Reload the page.`);
      }
      // Keep every field (the x25519 key, the redeemed invite and the sealed name never
      // change here); change only `patch`.
      const body: MemberRecordBody = { ...current.record.body, ...patch };
      await postRecords([await makeSignedRecord("member", memberKey, body)]);
      location.reload();
    } catch (err) {
      if (isSignedOut(err)) setSignedOut(true);
      else setError(messageOf(err));
      setBusy(undefined);
    }
  };

  if (signedOut) return <SignedOutAlert />;

  if (senior) {
    return (
      <p class="hint">
        {Name} became an admin before you: only an admin who did so before {name}{" "}
        can change their role or remove them.
      </p>
    );
  }

  if (confirming) {
    return (
      <div class="confirm-panel" role="group" aria-labelledby={`remove-title-${memberKey}`}>
        <p id={`remove-title-${memberKey}`}>
          <strong>Remove {name} from the family?</strong>
        </p>
        <ul class="advice">
          <li>
            {known ? `${known}'s sessions` : "Their sessions"}{" "}
            end at once, on every device, and they cannot sign in again.
          </li>
          <li>Photos they already downloaded stay theirs — removal cannot take those back.</li>
          <li>
            The family gets a new key for names: names set from now on are hidden from them.
          </li>
        </ul>
        <ErrorAlert message={error} />
        <div class="btn-row">
          <button
            type="button"
            class="btn btn-danger"
            disabled={busy !== undefined}
            onClick={() => change("remove", { removed: true })}
          >
            {busy === "remove" ? "Removing…" : `Remove ${name}`}
          </button>
          <button
            type="button"
            class="btn"
            disabled={busy !== undefined}
            onClick={() => {
              setConfirming(false);
              setError(undefined);
            }}
          >
            Cancel
          </button>
        </div>
      </div>
    );
  }

  return (
    <div class="member-actions">
      <ErrorAlert message={error} />
      <div class="btn-row">
        <button
          type="button"
          class="btn btn-small"
          disabled={busy !== undefined || lastAdmin}
          title={lastAdmin
            ? "The family needs at least one admin: make someone else admin first"
            : undefined}
          aria-label={`Make ${name} ${newRole === "admin" ? "an admin" : "a member"}`}
          onClick={() => change("role", { role: newRole })}
        >
          {busy === "role" ? "Saving…" : newRole === "admin" ? "Make admin" : "Make member"}
        </button>
        {!isSelf && (
          <button
            type="button"
            class="btn btn-danger btn-small"
            disabled={busy !== undefined || lastAdmin}
            aria-label={`Remove ${name}…`}
            onClick={() => setConfirming(true)}
          >
            Remove…
          </button>
        )}
      </div>
      {lastAdmin && (
        <p class="hint">
          {isSelf ? "You are" : `${Name} is`} the only admin, so this role cannot change yet.
        </p>
      )}
    </div>
  );
}
