import type { Handlers, PageProps } from "../../lib/web/types.ts";
import { services, sessionOf, toSignIn } from "../../lib/web/page_helpers.ts";
import { type AlbumBody, albumRole, type GrantRole } from "../../lib/vault/album_kinds.ts";
import AlbumPage from "../../islands/AlbumPage.tsx";

type AlbumData =
  | { found: false }
  | { found: true; albumId: string; role: GrantRole; trashed: boolean };

const ALBUM_ID = /^[A-Za-z0-9_-]{22}$/;

export const handler: Handlers<AlbumData> = {
  GET(_req, ctx) {
    const session = sessionOf(ctx.state);
    if (!session) return toSignIn(ctx);
    const { records } = services(ctx.state);
    const id = ctx.params.id;
    // Albums the member may not open look exactly like albums that do not exist.
    const role = ALBUM_ID.test(id) ? albumRole(records, id, session.memberKey) : undefined;
    if (!role) {
      ctx.state.title = "Album not found";
      return ctx.render({ found: false }, { status: 404 });
    }
    const album = records.get<AlbumBody>("album", id)!;
    ctx.state.title = "Album";
    return ctx.render({
      found: true,
      albumId: id,
      role,
      trashed: album.body.trashedAt !== null,
    });
  },
};

/**
 * One album. The node knows only ids, sizes and ciphertext, so the page arrives as a skeleton
 * and the island fills it in: name, photos, viewer, upload, sharing. The handler stays cheap
 * (a role check, no photo count): it runs on every visit, whatever the album's size.
 */
export default function Album({ data }: PageProps<AlbumData>) {
  if (!data.found) {
    return (
      <section class="setup">
        <div class="card card-hero">
          <h1>No such album</h1>
          <p class="lead">
            This album does not exist, was deleted for good, or has not been shared with you. If
            someone sent you this link, ask them to share the album with you.
          </p>
          <a class="btn" href="/albums">See your albums</a>
        </div>
      </section>
    );
  }
  return <AlbumPage albumId={data.albumId} role={data.role} trashed={data.trashed} />;
}
