import { useEffect, useState } from "preact/hooks";
import { api, isSignedOut, messageOf } from "../lib/web/browser/api.ts";
import type { InviteRecordBody, InvitesResponse, Role } from "../lib/web/browser/api_types.ts";
import { recordHash } from "../lib/crypto/mod.ts";
import { FamilyKeyMissingError } from "../lib/web/browser/family_admin.ts";
import { inviteBodies, inviteLink } from "../lib/web/browser/family_keys.ts";
import { familyNames } from "../lib/web/browser/family_names.ts";
import { makeSignedRecord, postRecords, randomId } from "../lib/web/browser/records.ts";
import { ErrorAlert } from "../lib/web/browser/ui/ErrorAlert.tsx";
import { useInsecureContext } from "../lib/web/browser/ui/hooks.ts";
import { QrCode } from "../lib/web/browser/ui/QrCode.tsx";
import { SecureContextNotice } from "../lib/web/browser/ui/SecureContextNotice.tsx";
import { SignedOutAlert } from "../lib/web/browser/ui/SignedOutAlert.tsx";
import { timeLeft } from "../lib/web/browser/user_agent.ts";

type Invite = InvitesResponse["invites"][number] & { status?: string };
type Status = "pending" | "used" | "expired" | "withdrawn";

const EXPIRIES = [
  { id: "1h", label: "1 hour", ms: 3600_000 },
  { id: "1d", label: "1 day", ms: 24 * 3600_000 },
  { id: "7d", label: "7 days", ms: 7 * 24 * 3600_000 },
] as const;

const STATUS_BADGE: Record<Status, string> = {
  pending: "badge badge-ok",
  used: "badge",
  expired: "badge badge-warn",
  withdrawn: "badge badge-danger",
};

function statusOf(i: Invite, now: number): Status {
  if (
    i.status === "pending" || i.status === "used" || i.status === "expired" ||
    i.status === "withdrawn"
  ) return i.status;
  if (i.usedBy) return "used";
  if (i.revoked) return "withdrawn";
  return now > i.expiresAt ? "expired" : "pending";
}

/**
 * Admins invite people (DESIGN §9): a one-time link with a random token (the node stores only
 * its SHA-256) and, after `#`, a secret the node never sees: the family key is wrapped to the
 * key it gives, so the invited person can read the family's names (FORMAT §14). Shown with a
 * QR code; pending invites can be withdrawn.
 */
