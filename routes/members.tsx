import type { Handlers, PageProps } from "../lib/web/types.ts";
import { services, sessionOf, toSignIn } from "../lib/web/page_helpers.ts";
import { type MemberBody, outranks } from "../lib/core/family_kinds.ts";
import { parseHlc } from "../lib/core/hlc.ts";
import { NameSlot } from "../lib/web/browser/ui/NameSlot.tsx";
import InvitePanel from "../islands/InvitePanel.tsx";
import MemberActions from "../islands/MemberActions.tsx";

interface Row {
  key: string;
  role: string;
  removed: boolean;
  since: string;
  /** An admin the viewer may not demote or remove: they became admin first. */
  senior: boolean;
}

interface MembersData {
  me: string;
  isAdmin: boolean;
  adminCount: number;
  members: Row[];
}

export const handler: Handlers<MembersData> = {
  GET(_req, ctx) {
    const session = sessionOf(ctx.state);
    if (!session) return toSignIn(ctx);
    const { records } = services(ctx.state);
    ctx.state.title = "Members";
    const all = records.list<MemberBody>("member");
    // Names are sealed (FORMAT §14): the rows are in date order, and the browser fills each
    // name in.
    const members = all
      .map((m) => ({
        key: m.id,
        role: m.body.role,
        removed: m.body.removed,
        since: new Date(parseHlc(m.hlc).wall).toISOString().slice(0, 10),
        senior: !m.body.removed && m.body.role === "admin" && m.id !== session.memberKey &&
          !outranks(records, session.memberKey, m.id),
      }))
      .sort((a, b) => Number(a.removed) - Number(b.removed) || a.since.localeCompare(b.since));
    return ctx.render({
      me: session.memberKey,
      isAdmin: session.member.body.role === "admin",
      adminCount: all.filter((m) => !m.body.removed && m.body.role === "admin").length,
      members,
    });
  },
};

export default function Members({ data }: PageProps<MembersData>) {
  const active = data.members.filter((m) => !m.removed);
  const removed = data.members.filter((m) => m.removed);
  return (
    <section>
      <p class="eyebrow">
        <NameSlot of="family" placeholder="Your family" />
      </p>
      <h1>Members</h1>
      <p class="lead">
        Everyone here signs in with their own key. Albums are shared with members one by one,
        through keys wrapped for each of them.
      </p>
      {data.isAdmin && (
        <div class="card">
          <h2>Invite someone</h2>
          <InvitePanel />
        </div>
      )}
      <div class="card">
        <h2>{active.length} {active.length === 1 ? "member" : "members"}</h2>
        <table class="members">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Since</th>
              {data.isAdmin && (
                <th>
                  <span class="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {active.map((m) => (
              <tr key={m.key} data-member={m.key}>
                <td>
                  <NameSlot of={`member:${m.key}`} placeholder="A member" />
                  {m.key === data.me && <span class="badge">you</span>}
                </td>
                <td>
                  <span class={m.role === "admin" ? "badge badge-ok" : "badge"}>{m.role}</span>
                </td>
                <td class="muted">{m.since}</td>
                {data.isAdmin && (
                  <td>
                    <MemberActions
                      memberKey={m.key}
                      role={m.role}
                      isSelf={m.key === data.me}
                      adminCount={data.adminCount}
                      senior={m.senior}
                    />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {removed.length > 0 && (
        <div class="card">
          <h2>Removed</h2>
          <p class="muted">
            Removed members cannot sign in or read new photos. What they downloaded before stays
            theirs.
          </p>
          <ul>
            {removed.map((m) => (
              <li key={m.key}>
                <NameSlot of={`member:${m.key}`} placeholder="A former member" />
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
