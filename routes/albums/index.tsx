import type { Handlers, PageProps } from "../../lib/web/types.ts";
import { sessionOf, toSignIn } from "../../lib/web/page_helpers.ts";
import { NameSlot } from "../../lib/web/browser/ui/NameSlot.tsx";
import AlbumList from "../../islands/AlbumList.tsx";
import DownloadEverything from "../../islands/DownloadEverything.tsx";

interface AlbumsData {
  startCreating: boolean;
}

export const handler: Handlers<AlbumsData> = {
  GET(_req, ctx) {
    if (!sessionOf(ctx.state)) return toSignIn(ctx);
    ctx.state.title = "Albums";
    return ctx.render({
      startCreating: ctx.url.searchParams.has("new"),
    });
  },
};

/** The albums page. The node cannot read album names, so the island decrypts them. */
export default function Albums({ data }: PageProps<AlbumsData>) {
  return (
    <section>
      <p class="eyebrow">
        <NameSlot of="family" placeholder="Your family" />
      </p>
      <h1>Albums</h1>
      <p class="lead">
        Names, photos and dates are encrypted in your browser. This node stores only ciphertext it
        cannot read.
      </p>
      <AlbumList startCreating={data.startCreating} />
      <DownloadEverything />
    </section>
  );
}
