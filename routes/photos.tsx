import type { Handlers, PageProps } from "../lib/web/types.ts";
import { sessionOf, toSignIn } from "../lib/web/page_helpers.ts";
import { NameSlot } from "../lib/web/browser/ui/NameSlot.tsx";
import Timeline from "../islands/Timeline.tsx";

export const handler: Handlers<Record<string, never>> = {
  GET(_req, ctx) {
    if (!sessionOf(ctx.state)) return toSignIn(ctx);
    ctx.state.title = "Photos";
    return ctx.render({});
  },
};

/** The timeline: every photo the member can open, newest first; the island decrypts it all. */
export default function Photos(_props: PageProps<Record<string, never>>) {
  return (
    <section>
      <p class="eyebrow">
        <NameSlot of="family" placeholder="Your family" />
      </p>
      <Timeline />
    </section>
  );
}
