import assert from "node:assert/strict";
import { toBase64Url } from "../../crypto/mod.ts";
import {
  authed,
  familyKeysOf,
  inviteAndJoin,
  joinRecords,
  json,
  makeInvite as inviteWithKey,
  newMember,
  randomId,
  setupFamily,
  signed,
  signIn,
  type TestMember,
} from "../../../tests/_support/family.ts";
import { makeTestApp, type TestApp } from "../../../tests/_support/test_app.ts";

/** An invite (`record`) with the family key wrapped for it (`wrap`): post both. */
async function makeInvite(
  t: TestApp,
  admin: TestMember,
  opts: { role?: string; expiresIn?: number } = {},
) {
  const { token, invite, wrap } = await inviteWithKey(
    t,
    admin,
    opts.role ?? "member",
    t.records.now() + (opts.expiresIn ?? 3600_000),
  );
  return { token, record: invite, wrap };
}

async function post(t: TestApp, who: TestMember, records: unknown[]) {
  return await json(t, "/v1/records", { body: { records }, cookie: who.cookie });
}

async function join(t: TestApp, token: string, role = "member") {
  const joiner = newMember("Bob");
  const body = await joinRecords(t, joiner, token, role);
  return { joiner, res: await json(t, "/v1/join", { body }) };
}

Deno.test("An admin's invite lets a new person join once; the used invite then fails with 403", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const { token, record, wrap } = await makeInvite(t, alice);
  assert.equal((await post(t, alice, [record, wrap])).status, 200);
  const first = await join(t, token);
  assert.equal(first.res.status, 201);
  assert.match(first.res.headers.get("set-cookie") ?? "", /__Host-p2pos_session_[A-Z2-7]{8}=/);
  const second = await join(t, token);
  assert.equal(second.res.status, 403);
  assert.match((await second.res.json()).error.message, /already used/);
  const list = await (await json(t, "/v1/invites", { cookie: alice.cookie })).json();
  assert.equal(list.invites[0].status, "used");
  assert.equal(list.invites[0].usedBy, first.joiner.key);
});

Deno.test("Expired, withdrawn, unknown and wrong-role invites are refused", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const expired = await makeInvite(t, alice, { expiresIn: 1000 });
  const withdrawn = await makeInvite(t, alice);
  await post(t, alice, [expired.record, withdrawn.record]);
  const revoke = signed(t, alice, "invite", withdrawn.record.id, {
    ...withdrawn.record.body,
    revoked: true,
  });
  assert.equal((await post(t, alice, [revoke])).status, 200);
  t.advance(2000);
  assert.match((await (await join(t, expired.token)).res.json()).error.message, /expired/);
  assert.match((await (await join(t, withdrawn.token)).res.json()).error.message, /withdrawn/);
  const unknown = await join(t, toBase64Url(crypto.getRandomValues(new Uint8Array(32))));
  assert.equal(unknown.res.status, 403);
  const fresh = await makeInvite(t, alice, { role: "member" });
  await post(t, alice, [fresh.record]);
  assert.match(
    (await (await join(t, fresh.token, "admin")).res.json()).error.message,
    /role "member"/,
  );
  assert.equal(t.records.list("member").length, 1, "nobody joined");
});

Deno.test("Only admins invite, and members may change nothing but their own name", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const bob = await inviteAndJoin(t, alice, "Bob");
  const carol = await inviteAndJoin(t, alice, "Carol");
  const byBob = await makeInvite(t, bob);
  assert.equal((await post(t, bob, [byBob.record])).status, 403);
  // Bob may not remove Carol, nor make himself an admin…
  const carolRecord = t.records.get<Record<string, unknown>>("member", carol.key)!;
  const removeCarol = signed(t, bob, "member", carol.key, { ...carolRecord.body, removed: true });
  assert.equal((await post(t, bob, [removeCarol])).status, 403);
  const bobRecord = t.records.get<Record<string, unknown>>("member", bob.key)!;
  const promote = signed(t, bob, "member", bob.key, { ...bobRecord.body, role: "admin" });
  assert.equal((await post(t, bob, [promote])).status, 403);
  // …but may rename himself (a name sealed under the family key).
  const keys = familyKeysOf(t);
  const robert = await keys.sealPersonName("Robert");
  const rename = signed(t, bob, "member", bob.key, { ...bobRecord.body, name: robert });
  assert.equal((await post(t, bob, [rename])).status, 200);
  // A record signed by someone else than the session's member is refused.
  const aliceRecord = t.records.get<Record<string, unknown>>("member", alice.key)!;
  const al = await keys.sealPersonName("Al");
  const forgedForAlice = signed(t, alice, "member", alice.key, { ...aliceRecord.body, name: al });
  assert.equal((await post(t, bob, [forgedForAlice])).status, 403);
});

