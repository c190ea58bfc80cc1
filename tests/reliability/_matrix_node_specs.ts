/**
 * The authorization matrix's specs for the node-to-node routes, and the variants of record
 * writes that are not routes of their own (tests/reliability/authz_matrix.ts).
 */

import { createHash } from "node:crypto";
import { recordHash, type SignedRecord, toBase64Url } from "../../lib/crypto/mod.ts";
import { newMember, randomId, signed } from "../_support/family.ts";
import { isMember } from "./_world.ts";
import {
  albumId,
  albumOf,
  albums,
  blobOf,
  type BlobRef,
  type Ctx,
  isNode,
  keyOf,
  members,
  nodeOnly,
  owns,
  photoId,
  photoRecord,
  plain,
  type RecordLike,
  send,
  signedByNode,
  someReceipt,
  type Spec,
  stores,
} from "./_matrix_requests.ts";

/**
 * A photo in the actor's own album naming the blobs of the object's photo, with the references
 * (and upload receipts) copied from its record as `change` alters them; for a missing object,
 * a blob nobody stored with a real receipt for other bytes.
 */
async function photoOfCopiedRefs(c: Ctx, change: (r: BlobRef) => BlobRef) {
  const target = albumOf(c.w, c.actor, c.object)?.photo;
  const held = target && c.t.records.get<Record<string, BlobRef>>("photo", target.id);
  const refs = held
    ? [held.body.original, held.body.thumb, held.body.meta]
    : [{ id: c.w.missing.blob, size: 10, receipt: someReceipt(c) }];
  const own = isMember(c.actor)
    ? c.w.members[c.actor].own.album.id
    : c.w.members.owner.own.album.id;
  return { path: "/v1/photos", records: [await photoRecord(c, own, refs.map(change))] };
}

export const NODE_SPECS: Record<string, Spec> = {
  "GET /internal/v1/hello": {
    objects: members,
    read: true,
    expect: nodeOnly,
    run: plain((c) => send(c, "GET", "/internal/v1/hello")),
  },
  "GET /internal/v1/records": {
    objects: members,
    read: true,
    expect: nodeOnly,
    run: plain((c) => send(c, "GET", "/internal/v1/records?after=0")),
  },
  "POST /internal/v1/records": {
    // A page of the caller's feed. An honest node relays a record an admin made; the
    // compromised one pushes one it forged with its own key; neither may store anything
    // the record's author had no right to make.
    objects: members,
    expect: (a) => a === "paired node",
    async run(c) {
      const admin = c.w.members.admin.member;
      const record = c.actor === "compromised node"
        ? await signedByNode(c.t, c.w.nodes.paired, "album", c.w.albums.unshared.album.id, {
          ...c.w.albums.unshared.album.body,
          owner: toBase64Url(c.w.nodes.paired.publicKey),
        })
        : signed(c.t, admin, "invite", randomId(), {
          tokenHash: "a".repeat(64),
          x25519: toBase64Url(crypto.getRandomValues(new Uint8Array(32))),
          role: "member",
          expiresAt: c.t.records.now() + 3600_000,
          revoked: false,
        }) as RecordLike;
      const reply = await send(c, "POST", "/internal/v1/records", {
        json: { indexId: "0123456789abcdef", after: 0, lastSeq: 1, records: [record], more: false },
      });
      return {
        reply,
        allowed: c.t.records.get<RecordLike>(record.kind, record.id)?.sig === record.sig,
      };
    },
  },
  "GET /internal/v1/inventory": {
    objects: members,
    read: true,
    expect: nodeOnly,
    run: plain((c) => send(c, "GET", "/internal/v1/inventory")),
  },
  "POST /internal/v1/blobs/have": {
    objects: members,
    expect: nodeOnly,
    run: plain((c) =>
      send(c, "POST", "/internal/v1/blobs/have", {
        json: { ids: [c.w.albums.unshared.photo.original] },
      })
    ),
  },
  "POST /internal/v1/blobs/offer": {
    objects: members,
    expect: nodeOnly,
    run: plain((c) =>
      send(c, "POST", "/internal/v1/blobs/offer", {
        json: { blobs: [{ id: c.w.missing.blob, size: 10 }] },
      })
    ),
  },
  "PUT /internal/v1/blobs/{id}": {
    // A pushed blob: stored when its bytes hash to its id; the compromised node sends bytes
    // that do not.
    objects: ["missing"],
    expect: (a) => a === "paired node",
    run: plain((c) => {
      const bytes = crypto.getRandomValues(new Uint8Array(900));
      const id = c.actor === "compromised node"
        ? c.w.missing.blob
        : createHash("sha256").update(bytes).digest("hex");
      return send(c, "PUT", `/internal/v1/blobs/${id}`, { bytes }, {
        "content-type": "application/octet-stream",
      });
    }),
  },
  "GET /internal/v1/blobs/{id}": {
    objects: ["unshared", "purged", "missing"],
    read: true,
    expect: (a, o) => isNode(a) && o !== "missing",
    run: plain((c) => send(c, "GET", `/internal/v1/blobs/${blobOf(c)}`)),
  },
  "POST /internal/v1/blobs/{id}/proof": {
    objects: ["unshared", "missing"],
    expect: (a, o) => isNode(a) && o !== "missing",
    run: plain((c) =>
      send(c, "POST", `/internal/v1/blobs/${blobOf(c)}/proof`, {
        json: { nonce: toBase64Url(crypto.getRandomValues(new Uint8Array(32))) },
      })
    ),
  },
  "POST /internal/v1/bootstrap": {
    // This node has a family: nobody hands it another.
    objects: members,
    expect: () => false,
    run: plain((c) =>
      send(c, "POST", "/internal/v1/bootstrap", { json: { code: "AAAA-BBBB-CCCC", records: [{}] } })
    ),
  },
};

