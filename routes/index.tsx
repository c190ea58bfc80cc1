import type { Handlers, PageProps } from "../lib/web/types.ts";
import { services, sessionOf } from "../lib/web/page_helpers.ts";
import type { MemberBody } from "../lib/core/family_kinds.ts";
import { NameSlot } from "../lib/web/browser/ui/NameSlot.tsx";
import SetupWizard from "../islands/SetupWizard.tsx";
import JoinAsNode from "../islands/JoinAsNode.tsx";
import SignIn from "../islands/SignIn.tsx";
import RecentAlbums from "../islands/RecentAlbums.tsx";
import ReplicationBadge from "../islands/ReplicationBadge.tsx";

type HomeData =
  | { view: "setup" }
  | { view: "signin"; next?: string }
  | {
    view: "dashboard";
    me: string;
    role: string;
    memberCount: number;
    blobCount: number;
  };

export const handler: Handlers<HomeData> = {
  async GET(_req, ctx) {
    const { records, blobs } = services(ctx.state);
    if (ctx.state.firstRun) {
      ctx.state.title = "Set up this node";
      return ctx.render({ view: "setup" });
    }
    const session = sessionOf(ctx.state);
    if (!session) {
      ctx.state.title = "Sign in";
      const next = ctx.url.searchParams.get("next") ?? undefined;
      return ctx.render({ view: "signin", next });
    }
    ctx.state.title = "Home";
    // Names are sealed (FORMAT §14): the page shows placeholders the browser fills in.
    const memberCount = records.list<MemberBody>("member").filter((m) => !m.body.removed).length;
    const page = await blobs.list({ limit: 1000 });
    return ctx.render({
      view: "dashboard",
      me: session.memberKey,
      role: session.member.body.role,
      memberCount,
      blobCount: page.ids.length,
    });
  },
};

export default function Home({ data, state }: PageProps<HomeData>) {
  if (data.view === "setup") {
    return (
      <section class="setup">
        <div class="card card-hero">
          <p class="eyebrow">First start</p>
          <h1>Welcome to your family vault</h1>
          <p class="lead">
            This node has no family yet. Whoever sets it up becomes the family's first admin, so
            p2pos asks for the one-time setup code it printed in its console when it started.
          </p>
          <dl class="facts">
            <dt>This node's id</dt>
            <dd>
              <code class="node-id">{state.nodeId}</code>
            </dd>
          </dl>
          <SetupWizard nodeId={state.nodeId} />
          <JoinAsNode nodeId={state.nodeId} />
        </div>
      </section>
    );
  }
  if (data.view === "signin") {
    return (
      <section class="setup">
        <div class="card card-hero">
          <p class="eyebrow">
            <NameSlot of="family" placeholder="Your family's vault" />
          </p>
          <h1>Sign in with your key</h1>
          <p class="lead">
            p2pos has no passwords. Your browser proves it holds your family key by signing a
            one-time challenge from this node.
          </p>
          <SignIn nodeId={state.nodeId} next={data.next} />
        </div>
      </section>
    );
  }
  return (
    <section>
      <p class="eyebrow">
        <NameSlot of="family" placeholder="Your family" />
      </p>
      <h1>
        Hello, <NameSlot of={`member:${data.me}`} placeholder="there" />
      </h1>
      <div class="cards">
        <div class="card stat">
          <h2>Family</h2>
          <p class="stat-value">{data.memberCount}</p>
          <p class="muted">
            {data.memberCount === 1 ? "member" : "members"} ·{" "}
            <a href="/members">{data.role === "admin" ? "invite someone" : "see who"}</a>
          </p>
        </div>
        <div class="card stat">
          <h2>This node</h2>
          <p class="stat-value">{data.blobCount}</p>
          <p class="muted">encrypted objects stored here</p>
          <p class="muted">
            <code class="node-id">{state.nodeId.slice(0, 15)}…</code>
          </p>
        </div>
        <div class="card stat">
          <h2>Copies on other nodes</h2>
          <ReplicationBadge />
        </div>
        <div class="card stat">
          <h2>Albums</h2>
          <RecentAlbums />
        </div>
      </div>
    </section>
  );
}
