/**
 * The authorization matrix's specs for the `/v1` routes (tests/reliability/authz_matrix.ts):
 * for each route of the OpenAPI document, the objects it is tried on, who may, and how a cell
 * tells that it was allowed.
 */

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { BlobBatchParser, FRAME_NOT_READABLE, frameHeader } from "../../lib/core/blob_batch.ts";
import { fromBase64Url, toBase64Url, wrapKey } from "../../lib/crypto/mod.ts";
import { newMember, signed } from "../_support/family.ts";
import { isMember, OBJECTS } from "./_world.ts";
import {
  addsPhotos,
  albumId,
  albumOf,
  albums,
  blobOf,
  keyOf,
  memberOnly,
  members,
  ok,
  owns,
  ownThing,
  photoId,
  photoRecord,
  plain,
  PUBLIC,
  type RecordLike,
  type Reply,
  sees,
  send,
  type Spec,
  stores,
  thingsOf,
} from "./_matrix_requests.ts";

/** The frames of a blob batch's answer (lib/core/blob_batch.ts). */
function batchItems(reply: Reply, expected: number) {
  const parser = new BlobBatchParser(expected);
  const items = parser.push(reply.bytes ?? new Uint8Array(0));
  parser.end();
  return items;
}

export const V1_SPECS: Record<string, Spec> = {
  "POST /v1/setup/check": {
    ...PUBLIC,
    run: plain((c) => send(c, "POST", "/v1/setup/check", { json: { code: "AAAA-BBBB-CCCC" } })),
  },
  "POST /v1/setup": {
    ...PUBLIC,
    run: plain((c) =>
      send(c, "POST", "/v1/setup", { json: { code: "AAAA-BBBB-CCCC", records: [{}] } })
    ),
  },
  "POST /v1/auth/challenge": {
    ...PUBLIC,
    run: plain((c) => send(c, "POST", "/v1/auth/challenge", { json: {} })),
  },
  "POST /v1/auth/verify": {
    ...PUBLIC,
    run: plain((c) =>
      send(c, "POST", "/v1/auth/verify", {
        json: {
          member: keyOf(c.w, c.actor).key,
          challenge: toBase64Url(crypto.getRandomValues(new Uint8Array(32))),
          signature: toBase64Url(crypto.getRandomValues(new Uint8Array(64))),
        },
      })
    ),
  },
  "POST /v1/auth/logout": {
    ...PUBLIC,
    run: plain((c) => send(c, "POST", "/v1/auth/logout", { json: {} })),
  },
  "POST /v1/join": {
    ...PUBLIC,
    run: plain((c) =>
      send(c, "POST", "/v1/join", {
        json: {
          record: signed(c.t, newMember("Eve"), "member", "x", {
            x25519: toBase64Url(crypto.getRandomValues(new Uint8Array(32))),
            name: "Eve",
            role: "admin",
            removed: false,
          }),
        },
      })
    ),
  },
  "GET /v1/openapi.json": {
    ...PUBLIC,
    read: true,
    run: plain((c) => send(c, "GET", "/v1/openapi.json")),
  },
  "POST /v1/nodes/join-code": {
    ...PUBLIC,
    run: plain((c) => send(c, "POST", "/v1/nodes/join-code", { json: { code: "AAAA-BBBB-CCCC" } })),
  },
  "GET /v1/nodes/join-status": {
    ...PUBLIC,
    read: true,
    run: plain((c) => send(c, "GET", "/v1/nodes/join-status")),
  },

  "GET /v1/session": {
    objects: members,
    read: true,
    expect: memberOnly,
    run: plain((c) => send(c, "GET", "/v1/session")),
  },
  "DELETE /v1/sessions/{handle}": ownThing(
    "DELETE",
    (h) => `/v1/sessions/${h}`,
    (c) => thingsOf(c).second.handle,
    (w) => w.missing.handle,
  ),
  "GET /v1/members": {
    objects: members,
    read: true,
    expect: memberOnly,
    run: plain((c) => send(c, "GET", "/v1/members")),
  },
  "GET /v1/family": {
    // Sealed names and the caller's own wrapped family key: every member's browser reads them.
    objects: members,
    read: true,
    expect: memberOnly,
    run: plain((c) => send(c, "GET", "/v1/family")),
    leak(c, reply) {
      // Who lacks the key in force, and whether a rotation is due, are for admins only.
      const json = reply.json ?? {};
      if (c.actor !== "admin" && ("behind" in json || "rotate" in json)) {
        return "tells a member who is not an admin who lacks the family key";
      }
      return undefined;
    },
  },
  "GET /v1/invites": {
    objects: members,
    read: true,
    expect: (a) => a === "admin",
    run: plain((c) => send(c, "GET", "/v1/invites")),
  },
  "POST /v1/records": {
    // Sharing an album: a grant signed by the actor, for a member without one.
    objects: albums,
    expect: owns,
    run: stores(async (c) => {
      const grantee = c.actor === "admin" ? c.w.members.viewer.member : c.w.members.admin.member;
      const id = albumId(c);
      const key = albumOf(c.w, c.actor, c.object)?.album.key ?? new Uint8Array(32);
      return {
        path: "/v1/records",
        records: [signed(c.t, keyOf(c.w, c.actor), "grant", `${id}.${grantee.key}`, {
          album: id,
          member: grantee.key,
          role: "viewer",
          epoch: 0,
          wrapped: toBase64Url(await wrapKey(key, fromBase64Url(grantee.x25519))),
          revoked: false,
        }) as RecordLike],
      };
    }),
  },
  "GET /v1/heads": {
    // What a record made now follows: the family log's heads, for members signing records.
    objects: members,
    read: true,
    expect: memberOnly,
    run: plain((c) => send(c, "GET", "/v1/heads")),
  },
  "GET /v1/albums": {
    objects: members,
    read: true,
    expect: memberOnly,
    run: plain((c) => send(c, "GET", "/v1/albums")),
    leak(c, reply) {
      const listed: string[] = (reply.json?.albums ?? []).map((a: { id: string }) => a.id);
      const hidden = OBJECTS.filter((o) => o !== "missing" && !sees(c.actor, o))
        .map((o) => albumOf(c.w, c.actor, o)?.album.id);
      const shown = listed.filter((id) => hidden.includes(id));
      return shown.length ? `lists ${shown.length} albums it may not see` : undefined;
    },
  },
  "POST /v1/albums": {
    // Creating an album: a new id, or the id of an album that exists (re-creating it).
    objects: ["own", "unshared", "missing"],
    expect: (a, o) => isMember(a) && (o === "missing" || owns(a, o)),
    run: stores((c) => {
      const me = keyOf(c.w, c.actor);
      const id = albumId(c);
      const meta = toBase64Url(crypto.getRandomValues(new Uint8Array(48)));
      return Promise.resolve({
        path: "/v1/albums",
        records: [
          signed(c.t, me, "album", id, {
            owner: me.key,
            epoch: 0,
            meta,
            cover: null,
            trashedAt: null,
          }) as RecordLike,
          signed(c.t, me, "grant", `${id}.${me.key}`, {
            album: id,
            member: me.key,
            role: "owner",
            epoch: 0,
            wrapped: toBase64Url(crypto.getRandomValues(new Uint8Array(92))),
            revoked: false,
          }) as RecordLike,
        ],
      });
    }),
  },
  "GET /v1/albums/{id}": {
    objects: albums,
    read: true,
    expect: sees,
    run: plain((c) => send(c, "GET", `/v1/albums/${albumId(c)}`)),
  },
  "POST /v1/device-links": {
    objects: members,
    expect: memberOnly,
    run: plain((c) =>
      send(c, "POST", "/v1/device-links", {
        json: { lookup: c.w.missing.blob, sealed: toBase64Url(new Uint8Array(40)) },
      })
    ),
  },
  "GET /v1/device-links/{lookup}": ownThing(
    "GET",
    (l) => `/v1/device-links/${l}`,
    (c) => thingsOf(c).deviceLink,
    (w) => w.missing.blob,
  ),
  "POST /v1/device-links/claim": {
    // Whoever holds a lookup fetches the link once, signed in or not; one nobody made is the
    // same 404 for everyone.
    ...PUBLIC,
    run: plain((c) =>
      send(c, "POST", "/v1/device-links/claim", { json: { lookup: c.w.missing.blob } })
    ),
  },
  "GET /v1/albums/{id}/index": {
    objects: albums,
    read: true,
    expect: sees,
    run: plain((c) => send(c, "GET", `/v1/albums/${albumId(c)}/index`)),
  },
  "GET /v1/album-indexes": {
    objects: members,
    read: true,
    expect: memberOnly,
    run: plain((c) => send(c, "GET", "/v1/album-indexes")),
    leak(c, reply) {
      const listed = Object.keys(reply.json?.albums ?? {});
      const hidden = OBJECTS.filter((o) => o !== "missing" && !sees(c.actor, o))
        .map((o) => albumOf(c.w, c.actor, o)?.album.id);
      const shown = listed.filter((id) => hidden.includes(id));
      return shown.length ? `lists the index of ${shown.length} albums it may not see` : undefined;
    },
  },
  "GET /v1/photos": {
    // Photos by id: allowed when the asked photo is in the answer.
    objects: albums,
    read: true,
    expect: sees,
    async run(c) {
      const reply = await send(c, "GET", `/v1/photos?ids=${photoId(c)}`);
      const listed = (reply.json?.photos ?? []).some((p: { id: string }) => p.id === photoId(c));
      return { reply, allowed: ok(reply) && listed };
    },
  },
  "GET /v1/albums/{id}/photos": {
    objects: albums,
    read: true,
    expect: sees,
    run: plain((c) => send(c, "GET", `/v1/albums/${albumId(c)}/photos`)),
  },
  "POST /v1/photos": {
    // Adding a photo of one's own bytes to the album.
    objects: albums,
    expect: addsPhotos,
    run: stores(async (c) => ({
      path: "/v1/photos",
      records: [await photoRecord(c, albumId(c))],
    })),
  },
  "GET /v1/photos/{id}": {
    objects: albums,
    read: true,
    expect: sees,
    run: plain((c) => send(c, "GET", `/v1/photos/${photoId(c)}`)),
  },
  "POST /v1/uploads": {
    // Opening an upload for the object's blob: allowed to members, and it answers the same
    // whether the blob is stored or not (and does not make the blob readable).
    objects: ["unshared", "missing"],
    expect: memberOnly,
    run: plain((c) => {
      // "unshared": bytes Olivia uploaded and has not put in any photo yet.
      const { id, size } = c.object === "missing"
        ? { id: c.w.missing.blob, size: 5001 }
        : c.w.loose;
      return send(c, "POST", "/v1/uploads", { json: { blob: id, size } });
    }),
    async leak(c, reply) {
      if (!isMember(c.actor) || c.actor === "owner" || c.object !== "unshared") return undefined;
      // The same answer as for bytes nobody stored: a new session to send them into.
      if (reply.status !== 201 || reply.json?.complete !== undefined) {
        return `tells that someone stored the blob (HTTP ${reply.status}, ${
          reply.text.slice(0, 80)
        })`;
      }
      const read = await send(c, "GET", `/v1/blobs/${c.w.loose.id}`);
      return ok(read)
        ? "opening an upload for someone else's stored blob made it readable"
        : undefined;
    },
  },
  "GET /v1/uploads/{id}": ownThing(
    "GET",
    (id) => `/v1/uploads/${id}`,
    (c) => thingsOf(c).complete.id,
    (w) => w.missing.upload,
  ),
  "PATCH /v1/uploads/{id}": ownThing(
    "PATCH",
    (id) => `/v1/uploads/${id}`,
    (c) => thingsOf(c).fresh.id,
    (w) => w.missing.upload,
    (c) => ({ bytes: thingsOf(c).fresh.bytes }),
    { "upload-offset": "0" },
  ),
  "POST /v1/uploads/{id}/finish": ownThing(
    "POST",
    (id) => `/v1/uploads/${id}/finish`,
    (c) => thingsOf(c).complete.id,
    (w) => w.missing.upload,
    () => ({ json: {} }),
  ),
  "DELETE /v1/uploads/{id}": ownThing(
    "DELETE",
    (id) => `/v1/uploads/${id}`,
    (c) => thingsOf(c).complete.id,
    (w) => w.missing.upload,
  ),
  "PUT /v1/blobs/{id}": {
    // Storing bytes one holds: new ones, or the bytes of a blob that is stored already.
    objects: ["unshared", "missing"],
    expect: memberOnly,
    run: plain((c) => {
      const stored = albumOf(c.w, c.actor, c.object)?.photo.original;
      const bytes = stored
        ? c.w.blobBytes.get(stored)!
        : crypto.getRandomValues(new Uint8Array(777));
      const id = createHash("sha256").update(bytes).digest("hex");
      return send(c, "PUT", `/v1/blobs/${id}`, { bytes });
    }),
  },
  "GET /v1/blobs/{id}": {
    objects: albums,
    read: true,
    expect: sees,
    run: plain((c) => send(c, "GET", `/v1/blobs/${blobOf(c)}`)),
  },
  "HEAD /v1/blobs/{id}": {
    objects: albums,
    read: true,
    expect: sees,
    run: plain((c) => send(c, "HEAD", `/v1/blobs/${blobOf(c)}`)),
  },
  "POST /v1/blobs/batch": {
    // Allowed when the frame for the asked id carries that blob's bytes.
    objects: albums,
    read: true,
    expect: sees,
    async run(c) {
      const reply = await send(c, "POST", "/v1/blobs/batch", { json: { ids: [blobOf(c)] } });
      const item = ok(reply) ? batchItems(reply, 1)[0] : undefined;
      const want = c.w.blobBytes.get(blobOf(c));
      const allowed = !!item?.bytes && !!want && Buffer.compare(item.bytes, want) === 0;
      return { reply, allowed };
    },
    leak(_c, reply) {
      // A "not readable" frame is the same 5 bytes whatever the id: no existence, no size.
      if (!ok(reply) || batchItems(reply, 1)[0].bytes) return undefined;
      const notReadable = frameHeader(FRAME_NOT_READABLE, 0);
      if (Buffer.compare(reply.bytes!, notReadable) !== 0) {
        return `answers an unreadable id with ${reply.bytes!.length} bytes, not the bare frame`;
      }
      return reply.headers?.get("cache-control") === "no-store"
        ? undefined
        : "lets an answer with an unreadable id be cached";
    },
  },
  "GET /v1/nodes": {
    objects: members,
    read: true,
    expect: memberOnly,
    run: plain((c) => send(c, "GET", "/v1/nodes")),
  },
  "POST /v1/nodes/peers": {
    // Pairing a node: allowed when its admin-signed record was stored (the hand-over to the
    // new node, which does not exist here, then fails with 502).
    objects: members,
    expect: (a) => a === "admin",
    async run(c) {
      const fresh = c.w.nodes.stranger;
      const me = keyOf(c.w, c.actor);
      const join = {
        v: 1,
        nodeId: fresh.nodeId,
        publicKey: toBase64Url(fresh.publicKey),
        url: "http://127.0.0.1:9",
        code: "AAAA-BBBB-CCCC",
      };
      const record = signed(c.t, me, "node", fresh.nodeId, {
        publicKey: join.publicKey,
        url: join.url,
        name: "Fir",
        removed: false,
      }) as RecordLike;
      const reply = await send(c, "POST", "/v1/nodes/peers", {
        json: { joinCode: toBase64Url(new TextEncoder().encode(JSON.stringify(join))), record },
      });
      return {
        reply,
        allowed: c.t.records.get<RecordLike>("node", fresh.nodeId)?.sig === record.sig,
      };
    },
  },
  "GET /v1/replication/status": {
    objects: members,
    read: true,
    expect: memberOnly,
    run: plain((c) => send(c, "GET", "/v1/replication/status")),
  },
  "POST /v1/replication/locations": {
    objects: albums,
    expect: sees,
    async run(c) {
      const reply = await send(c, "POST", "/v1/replication/locations", {
        json: { blobIds: [blobOf(c)] },
      });
      const listed = (reply.json?.blobs ?? []).some((b: { blobId: string }) =>
        b.blobId === blobOf(c)
      );
      return { reply, allowed: ok(reply) && listed };
    },
  },
  "GET /v1/blobs/{id}/locations": {
    objects: albums,
    read: true,
    expect: sees,
    run: plain((c) => send(c, "GET", `/v1/blobs/${blobOf(c)}/locations`)),
  },
  "GET /v1/events": {
    objects: members,
    read: true,
    expect: memberOnly,
    run: plain((c) => send(c, "GET", "/v1/events")),
  },
};
