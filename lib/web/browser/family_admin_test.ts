/**
 * Issue #10 §6: the family key (FORMAT §14) as browsers use it against a real in-process node —
 * every member reads every name through `GET /v1/family`, which names nothing in the clear; who
 * may hand the key to whom; and a removal starting a new epoch the removed member cannot open.
 */

import assert from "node:assert/strict";
import { fromBase64Url, openName } from "../../crypto/mod.ts";
import {
  familyKeysOf,
  inviteAndJoin,
  json,
  makeInvite,
  memberRecord,
  newMember,
  setupFamily,
  signed,
  type TestMember,
} from "../../../tests/_support/family.ts";
import { makeTestApp, type TestApp } from "../../../tests/_support/test_app.ts";
import { current, post } from "../../../tests/_support/vault.ts";
import { vaultDepsFor } from "../../../tests/_support/vault_client.ts";
import type { FamilyKeyRecordBody, FamilyResponse } from "./api_types.ts";
import { catchUpFamilyKey, readFamilyNames, removeMember } from "./family_admin.ts";
import { FamilyKeys, openFamilyNames, openInvite } from "./family_keys.ts";

async function family(t: TestApp, who: TestMember): Promise<FamilyResponse> {
  const res = await json(t, "/v1/family", { cookie: who.cookie });
  assert.equal(res.status, 200);
  return await res.json();
}

Deno.test("Every member reads every name from GET /v1/family, which names nobody in the clear", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t, "The Okafors");
  const bob = await inviteAndJoin(t, alice, "Bobbington");
  const carol = await inviteAndJoin(t, alice, "Carolina", "admin");
  for (const who of [alice, bob, carol]) {
    const res = await json(t, "/v1/family", { cookie: who.cookie });
    const text = await res.clone().text();
    for (const name of ["Okafors", "Alice", "Bobbington", "Carolina"]) {
      assert.ok(!text.includes(name), `${name} in the clear for ${who.name}`);
    }
    const names = await openFamilyNames(await res.json(), who.x25519SecretKey);
    assert.equal(names.family, "The Okafors");
    assert.deepEqual(
      new Map(names.members),
      new Map([[alice.key, "Alice"], [bob.key, "Bobbington"], [carol.key, "Carolina"]]),
    );
  }
  // Only admins learn who lacks the key; here nobody does.
  assert.deepEqual((await family(t, alice)).behind, []);
  assert.equal((await family(t, bob)).behind, undefined);
  // The member list and the session answer carry sealed names only.
  const members = await (await json(t, "/v1/members", { cookie: bob.cookie })).text();
  const session = await (await json(t, "/v1/session", { cookie: bob.cookie })).text();
  for (const text of [members, session]) assert.ok(!/Okafors|Bobbington|Carolina/.test(text));
  assert.equal((await json(t, "/v1/family")).status, 401, "signed in only");
});

Deno.test("Only an admin hands the family key to someone else, only to a member or a pending invite, and only the key in force", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const bob = await inviteAndJoin(t, alice, "Bob");
  const keys = familyKeysOf(t);
  const stranger = newMember("Stranger");
  const send = (who: TestMember, record: unknown) =>
    json(t, "/v1/records", { body: { records: [record] }, cookie: who.cookie });

  // Bob (a member) may not wrap the key for an invite he did not make, nor for Alice.
  const { invite } = await makeInvite(t, alice);
  assert.equal((await send(alice, invite)).status, 200);
  const forInvite = { ...await keys.wrapFor(String(invite.body.x25519)) };
  const byBob = await send(
    bob,
    signed(t, bob, "family_key", String(invite.body.x25519), forInvite),
  );
  assert.equal(byBob.status, 403);
  assert.match((await byBob.json()).error.message, /only an admin wraps the family key/);
  // Nobody wraps it for a key the family does not know.
  const toStranger = signed(t, alice, "family_key", stranger.x25519, {
    ...await keys.wrapFor(stranger.x25519),
  });
  assert.equal((await send(alice, toStranger)).status, 403);
  // A wrap of another key than the one in force is refused.
  const other = FamilyKeys.create();
  const stale = signed(t, alice, "family_key", bob.x25519, { ...await other.wrapFor(bob.x25519) });
  const refused = await send(alice, stale);
  assert.equal(refused.status, 403);
  assert.match((await refused.json()).error.message, /current key/);
  // Bob re-wrapping the key in force for himself is fine (a joiner does it).
  const own = signed(t, bob, "family_key", bob.x25519, { ...await keys.wrapFor(bob.x25519) });
  assert.equal((await send(bob, own)).status, 200);
});

