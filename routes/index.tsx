import type { Handlers, PageProps } from "../lib/web/types.ts";
import SetupForm from "../islands/SetupForm.tsx";

interface HomeData {
  firstRun: boolean;
}

export const handler: Handlers<HomeData> = {
  GET(_req, ctx) {
    ctx.state.title = ctx.state.firstRun ? "Set up this node" : "Home";
    return ctx.render({ firstRun: ctx.state.firstRun });
  },
};

export default function Home({ data, state }: PageProps<HomeData>) {
  if (data.firstRun) {
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
          <SetupForm nodeId={state.nodeId} />
        </div>
      </section>
    );
  }
  return (
    <section>
      <h1>Your family vault</h1>
      <p class="lead">Sign in to see your albums.</p>
    </section>
  );
}
