import type { Handlers, PageProps } from "../lib/web/types.ts";
import { services, sessionOf, toSignIn } from "../lib/web/page_helpers.ts";
import { currentFamily } from "../lib/core/family_kinds.ts";
import Timeline from "../islands/Timeline.tsx";

interface PhotosData {
  familyName: string;
}

export const handler: Handlers<PhotosData> = {
  GET(_req, ctx) {
    if (!sessionOf(ctx.state)) return toSignIn(ctx);
    ctx.state.title = "Photos";
    return ctx.render({ familyName: currentFamily(services(ctx.state).records)?.body.name ?? "" });
  },
};

/** The timeline: every photo the member can open, newest first; the island decrypts it all. */
export default function Photos({ data }: PageProps<PhotosData>) {
  return (
    <section>
      <p class="eyebrow">{data.familyName}</p>
      <Timeline />
    </section>
  );
}
