import type { Handlers, PageProps } from "../lib/web/types.ts";
import { services } from "../lib/web/page_helpers.ts";
import { currentFamily } from "../lib/core/family_kinds.ts";
import LinkThisDevice from "../islands/LinkThisDevice.tsx";

interface LinkData {
  familyName: string;
}

export const handler: Handlers<LinkData> = {
  GET(_req, ctx) {
    if (ctx.state.firstRun) return new Response(null, { status: 303, headers: { location: "/" } });
    ctx.state.title = "Link this device";
    return ctx.render({ familyName: currentFamily(services(ctx.state).records)!.body.name });
  },
};

/** A new device signs in with a one-time code from a signed-in one (no 24 words typed). */
export default function Link({ data, state }: PageProps<LinkData>) {
  return (
    <section class="setup">
      <div class="card card-hero">
        <p class="eyebrow">{data.familyName}</p>
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
