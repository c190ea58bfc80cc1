// Unit tests of the vault's rules (who may do what to an album), on an in-memory view of the
// records in force; the same rules through the API and the family log are tested in
// lib/web/api/albums_test.ts and tests/integration/family_log_test.ts.

import assert from "node:assert/strict";
import { ForbiddenError } from "../core/errors.ts";
import type { Origin, TypedRecord } from "../core/record_kinds.ts";
import { MemoryView as View } from "./_memory_view.ts";
import {
  type AlbumBody,
  albumKind,
  albumRole,
  type GrantBody,
  grantId,
  grantKind,
  isPurged,
  type PhotoBody,
  type TombstoneBody,
  tombstoneKind,
  TRASH_DAYS,
} from "./album_kinds.ts";

const DAY = 24 * 3600_000;
const API: Origin = { via: "api" };
const PEER: Origin = { via: "peer", nodeId: "PINE" };
const [ANN, BEN, CAT, DAN] = ["ann", "ben", "cat", "dan"].map((k) => k.padEnd(43, "A"));
const ALBUM = "album".padEnd(22, "A");

const album = (over: Partial<AlbumBody> = {}): AlbumBody => ({
  owner: ANN,
  epoch: 0,
  meta: "sealed",
  cover: null,
  trashedAt: null,
  ...over,
});
const grant = (member: string, role: GrantBody["role"], over: Partial<GrantBody> = {}) => ({
  album: ALBUM,
  member,
  role,
  epoch: 0,
  wrapped: "wrapped",
  revoked: false,
  ...over,
});

/** Ann's album, shared with Ben (contributor) and Cat (viewer); Dan is a member without access. */
function family(): View {
  const v = new View();
  for (const m of [ANN, BEN, CAT, DAN]) v.put("member", m, ANN, { role: "member", removed: false });
  v.put("album", ALBUM, ANN, album());
  v.put("grant", grantId(ALBUM, ANN), ANN, grant(ANN, "owner"));
  v.put("grant", grantId(ALBUM, BEN), ANN, grant(BEN, "contributor"));
  v.put("grant", grantId(ALBUM, CAT), ANN, grant(CAT, "viewer"));
  return v;
}

function rec<B>(kind: string, id: string, author: string, body: B): TypedRecord<B> {
  return { v: 2, kind, id, author, hlc: "1", body, sig: "", prev: [] };
}

Deno.test("A member's role on an album: the owner's, a current grant's, else none", () => {
  const v = family();
  assert.equal(albumRole(v, ALBUM, ANN), "owner");
  assert.equal(albumRole(v, ALBUM, BEN), "contributor");
  assert.equal(albumRole(v, ALBUM, CAT), "viewer");
  assert.equal(albumRole(v, ALBUM, DAN), undefined);
  v.put("grant", grantId(ALBUM, BEN), ANN, grant(BEN, "contributor", { revoked: true }));
  assert.equal(albumRole(v, ALBUM, BEN), undefined, "un-shared");
  v.put("member", CAT, ANN, { role: "member", removed: true });
  assert.equal(albumRole(v, ALBUM, CAT), undefined, "a removed member has no role");
});

Deno.test("The trash counts from when this node saw the trashing, not from the signed time", () => {
  const v = family();
  // Trashed with a time signed 100 days back: the 30 days start now, when this node sees it.
  const trashed = v.put("album", ALBUM, ANN, album({ trashedAt: v.clock - 100 * DAY }));
  v.seen.set(`album/${ALBUM}`, v.clock);
  assert.equal(isPurged(v, trashed), false);
  assert.equal(albumRole(v, ALBUM, BEN), "contributor");
  v.clock += TRASH_DAYS * DAY + 1;
  assert.equal(isPurged(v, trashed), true);
  assert.equal(albumRole(v, ALBUM, ANN), undefined, "a purged album has no members");
});

Deno.test("An album starts at epoch 0 out of the trash, keeps its owner, and steps one epoch", () => {
  const v = family();
  const previous = v.get<AlbumBody>("album", ALBUM)!;
  const check = (
    body: AlbumBody,
    prev: TypedRecord<AlbumBody> | undefined,
    origin: Origin = API,
  ) => albumKind.authorize(rec("album", ALBUM, body.owner, body), prev, v, origin);
  assert.throws(() => check(album({ epoch: 1 }), undefined), /starts at key epoch 0/);
  assert.throws(() => check(album({ trashedAt: 5 }), undefined), /cannot be in the trash/);
  assert.throws(() => check(album({ owner: BEN }), previous), /owner never changes/);
  check(album({ epoch: 1 }), previous);
  assert.throws(() => check(album({ epoch: 2 }), previous), /one at a time/);
  // Two versions the owner made at once on two devices may cross on their way here.
  check(album({ epoch: 2 }), previous, PEER);
});

Deno.test("Only the owner shares, with current members, at the album's epoch", () => {
  const v = family();
  const share = (author: string, body: GrantBody, origin: Origin = API) =>
    grantKind.authorize(
      rec("grant", grantId(body.album, body.member), author, body),
      undefined,
      v,
      origin,
    );
  share(ANN, grant(DAN, "viewer"));
  assert.throws(() => share(BEN, grant(DAN, "viewer")), /only the album's owner shares/);
  assert.throws(() => share(ANN, grant(DAN, "owner")), /only it, has the role owner/);
  assert.throws(() => share(ANN, grant(DAN, "viewer", { epoch: 1 })), /current key \(epoch 0\)/);
  v.put("member", DAN, ANN, { role: "member", removed: true });
  assert.throws(() => share(ANN, grant(DAN, "viewer")), /current members only/);
  // To someone without access, an album she cannot see and one that does not exist are alike.
  const other = "other".padEnd(22, "A");
  for (const id of [ALBUM, other]) {
    assert.throws(() => share(DAN, grant(CAT, "viewer", { album: id })), (e) => {
      assert.ok(e instanceof ForbiddenError);
      assert.equal(e.message, `there is no album ${id} that you can see`);
      return true;
    });
  }
});

Deno.test("A photo is deleted by the owner or by its uploader while she contributes", () => {
  const v = family();
  const photo = (id: string, uploader: string) =>
    v.put<Partial<PhotoBody>>("photo", id, uploader, { album: ALBUM, uploader });
  const [mine, anns] = ["p-ben".padEnd(22, "A"), "p-ann".padEnd(22, "A")];
  photo(mine, BEN);
  photo(anns, ANN);
  const remove = (author: string, target: string) => {
    const body: TombstoneBody = { kind: "photo", target, album: ALBUM };
    tombstoneKind.authorize(rec("tombstone", `photo.${target}`, author, body), undefined, v, API);
  };
  remove(BEN, mine);
  remove(ANN, mine);
  assert.throws(() => remove(BEN, anns), /owner or the photo's uploader/);
  assert.throws(() => remove(CAT, mine), /owner or the photo's uploader/);
  assert.throws(() => remove(DAN, mine), /no such photo/, "Dan cannot see the album");
  v.put("grant", grantId(ALBUM, BEN), ANN, grant(BEN, "viewer"));
  assert.throws(() => remove(BEN, mine), /owner or the photo's uploader/, "no longer contributes");
});
