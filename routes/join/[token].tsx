import type { Handlers, PageProps } from "../../lib/web/types.ts";
import { services, sessionOf } from "../../lib/web/page_helpers.ts";
import { currentFamily, type InviteBody, inviteTokenHash } from "../../lib/core/family_kinds.ts";
import type { FamilyKeyBody } from "../../lib/core/family_key_kind.ts";
import { inviteStatus } from "../../lib/web/api/views.ts";
import { NameSlot } from "../../lib/web/browser/ui/NameSlot.tsx";
import JoinFamily, { type SealedFamily } from "../../islands/JoinFamily.tsx";

type Status = "pending" | "used" | "expired" | "withdrawn" | "unknown" | "signed-in";

interface JoinData {
  status: Status;
  role?: string;
  token: string;
  /** What the join record follows in the family log (this node's heads now), and their stamp. */
  prev?: string[];
  after?: string;
  /**
   * A pending invite only: the family's sealed name and keychain, the invite's X25519 key and
   * the family key wrapped to it. Ciphertext: only the link's fragment (never sent here) opens
   * it.
   */
  sealed?: SealedFamily;
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
    const base = { token };
    ctx.state.title = "Join the family";
    if (!family || !/^[A-Za-z0-9_-]{43}$/.test(token)) {
      return ctx.render({ ...base, status: "unknown" }, { status: 404 });
    }
    if (sessionOf(ctx.state)) return ctx.render({ ...base, status: "signed-in" });
    const invite = records.find<InviteBody>("invite", "tokenHash", inviteTokenHash(token))[0];
    if (!invite) return ctx.render({ ...base, status: "unknown" }, { status: 404 });
    const { status } = inviteStatus(invite, records);
    if (status !== "pending") return ctx.render({ ...base, status }, { status: 410 });
    const heads = records.heads();
    const { epoch, keyId, keys, name } = family.body;
    const wrap = records.get<FamilyKeyBody>("family_key", invite.body.x25519)?.body ?? null;
    return ctx.render({
      ...base,
      status,
      role: invite.body.role,
      prev: heads.prev,
      after: heads.hlc,
      sealed: { family: { epoch, keyId, keys, name }, invite: invite.body.x25519, wrap },
    });
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
        <h1>
          Join <NameSlot of="family" placeholder="your family" />
        </h1>
        <p class="lead">
          You were invited as{" "}
          {data.role === "admin" ? "an admin" : "a member"}. Your browser will make your own key;
          nobody else — not this node, not the admins — ever sees it.
        </p>
        <JoinFamily
          token={data.token}
          sealed={data.sealed!}
          role={data.role!}
          nodeId={state.nodeId}
          prev={data.prev ?? []}
          after={data.after}
        />
      </div>
    </section>
  );
}
