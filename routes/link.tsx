import type { Handlers, PageProps } from "../lib/web/types.ts";
import { NameSlot } from "../lib/web/browser/ui/NameSlot.tsx";
import LinkThisDevice from "../islands/LinkThisDevice.tsx";

export const handler: Handlers<Record<string, never>> = {
  GET(_req, ctx) {
    if (ctx.state.firstRun) return new Response(null, { status: 303, headers: { location: "/" } });
    ctx.state.title = "Link this device";
    return ctx.render({});
  },
};

/** A new device signs in with a one-time code from a signed-in one (no 24 words typed). */
export default function Link({ state }: PageProps<Record<string, never>>) {
  return (
    <section class="setup">
      <div class="card card-hero">
        <p class="eyebrow">
          <NameSlot of="family" placeholder="Your family's vault" />
        </p>
        <h1>Link this device</h1>
        <p class="lead">
          Your key comes from your other device, sealed under the code it shows. This node only
          passes the sealed key on, once, and cannot open it.
        </p>
        <LinkThisDevice nodeId={state.nodeId} />
      </div>
    </section>
  );
}
