import type { Handlers, PageProps } from "../../lib/web/types.ts";
import { services, sessionOf } from "../../lib/web/page_helpers.ts";
import { currentFamily, type InviteBody, inviteTokenHash } from "../../lib/core/family_kinds.ts";
import { inviteStatus } from "../../lib/web/api/views.ts";
import JoinFamily from "../../islands/JoinFamily.tsx";

type Status = "pending" | "used" | "expired" | "withdrawn" | "unknown" | "signed-in";

interface JoinData {
  status: Status;
  familyName: string;
  role?: string;
  token: string;
  /** What the join record follows in the family log (this node's heads now), and their stamp. */
  prev?: string[];
  after?: string;
}

const MESSAGES: Record<Exclude<Status, "pending">, { title: string; text: string }> = {
  used: {
    title: "This invite was already used",
    text: "Invites work once. Ask a family admin for a new link.",
  },
  expired: {
    title: "This invite has expired",
    text: "Invites are valid for a limited time. Ask a family admin for a new link.",
  },
  withdrawn: {
    title: "This invite was withdrawn",
    text: "An admin cancelled this invite. Ask them for a new link if you should join.",
  },
  unknown: {
    title: "This invite is not valid here",
    text: "Check that the whole link was copied, and that you opened it on the node it came from.",
  },
  "signed-in": {
    title: "You are already signed in",
    text:
      "This browser is signed in as a family member. Sign out in Settings to join as someone else.",
  },
};

export const handler: Handlers<JoinData> = {
  GET(_req, ctx) {
    const { records } = services(ctx.state);
    const token = ctx.params.token;
    const family = currentFamily(records);
    const base = { token, familyName: family?.body.name ?? "" };
    ctx.state.title = "Join the family";
    if (!family || !/^[A-Za-z0-9_-]{43}$/.test(token)) {
      return ctx.render({ ...base, status: "unknown" }, { status: 404 });
    }
    if (sessionOf(ctx.state)) return ctx.render({ ...base, status: "signed-in" });
    const invite = records.find<InviteBody>("invite", "tokenHash", inviteTokenHash(token))[0];
    if (!invite) return ctx.render({ ...base, status: "unknown" }, { status: 404 });
    const { status } = inviteStatus(invite, records);
    const heads = records.heads();
    return ctx.render(
      { ...base, status, role: invite.body.role, prev: heads.prev, after: heads.hlc },
      { status: status === "pending" ? 200 : 410 },
    );
  },
};

export default function Join({ data, state }: PageProps<JoinData>) {
  if (data.status !== "pending") {
    const m = MESSAGES[data.status];
    return (
      <section class="setup">
        <div class="card card-hero">
          <p class="eyebrow">Invitation</p>
          <h1>{m.title}</h1>
          <p class="lead">{m.text}</p>
          <a class="btn" href="/">Go to the start page</a>
        </div>
      </section>
    );
  }
  return (
    <section class="setup">
      <div class="card card-hero">
        <p class="eyebrow">Invitation</p>
        <h1>Join {data.familyName}</h1>
        <p class="lead">
          You were invited as{" "}
          {data.role === "admin" ? "an admin" : "a member"}. Your browser will make your own key;
          nobody else — not this node, not the admins — ever sees it.
        </p>
        <JoinFamily
          token={data.token}
          familyName={data.familyName}
          role={data.role!}
          nodeId={state.nodeId}
          prev={data.prev ?? []}
          after={data.after}
        />
      </div>
    </section>
  );
}
