/**
 * The vault API of seed §13: `GET/POST /v1/albums`, `GET /v1/albums/:id`,
 * `GET /v1/albums/:id/photos`, `POST /v1/photos`, `GET /v1/photos/:id`.
 * Changes arrive as records signed in the browser; reads return ciphertext
 * and opaque ids only. An album or photo the caller may not see is a 404.
 */

import { Hono } from "hono";
import { z } from "zod";
import { ForbiddenError, NotFoundError, ValidationError } from "../../core/errors.ts";
import { RandomId } from "../../core/schemas.ts";
import type { AlbumDetail, GrantView } from "../../core/album_shapes.ts";
import type { BlobStore, RecordLog } from "../../store/mod.ts";
import { type AlbumBody, albumRole, isPurged, PhotoBody } from "../../vault/album_kinds.ts";
import { checkPhotoBlobs } from "../../vault/photo_blobs.ts";
import type { AlbumQueries } from "../../vault/album_queries.ts";
import { describe } from "./openapi.ts";
import { type AppEnv, requireAuth } from "../auth/middleware.ts";
import { readJson } from "../validate.ts";

export interface AlbumRoutesDeps {
  records: RecordLog;
  blobs: BlobStore;
  albums: AlbumQueries;
}

const Page = z.object({
  after: z.string().max(64).regex(/^[A-Za-z0-9_-]*$/).default(""),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

/** The JSON bodies these routes read, by operation (the OpenAPI document describes them). */
export const ALBUM_BODIES = {
  "POST /v1/albums": z.object({ records: z.array(z.unknown()).min(1).max(2) }).strict(),
  "POST /v1/photos": z.object({ records: z.array(z.unknown()).min(1).max(200) }).strict(),
};

export function albumRoutes(deps: AlbumRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const visibleAlbum = (id: string, memberKey: string) => {
    if (!RandomId.safeParse(id).success) throw new NotFoundError("No such album");
    const album = deps.records.get<AlbumBody>("album", id);
    const view = album && !isPurged(deps.records, album)
      ? deps.albums.view(album, memberKey)
      : undefined;
    if (!view) throw new NotFoundError("No such album");
    return view;
  };

  app.get("/albums", describe({ summary: "Albums I may see, with my wrapped album key" }), (c) => {
    const auth = requireAuth(c);
    return c.json({ albums: deps.albums.albumsFor(auth.memberKey) });
  });

  app.post(
    "/albums",
    describe({
      summary: "Create an album: album record + owner grant",
      body: ALBUM_BODIES["POST /v1/albums"],
      signedRecords: true,
    }),
    async (c) => {
      const auth = requireAuth(c);
      const { records } = await readJson(c, ALBUM_BODIES["POST /v1/albums"]);
      const album = records[0] as { kind?: unknown; id?: unknown; author?: unknown };
      if (album?.kind !== "album" || album.author !== auth.memberKey) {
        throw new ValidationError("Send the album record, signed by you, then your owner grant");
      }
      deps.records.apply(records, { via: "api", sessionMember: auth.memberKey });
      return c.json({ album: visibleAlbum(String(album.id), auth.memberKey) }, 201);
    },
  );

  app.get("/albums/:id", describe({ summary: "One album and its grants" }), (c) => {
    const auth = requireAuth(c);
    const view = visibleAlbum(c.req.param("id"), auth.memberKey);
    const grants = deps.albums.grants(view.id).map((g): GrantView => ({
      member: g.body.member,
      role: g.body.role,
      epoch: g.body.epoch,
      revoked: g.body.revoked,
      record: view.role === "owner" ? g : undefined,
    }));
    return c.json({ album: view, grants } satisfies AlbumDetail);
  });

  app.get(
    "/albums/:id/photos",
    describe({ summary: "A page of an album's photos (?after=&limit=)" }),
    (c) => {
      const auth = requireAuth(c);
      const id = c.req.param("id");
      // The role alone decides (none for an unknown or purged album); the full album view,
      // with its photo count, is not needed for every page of a 10,000-photo album.
      if (!RandomId.safeParse(id).success || !albumRole(deps.records, id, auth.memberKey)) {
        throw new NotFoundError("No such album");
      }
      const page = Page.safeParse(c.req.query());
      if (!page.success) throw new ValidationError("Use ?after=<photo id>&limit=1..1000");
      return c.json(deps.albums.photos(id, page.data.after, page.data.limit));
    },
  );

  // The album's index shards (FORMAT §12.5): one request, whatever the album's size.
  app.get(
    "/albums/:id/index",
    describe({ summary: "The album's sealed index shards (FORMAT §12.5)" }),
    (c) => {
      const auth = requireAuth(c);
      const id = c.req.param("id");
      if (!RandomId.safeParse(id).success || !albumRole(deps.records, id, auth.memberKey)) {
        throw new NotFoundError("No such album");
      }
      return c.json({ shards: deps.albums.indexShards(id) });
    },
  );

  // Every readable album's index shards at once (the timeline): album id → its shards.
  app.get(
    "/album-indexes",
    describe({ summary: "Every album I can open: its sealed index shards" }),
    (c) => {
      const auth = requireAuth(c);
      const albums: Record<string, unknown[]> = {};
      for (const a of deps.albums.albumsFor(auth.memberKey)) {
        albums[a.id] = deps.albums.indexShards(a.id);
      }
      return c.json({ albums });
    },
  );

  // Photos by id (`?ids=a,b,…`, at most 200): what a browser shows first, known from an index.
  app.get(
    "/photos",
    describe({ summary: "Photo records by id (?ids=a,b,…; up to 200), those I may see" }),
    (c) => {
      const auth = requireAuth(c);
      const ids = (c.req.query("ids") ?? "").split(",").filter((s) => s !== "");
      if (
        ids.length === 0 || ids.length > 200 || !ids.every((i) => RandomId.safeParse(i).success)
      ) {
        throw new ValidationError("Use ?ids=<photo id>,<photo id>,… (1 to 200 photo ids)");
      }
      return c.json({ photos: deps.albums.photosByIds(ids, auth.memberKey) });
    },
  );

  app.post(
    "/photos",
    describe({
      summary: "Register photos naming my own uploads, each with its receipt",
      body: ALBUM_BODIES["POST /v1/photos"],
      signedRecords: true,
    }),
    async (c) => {
      const auth = requireAuth(c);
      const { records } = await readJson(c, ALBUM_BODIES["POST /v1/photos"]);
      records.forEach((r, i) => {
        const rec = r as { kind?: unknown; author?: unknown };
        if (rec?.kind !== "photo") throw new ValidationError(`Record ${i} is not a photo record`);
        if (rec.author !== auth.memberKey) {
          throw new ForbiddenError(`Record ${i} is not signed by you`);
        }
      });
      await checkPhotoBlobs(records, deps.blobs, deps.records);
      const results = deps.records.apply(records, { via: "api", sessionMember: auth.memberKey });
      return c.json({ results }, 201);
    },
  );

  app.get("/photos/:id", describe({ summary: "One photo record" }), (c) => {
    const auth = requireAuth(c);
    const id = c.req.param("id");
    const photo = RandomId.safeParse(id).success
      ? deps.records.get<PhotoBody>("photo", id)
      : undefined;
    const visible = photo && !deps.records.get("tombstone", `photo.${id}`) &&
      albumRole(deps.records, photo.body.album, auth.memberKey);
    if (!photo || !visible) throw new NotFoundError("No such photo");
    return c.json({ photo: { id: photo.id, ...photo.body, hlc: photo.hlc, record: photo } });
  });

  return app;
}
