/**
 * The role × object matrix (issue: "0 unexpected allows"): every role against
 * every album, photo and blob route, reads and writes. A cell is "allow" for a
 * 2xx answer and "deny" for 401/403/404; anything else fails the test.
 */

import assert from "node:assert/strict";
import { fromBase64Url, toBase64Url, wrapKey } from "../../crypto/mod.ts";
import {
  authed,
  inviteAndJoin,
  json,
  setupFamily,
  signed,
  type TestMember,
} from "../../../tests/_support/family.ts";
import { makeTestApp, type TestApp } from "../../../tests/_support/test_app.ts";
import {
  addPhoto,
  createAlbum,
  makePhoto,
  share,
  type TestAlbum,
  type TestPhoto,
} from "../../../tests/_support/vault.ts";

type Role = "owner" | "contributor" | "viewer" | "non-grantee" | "removed" | "no session";
const ROLES: Role[] = ["owner", "contributor", "viewer", "non-grantee", "removed", "no session"];

interface World {
  t: TestApp;
  album: TestAlbum;
  photo: TestPhoto;
  who: Record<Role, TestMember>;
  outsider: TestMember;
}

async function world(): Promise<World> {
  const t = await makeTestApp();
  const owner = await setupFamily(t);
  const contributor = await inviteAndJoin(t, owner, "Carol");
  const viewer = await inviteAndJoin(t, owner, "Victor");
  const outsider = await inviteAndJoin(t, owner, "Olga");
  const removed = await inviteAndJoin(t, owner, "Rita");
  const album = await createAlbum(t, owner);
  await share(t, album, contributor, "contributor");
  await share(t, album, viewer, "viewer");
  await share(t, album, removed, "viewer");
  const photo = await addPhoto(t, album, owner);
  // Rita's grant is never revoked: her removal from the family alone must shut her out.
  const rita = t.records.get<Record<string, unknown>>("member", removed.key)!;
  const res = await json(t, "/v1/records", {
    body: { records: [signed(t, owner, "member", removed.key, { ...rita.body, removed: true })] },
    cookie: owner.cookie,
  });
  assert.equal(res.status, 200);
  const anonymous: TestMember = { ...outsider, cookie: undefined };
  return {
    t,
    album,
    photo,
    outsider,
    who: { owner, contributor, viewer, "non-grantee": outsider, removed, "no session": anonymous },
  };
}

type Action = (w: World, me: TestMember) => Promise<Response>;

const records = (w: World, me: TestMember, recs: unknown[]) =>
  json(w.t, "/v1/records", { body: { records: recs }, cookie: me.cookie });
const currentAlbum = (w: World) =>
  w.t.records.get<Record<string, unknown>>("album", w.album.id)!.body;

const READS: Record<string, Action> = {
  "GET album": (w, me) => json(w.t, `/v1/albums/${w.album.id}`, { cookie: me.cookie }),
  "GET album photos": (w, me) =>
    json(w.t, `/v1/albums/${w.album.id}/photos`, { cookie: me.cookie }),
  "GET photo": (w, me) => json(w.t, `/v1/photos/${w.photo.id}`, { cookie: me.cookie }),
  "GET original blob": (w, me) => authed(w.t, me)(`/v1/blobs/${w.photo.original}`),
  "GET thumbnail blob": (w, me) => authed(w.t, me)(`/v1/blobs/${w.photo.thumb}`),
  "GET metadata blob": (w, me) => authed(w.t, me)(`/v1/blobs/${w.photo.meta}`),
  "GET album index": (w, me) => json(w.t, `/v1/albums/${w.album.id}/index`, { cookie: me.cookie }),
  // Answers 200 with the photos the caller may see: a cell allows when the photo is among them.
  "GET photos by id": async (w, me) => {
    const res = await json(w.t, `/v1/photos?ids=${w.photo.id}`, { cookie: me.cookie });
    if (res.status !== 200) return res;
    const { photos } = await res.json();
    return new Response(null, { status: photos.length === 1 ? 200 : 404 });
  },
};