export default function InvitePanel(_props: Record<string, never>) {
  const insecure = useInsecureContext();
  const [role, setRole] = useState<Role>("member");
  const [expiry, setExpiry] = useState<string>("1d");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [signedOut, setSignedOut] = useState(false);
  const [link, setLink] = useState<{ url: string; role: Role; expiresAt: number } | undefined>();
  const [copied, setCopied] = useState(false);
  const [invites, setInvites] = useState<Invite[] | undefined>();
  const [listError, setListError] = useState<string | undefined>();
  const [withdrawing, setWithdrawing] = useState<string | undefined>();

  const fail = (err: unknown, set: (m: string) => void) => {
    if (isSignedOut(err)) setSignedOut(true);
    else set(messageOf(err));
  };

  const refresh = async () => {
    try {
      const res = await api<InvitesResponse>("GET", "/v1/invites");
      setInvites([...res.invites].sort((a, b) => b.expiresAt - a.expiresAt));
      setListError(undefined);
    } catch (err) {
      fail(err, setListError);
    }
  };
  useEffect(() => {
    refresh();
  }, []);

  const create = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(undefined);
    setCopied(false);
    try {
      // The token travels only in the link; the node learns its hash now and the token
      // itself only when the invited person redeems it. The secret after # never reaches it.
      const { keys } = await familyNames();
      if (!keys) throw new FamilyKeyMissingError();
      const ms = EXPIRIES.find((x) => x.id === expiry)?.ms ?? EXPIRIES[1].ms;
      const made = await inviteBodies(keys, role, Date.now() + ms);
      const record = await makeSignedRecord("invite", randomId(), made.invite);
      const wrap = await makeSignedRecord("family_key", made.invite.x25519, made.familyKey, {
        prev: [recordHash(record)],
        after: record.hlc,
      });
      await postRecords([record, wrap]);
      setLink({
        url: inviteLink(location.origin, made.token, made.secret),
        role,
        expiresAt: made.invite.expiresAt,
      });
      await refresh();
    } catch (err) {
      fail(err, setError);
    } finally {
      setBusy(false);
    }
  };

  const copy = async () => {
    if (!link) return;
    try {
      await navigator.clipboard.writeText(link.url);
      setCopied(true);
    } catch {
      // Clipboard refused (permissions): select the text so Ctrl+C works.
      const input = document.getElementById("invite-link") as HTMLInputElement | null;
      input?.focus();
      input?.select();
    }
  };

  const withdraw = async (invite: Invite) => {
    setWithdrawing(invite.id);
    setListError(undefined);
    try {
      const body: InviteRecordBody = { ...invite.record.body, revoked: true };
      await postRecords([await makeSignedRecord("invite", invite.id, body)]);
      await refresh();
    } catch (err) {
      fail(err, setListError);
    } finally {
      setWithdrawing(undefined);
    }
  };

  if (insecure) return <SecureContextNotice problem={insecure} />;
  if (signedOut) return <SignedOutAlert />;

  const now = Date.now();
  return (
    <div class="invite-panel">
      <form class="invite-form" onSubmit={create} aria-label="Invite someone">
        <ErrorAlert message={error} />
        <div class="form-grid">
          <div class="field">
            <label for="invite-role">Role</label>
            <select
              id="invite-role"
              value={role}
              onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}
            >
              <option value="member">Member — sees albums shared with them</option>
              <option value="admin">Admin — can also invite and remove people</option>
            </select>
          </div>
          <fieldset class="field seg">
            <legend>Link works for</legend>
            {EXPIRIES.map((x) => (
              <label key={x.id} class="seg-option">
                <input
                  type="radio"
                  name="invite-expiry"
                  value={x.id}
                  checked={expiry === x.id}
                  onChange={() => setExpiry(x.id)}
                />
                <span>{x.label}</span>
              </label>
            ))}
          </fieldset>
        </div>
        <div class="btn-row">
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? "Creating…" : "Create invite link"}
          </button>
        </div>
      </form>

      {link && (
        <div class="invite-result alert alert-ok" aria-live="polite">
          <div class="invite-result-text">
            <label for="invite-link">
              Invite link for {link.role === "admin" ? "an admin" : "a member"}
            </label>
            <div class="copy-row">
              <input
                id="invite-link"
                class="mono"
                readOnly
                value={link.url}
                onFocus={(e) => (e.target as HTMLInputElement).select()}
              />
              <button type="button" class="btn" onClick={copy}>{copied ? "Copied" : "Copy"}</button>
            </div>
            <p class="hint">
              Send it privately (in person, or a message only they read): the part after # opens the
              family's names, and the node never sees it. It works once and expires{" "}
              {timeLeft(link.expiresAt)}. It is shown only now: the node keeps just a fingerprint of
              it.
            </p>
          </div>
          <QrCode text={link.url} label="QR code of the invite link" />
        </div>
      )}

      <h3>Invites</h3>
      <ErrorAlert message={listError} />
      {invites === undefined && !listError && <p class="loading">Loading invites…</p>}
      {invites !== undefined && invites.length === 0 && (
        <p class="empty-inline muted">No invites yet. Links you create appear here.</p>
      )}
      {invites !== undefined && invites.length > 0 && (
        <table class="invite-list">
          <thead>
            <tr>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {invites.map((i) => {
              const status = statusOf(i, now);
              return (
                <tr key={i.id} data-invite={i.id}>
                  <td>{i.role === "admin" ? "Admin" : "Member"}</td>
                  <td>
                    <span class={STATUS_BADGE[status]}>{status}</span>
                  </td>
                  <td>
                    {status === "pending"
                      ? timeLeft(i.expiresAt, now)
                      : new Date(i.expiresAt).toLocaleString()}
                  </td>
                  <td class="actions">
                    {status === "pending" && (
                      <button
                        type="button"
                        class="btn btn-danger btn-small"
                        disabled={withdrawing !== undefined}
                        onClick={() => withdraw(i)}
                        aria-label={`Withdraw the ${i.role} invite expiring ${
                          timeLeft(i.expiresAt, now)
                        }`}
                      >
                        {withdrawing === i.id ? "Withdrawing…" : "Withdraw"}
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