Deno.test("Removing a member starts a new family key epoch: the others read on, names set afterwards are closed to her", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t, "River");
  const bob = await inviteAndJoin(t, alice, "Bob");
  const carol = await inviteAndJoin(t, alice, "Carol");
  // An invite still pending is handed the new key too.
  const pending = await makeInvite(t, alice);
  await post(t, alice, [pending.invite, pending.wrap]);
  const oldKeys = familyKeysOf(t);

  await removeMember(vaultDepsFor(t, alice), bob.key);
  assert.equal(current(t, "member", bob.key).removed, true);
  const after = await family(t, alice);
  assert.equal(after.family.epoch, 1);
  assert.notEqual(after.family.keyId, oldKeys.keyId);
  assert.equal(after.rotate, false, "no removal waits for a key");
  assert.deepEqual(after.behind, [], "every member and the pending invite hold the new key");

  // Carol reads every name, old and new, with the new key and the keychain it opens.
  const names = await readFamilyNames(vaultDepsFor(t, carol));
  assert.equal(names.keys?.epoch, 1);
  assert.equal(names.family, "River");
  assert.equal(names.members.get(bob.key), "Bob", "sealed at epoch 0, read through the keychain");
  // Carol renames herself: sealed under the new key, which Bob never held.
  const renamed = await names.keys!.sealPersonName("Caroline");
  await post(t, carol, [
    memberRecord(t, carol, carol, { ...current(t, "member", carol.key), name: renamed }),
  ]);
  const carolNow = current(t, "member", carol.key).name as { epoch: number; sealed: string };
  assert.equal(carolNow.epoch, 1);
  await assert.rejects(() => openName(fromBase64Url(carolNow.sealed), oldKeys.current));
  await assert.rejects(() => openName(fromBase64Url(after.family.name), oldKeys.current));
  // Bob's wrap stays at epoch 0: nothing of epoch 1 was wrapped to his key.
  const bobsWrap = t.records.get<{ epoch: number }>("family_key", bob.x25519);
  assert.equal(bobsWrap?.body.epoch, 0);
  // A name sealed under the old key after the rotation is refused (reload the page).
  const stale = await oldKeys.sealPersonName("Carol again");
  const res = await json(t, "/v1/records", {
    body: {
      records: [memberRecord(t, carol, carol, { ...current(t, "member", carol.key), name: stale })],
    },
    cookie: carol.cookie,
  });
  assert.equal(res.status, 403);
  assert.match((await res.json()).error.message, /current key \(epoch 1\)/);
  // The pending invite opens the new key with its link's secret, as the join page does.
  const x25519 = String(pending.invite.body.x25519);
  const wrap = t.records.get<FamilyKeyRecordBody>("family_key", x25519)!.body;
  const opened = await openInvite(pending.secret, { x25519 }, after.family, wrap);
  assert.equal(opened?.epoch, 1);
  assert.equal(await openName(fromBase64Url(after.family.name), opened!.current), "River");
});

Deno.test("A removal made without a new key (another admin's browser stopped half-way) is finished by the next admin page", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const bob = await inviteAndJoin(t, alice, "Bob");
  await post(t, alice, [
    memberRecord(t, alice, bob, { ...current(t, "member", bob.key), removed: true }),
  ]);
  const deps = vaultDepsFor(t, alice);
  const before = await readFamilyNames(deps);
  assert.equal(before.answer.rotate, true);
  assert.equal(await catchUpFamilyKey(deps, before), true);
  const after = await readFamilyNames(deps);
  assert.equal(after.answer.rotate, false);
  assert.equal(after.keys?.epoch, 1);
  assert.equal(after.family, before.family);
  assert.equal(await catchUpFamilyKey(deps, after), false, "nothing more to do");
});

Deno.test("Pages that show names are rendered with placeholders only: the node has no name to put there", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t, "The Okafors");
  const bob = await inviteAndJoin(t, alice, "Bobbington");
  const { token, invite, wrap } = await makeInvite(t, alice);
  await post(t, alice, [invite, wrap]);
  for (
    const [who, path] of [
      [alice, "/"],
      [alice, "/members"],
      [alice, "/settings"],
      [alice, "/nodes"],
      [alice, "/photos"],
      [alice, "/albums"],
      [bob, "/"],
      [bob, "/members"],
      [undefined, "/"],
      [undefined, `/join/${token}`],
    ] as const
  ) {
    const res = await json(t, path, { cookie: who?.cookie });
    const html = await res.text();
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    for (const name of ["Okafors", "Alice", "Bobbington"]) {
      assert.ok(!html.includes(name), `${name} on ${path} for ${who?.name ?? "a visitor"}`);
    }
  }
  // The slots the browser fills in are there, with their placeholders.
  const home = await (await json(t, "/", { cookie: alice.cookie })).text();
  assert.match(home, /data-name="family"/);
  assert.match(home, new RegExp(`data-name="member:${alice.key}"`));
});