const WRITES: Record<string, Action> = {
  "add photo": async (w, me) => {
    // Blobs are her own uploads (a photo may name no others), or, when she cannot upload at
    // all, the owner's, so that only the photo record is on trial.
    const p = await makePhoto(w.t, w.album, me, 9)
      .catch(() => makePhoto(w.t, w.album, w.who.owner, 9));
    const body = { ...(p.record.body as Record<string, unknown>), uploader: me.key };
    return json(w.t, "/v1/photos", {
      body: { records: [signed(w.t, me, "photo", p.id, body)] },
      cookie: me.cookie,
    });
  },
  "rename album": (w, me) =>
    records(w, me, [
      signed(w.t, me, "album", w.album.id, { ...currentAlbum(w), meta: "bmV3bmFtZQ" }),
    ]),
  "trash album": (w, me) =>
    records(w, me, [
      signed(w.t, me, "album", w.album.id, { ...currentAlbum(w), trashedAt: w.t.records.now() }),
    ]),
  "share album": async (w, me) =>
    records(w, me, [signed(w.t, me, "grant", `${w.album.id}.${w.outsider.key}`, {
      album: w.album.id,
      member: w.outsider.key,
      role: "viewer",
      epoch: 0,
      wrapped: toBase64Url(await wrapKey(w.album.key, fromBase64Url(w.outsider.x25519))),
      revoked: false,
    })]),
  "delete photo": (w, me) =>
    records(w, me, [signed(w.t, me, "tombstone", `photo.${w.photo.id}`, {
      kind: "photo",
      target: w.photo.id,
      album: w.album.id,
    })]),
  "write album index": (w, me) =>
    records(w, me, [signed(w.t, me, "album_index", `${w.album.id}.0`, {
      album: w.album.id,
      shard: 0,
      epoch: 0,
      sealed: "AAAA",
    })]),
  "re-wrap photo key": (w, me) => {
    const p = w.t.records.get<Record<string, unknown>>("photo", w.photo.id)!;
    return records(w, me, [signed(w.t, me, "photo", w.photo.id, { ...p.body })]);
  },
};

const EXPECTED: Record<string, Role[]> = {
  ...Object.fromEntries(Object.keys(READS).map((k) => [k, ["owner", "contributor", "viewer"]])),
  "add photo": ["owner", "contributor"],
  "rename album": ["owner"],
  "trash album": ["owner"],
  "share album": ["owner"],
  "delete photo": ["owner"],
  "re-wrap photo key": ["owner"],
  "write album index": ["owner", "contributor"],
};

Deno.test("Role × object matrix: every album, photo and blob route allows exactly the roles it should", async () => {
  const surprises: string[] = [];
  const check = async (action: string, run: Action, w: World, role: Role) => {
    const res = await run(w, w.who[role]);
    await res.body?.cancel();
    const allowed = res.status >= 200 && res.status < 300;
    const denied = [401, 403, 404].includes(res.status);
    const expected = EXPECTED[action].includes(role);
    if (!allowed && !denied) surprises.push(`${action} as ${role}: HTTP ${res.status}`);
    else if (allowed !== expected) {
      surprises.push(
        `${action} as ${role}: ${allowed ? "UNEXPECTED ALLOW" : "unexpected deny"} (${res.status})`,
      );
    }
  };
  const reads = await world();
  for (const [action, run] of Object.entries(READS)) {
    for (const role of ROLES) await check(action, run, reads, role);
  }
  reads.t.db.close();
  // Writes change state, so each cell gets a fresh world.
  for (const [action, run] of Object.entries(WRITES)) {
    for (const role of ROLES) {
      const w = await world();
      try {
        await check(action, run, w, role);
      } finally {
        w.t.db.close();
        await Deno.remove(w.t.dir, { recursive: true });
      }
    }
  }
  const cells = (Object.keys(READS).length + Object.keys(WRITES).length) * ROLES.length;
  assert.equal(cells, 90);
  assert.deepEqual(
    surprises,
    [],
    `${surprises.length} of ${cells} cells differ:\n${surprises.join("\n")}`,
  );
});
