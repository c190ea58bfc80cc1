import type { Handlers, PageProps } from "../lib/web/types.ts";
import NodeFinder from "../islands/NodeFinder.tsx";

export const handler: Handlers<undefined> = {
  GET(_req, ctx) {
    // The service worker caches this page: it must be the same for everyone, no session.
    ctx.state.session = undefined;
    ctx.state.title = "Not reachable";
    return ctx.render(undefined);
  },
};

/**
 * What the installed app shows when no page can be loaded from this node (the service worker
 * serves it from its cache): an honest "not answering", and a search for another family node.
 */
export default function Offline(_props: PageProps<undefined>) {
  return (
    <section class="setup">
      <div class="card card-hero offline-card">
        <p class="eyebrow">Offline</p>
        <h1>Your vault's node is not answering</h1>
        <NodeFinder />
        <p class="hint">
          Nothing was lost: this page keeps no photos and no keys. <a href="/">Try again</a>
        </p>
      </div>
    </section>
  );
}