/**
 * Writes of records that are not routes of their own: variants of POST /v1/records and
 * POST /internal/v1/records, so each kind of change is tried on each object.
 */
export const VARIANTS: Record<string, Spec & { route: string }> = {
  "POST /v1/records: rename an album": {
    route: "POST /v1/records",
    objects: albums,
    // A missing album's id makes a new album: that any member may.
    expect: (a, o) => o === "missing" ? isMember(a) : owns(a, o),
    run: stores((c) => {
      const album = albumOf(c.w, c.actor, c.object)?.album;
      const me = keyOf(c.w, c.actor);
      const body = album
        ? { ...album.body, meta: toBase64Url(crypto.getRandomValues(new Uint8Array(40))) }
        : { owner: me.key, epoch: 0, meta: "bmV3", cover: null, trashedAt: null };
      return Promise.resolve({
        path: "/v1/records",
        records: [signed(c.t, me, "album", albumId(c), body) as RecordLike],
      });
    }),
  },
  "POST /v1/records: delete a photo": {
    route: "POST /v1/records",
    objects: albums,
    expect: owns,
    run: stores((c) =>
      Promise.resolve({
        path: "/v1/records",
        records: [signed(c.t, keyOf(c.w, c.actor), "tombstone", `photo.${photoId(c)}`, {
          kind: "photo",
          target: photoId(c),
          album: albumId(c),
        }) as RecordLike],
      })
    ),
  },
  "POST /v1/records: invite someone": {
    route: "POST /v1/records",
    objects: members,
    expect: (a) => a === "admin",
    run: stores((c) =>
      Promise.resolve({
        path: "/v1/records",
        records: [signed(c.t, keyOf(c.w, c.actor), "invite", randomId(), {
          tokenHash: "b".repeat(64),
          x25519: toBase64Url(crypto.getRandomValues(new Uint8Array(32))),
          role: "admin",
          expiresAt: c.t.records.now() + 3600_000,
          revoked: false,
        }) as RecordLike],
      })
    ),
  },
  "POST /v1/photos: reference another album's blobs": {
    // A photo in her own album that points at the object's blobs, with their references (and
    // upload receipts) copied from its photo record: allowed only when the bytes are hers,
    // that is on her own album's photo (issue #10 §2).
    route: "POST /v1/photos",
    objects: albums,
    // Olivia uploaded the photos of her albums: the bytes are hers, wherever they are.
    expect: (a, o) => isMember(a) && (o === "own" || (a === "owner" && o !== "missing")),
    run: stores((c) => photoOfCopiedRefs(c, (r) => r)),
  },
  "POST /v1/photos: reference another album's blobs at a wrong size": {
    // Refused whoever asks; the refusal must not tell whether the blob is stored, or its size.
    route: "POST /v1/photos",
    objects: albums,
    expect: () => false,
    run: stores((c) => photoOfCopiedRefs(c, (r) => ({ ...r, size: 1 }))),
  },
  "POST /internal/v1/records: a backdated promotion signed by a viewer": {
    // A compromised node with a member's help (issue #10 §1): Victor, a viewer, signs a member
    // record making a new key an admin, given a place early in the family log — following the
    // family's first record, stamped just after it, before Victor himself joined.
    route: "POST /internal/v1/records",
    objects: members,
    expect: () => false,
    async run(c) {
      const victor = c.w.members.viewer.member;
      const family = c.t.records.list<unknown>("family")[0];
      const [wall, counter] = family.hlc.split(".");
      const early = `${wall}.${String(Number(counter) + 1).padStart(6, "0")}`;
      const eve = newMember("Eve");
      const record = signed(
        c.t,
        victor,
        "member",
        eve.key,
        {
          x25519: eve.x25519,
          name: "Eve",
          role: "admin",
          removed: false,
        },
        early,
        [recordHash(family as SignedRecord)],
      ) as RecordLike;
      const reply = await send(c, "POST", "/internal/v1/records", {
        json: { indexId: "0123456789abcdef", after: 0, lastSeq: 1, records: [record], more: false },
      });
      return { reply, allowed: c.t.records.get("member", eve.key) !== undefined };
    },
  },
};