Deno.test("Removing a member ends their sessions at once; removed members cannot sign in", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const bob = await inviteAndJoin(t, alice, "Bob");
  const bobReq = authed(t, bob);
  assert.equal((await bobReq("/v1/session")).status, 200);
  const bobRecord = t.records.get<Record<string, unknown>>("member", bob.key)!;
  const removal = signed(t, alice, "member", bob.key, { ...bobRecord.body, removed: true });
  assert.equal((await post(t, alice, [removal])).status, 200);
  assert.equal((await bobReq("/v1/session")).status, 401);
  assert.equal(
    t.db.db.prepare("SELECT count(*) AS n FROM sessions WHERE member_key = ?").get(bob.key)!.n,
    0,
  );
  assert.equal((await signIn(t, bob)).status, 401);
});

Deno.test("The family's last admin cannot be removed or demoted", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const me = t.records.get<Record<string, unknown>>("member", alice.key)!;
  for (const change of [{ removed: true }, { role: "member" }]) {
    const res = await post(t, alice, [
      signed(t, alice, "member", alice.key, { ...me.body, ...change }),
    ]);
    assert.equal(res.status, 403);
    assert.match((await res.json()).error.message, /last admin/);
  }
});

Deno.test("Records with bad signatures, unknown kinds or clocks far ahead are refused and nothing is stored", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const { record } = await makeInvite(t, alice);
  const tampered = { ...record, body: { ...record.body, role: "admin" } };
  const res = await post(t, alice, [tampered]);
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error.code, "bad_signature");
  const unknown = signed(t, alice, "spaceship", randomId(), {});
  assert.match((await (await post(t, alice, [unknown])).json()).error.message, /unknown kind/);
  const future = signed(t, alice, "invite", randomId(), record.body, "009999999999999.000000");
  assert.match((await (await post(t, alice, [future])).json()).error.message, /5 minutes ahead/);
  // A batch is all or nothing.
  const good = (await makeInvite(t, alice)).record;
  assert.equal((await post(t, alice, [good, tampered])).status, 400);
  assert.equal(t.records.list("invite").length, 0);
});

Deno.test("A second device signs in with the same key and shows up in the session list", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const laptop: TestMember = { ...alice, cookie: undefined };
  assert.equal((await signIn(t, laptop)).status, 200);
  const body = await (await json(t, "/v1/session", { cookie: laptop.cookie })).json();
  assert.equal(body.sessions.length, 2);
  const other = body.sessions.find((s: { current: boolean }) => !s.current);
  assert.equal(
    (await json(t, `/v1/sessions/${other.handle}`, { method: "DELETE", cookie: laptop.cookie }))
      .status,
    204,
  );
  assert.equal((await json(t, "/v1/session", { cookie: alice.cookie })).status, 401);
});

Deno.test("A used invite cannot be withdrawn: the member is removed instead", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const { token, record, wrap } = await makeInvite(t, alice);
  await post(t, alice, [record, wrap]);
  assert.equal((await join(t, token)).res.status, 201);
  const revoke = signed(t, alice, "invite", record.id, { ...record.body, revoked: true });
  const res = await post(t, alice, [revoke]);
  assert.equal(res.status, 409);
  assert.match((await res.json()).error.message, /already used; to undo it, remove the member/);
  assert.equal(t.records.get<{ revoked: boolean }>("invite", record.id)!.body.revoked, false);
});

Deno.test("A withdrawal voids a join it had not seen, whichever a node hears first; not one it had seen", async () => {
  // Oak: Alice invites Bob; Bob joins on Oak while, on another node that had the invite but
  // not the join, Alice withdraws it.
  await using oak = await makeTestApp();
  const alice = await setupFamily(oak);
  const { token, record: invite, wrap } = await makeInvite(oak, alice);
  await post(oak, alice, [invite, wrap]);
  const beforeJoin = oak.records.heads().prev;
  const { joiner, res } = await join(oak, token);
  assert.equal(res.status, 201);
  const bob = oak.records.get("member", joiner.key)!;
  const withdrawal = signed(
    oak,
    alice,
    "invite",
    invite.id,
    { ...invite.body, revoked: true },
    undefined,
    beforeJoin,
  );
  const peer = { via: "peer" as const, nodeId: "OAK" };
  // Everything but the join (and the family key Bob wrapped for himself after it).
  const log = oak.records.feed(0).records.filter((r) => r.author !== joiner.key);
  // Pine hears of the withdrawal first: the join is refused.
  await using pine = await makeTestApp();
  pine.records.apply([...log, withdrawal], peer);
  assert.throws(() => pine.records.apply([bob], peer), /without seeing the change that ended/);
  // Cedar hears of the join first: the withdrawal voids it, and Bob is no member there either.
  await using cedar = await makeTestApp();
  cedar.records.apply([...log, bob], peer);
  assert.ok(cedar.records.get("member", joiner.key));
  cedar.records.apply([withdrawal], peer);
  assert.equal(cedar.records.get("member", joiner.key), undefined);
  assert.equal(
    (cedar.db.db.prepare("SELECT valid FROM links WHERE id = ?").get(joiner.key) as {
      valid: number;
    })
      .valid,
    0,
  );
  // A withdrawal made after the join (by a peer: a browser may not) leaves it standing.
  await using pine2 = await makeTestApp();
  const seen = signed(oak, alice, "invite", invite.id, { ...invite.body, revoked: true });
  pine2.records.apply([...oak.records.feed(0).records, seen], peer);
  assert.ok(pine2.records.get("member", joiner.key));
});
