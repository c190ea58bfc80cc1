import type { Handlers, PageProps } from "../lib/web/types.ts";
import { sessionOf, toSignIn } from "../lib/web/page_helpers.ts";
import { NameSlot } from "../lib/web/browser/ui/NameSlot.tsx";
import RecoveryWords from "../islands/RecoveryWords.tsx";
import SessionList from "../islands/SessionList.tsx";
import ThemeToggle from "../islands/ThemeToggle.tsx";
import AccountActions from "../islands/AccountActions.tsx";
import LinkDevice from "../islands/LinkDevice.tsx";

interface SettingsData {
  key: string;
  role: string;
  theme: "system" | "light" | "dark";
}

export const handler: Handlers<SettingsData> = {
  GET(_req, ctx) {
    const session = sessionOf(ctx.state);
    if (!session) return toSignIn(ctx);
    ctx.state.title = "Settings";
    return ctx.render({
      key: session.memberKey,
      role: session.member.body.role,
      theme: ctx.state.theme ?? "system",
    });
  },
};

export default function Settings({ data, state }: PageProps<SettingsData>) {
  return (
    <section>
      <h1>Settings</h1>
      <div class="card">
        <h2>Your key</h2>
        <dl class="facts">
          <dt>Name</dt>
          <dd>
            <NameSlot of={`member:${data.key}`} placeholder="Your name (encrypted)" />
          </dd>
          <dt>Role</dt>
          <dd>{data.role}</dd>
          <dt>Public key</dt>
          <dd>
            <code class="node-id">{data.key}</code>
          </dd>
          <dt>This node</dt>
          <dd>
            <code class="node-id">{state.nodeId}</code>
          </dd>
        </dl>
        <h3>Recovery words</h3>
        <p class="muted">
          Your 24 words are your key. With them you can sign in on a new device; without them, a
          lost device means a lost key. Keep them on paper, somewhere safe.
        </p>
        <RecoveryWords />
      </div>
      <div class="card">
        <h2>Devices</h2>
        <SessionList />
        <h3>Link a new device</h3>
        <LinkDevice />
      </div>
      <div class="card">
        <h2>Appearance</h2>
        <ThemeToggle theme={data.theme} />
      </div>
      <div class="card">
        <h2>This device</h2>
        <AccountActions />
      </div>
    </section>
  );
}
