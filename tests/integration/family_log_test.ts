/**
 * Issue #10 §1: a member's rights come from the family log, never from her own stamp
 * or from the node that relays her record. For every kind: P1 (a right she never
 * held) and P2 (a right that ended, claimed with a backdated place in the log),
 * relayed by a peer; a node that heard of a forgery before the revocation voids it,
 * and what depended on it, when the revocation arrives; two admins acting at once.
 */

import assert from "node:assert/strict";
import { recordHash, type SignedRecord, toBase64Url } from "../../lib/crypto/mod.ts";
import { formatHlc, parseHlc } from "../../lib/core/hlc.ts";
import { inviteTokenHash } from "../../lib/core/family_kinds.ts";
import {
  familyKeysOf,
  inviteAndJoin,
  json,
  memberRecord,
  newMember,
  randomId,
  setupFamily,
  signed,
  signIn,
  type TestMember,
} from "../_support/family.ts";
import { makeTestApp, type TestApp } from "../_support/test_app.ts";
import {
  addPhoto,
  type BlobRef,
  createAlbum,
  current,
  post,
  putBlob,
  share,
  type TestAlbum,
  type TestPhoto,
  unshare,
} from "../_support/vault.ts";
import { newNodeSigner } from "../_support/peer_fixture.ts";
import { applyWithRetry } from "../../lib/replication/record_apply.ts";

const PEER = { via: "peer" as const, nodeId: "CEDAR" };

interface Scene {
  oak: TestApp;
  alice: TestMember;
  /** An admin, removed after `before`. */
  bob: TestMember;
  /** A member who was never an admin. */
  mallory: TestMember;
  /** A contributor of album A, un-shared after `before`. */
  carol: TestMember;
  /** A viewer of album A. */
  victor: TestMember;
  albumA: TestAlbum;
  albumB: TestAlbum;
  carolsPhoto: TestPhoto;
  /** The token of an invite Bob made while he was an admin, never used. */
  bobsInvite: string;
  /** Blobs each of them uploaded, with their receipts: what a photo of theirs may name. */
  blobsOf: Map<string, BlobRef[]>;
  /** Oak's heads, stamp and sequence before Bob's removal and Carol's un-share. */
  before: { prev: string[]; hlc: string; seq: number };
}

async function scene(): Promise<Scene> {
  const oak = await makeTestApp();
  const alice = await setupFamily(oak);
  const bob = await inviteAndJoin(oak, alice, "Bob", "admin");
  const mallory = await inviteAndJoin(oak, alice, "Mallory");
  const carol = await inviteAndJoin(oak, alice, "Carol");
  const victor = await inviteAndJoin(oak, alice, "Victor");
  const albumA = await createAlbum(oak, alice);
  await share(oak, albumA, carol, "contributor");
  await share(oak, albumA, victor, "viewer");
  const carolsPhoto = await addPhoto(oak, albumA, carol, 1);
  // Forged photos below name only their authors' own uploads: the receipts check passes, and
  // only the rights are in question.
  const body = carolsPhoto.record.body as Record<string, BlobRef>;
  const blobsOf = new Map([[carol.key, [body.original, body.meta]]]);
  blobsOf.set(victor.key, [
    await putBlob(oak, victor, crypto.getRandomValues(new Uint8Array(3000))),
    await putBlob(oak, victor, crypto.getRandomValues(new Uint8Array(1024))),
  ]);
  const albumB = await createAlbum(oak, bob);
  const bobsInvite = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  await post(oak, bob, [signed(oak, bob, "invite", randomId(), {
    tokenHash: inviteTokenHash(bobsInvite),
    x25519: randomKey(),
    role: "member",
    expiresAt: oak.records.now() + 3600_000,
    revoked: false,
  })]);
  const heads = oak.records.heads();
  const before = { prev: heads.prev, hlc: heads.hlc!, seq: oak.records.lastSeq() };
  // The changes that end rights: Carol is un-shared, Bob removed from the family.
  await unshare(oak, albumA, carol, "contributor");
  await post(oak, alice, [
    memberRecord(oak, alice, bob, { ...current(oak, "member", bob.key), removed: true }),
  ]);
  return {
    oak,
    alice,
    bob,
    mallory,
    carol,
    victor,
    albumA,
    albumB,
    carolsPhoto,
    bobsInvite,
    blobsOf,
    before,
  };
}

/** Bytes of the shape a sealed name has (FORMAT §14.3): what a forger would put there. */
const sealedShape = () => toBase64Url(crypto.getRandomValues(new Uint8Array(347)));
const randomKey = () => toBase64Url(crypto.getRandomValues(new Uint8Array(32)));

let tick = 0;
/**
 * Signed by `who` with a place in the log before the revocations: it follows Oak's heads of
 * then, and is stamped just after them — as a compromised node would claim it was made.
 */
function backdated(
  s: Scene,
  who: TestMember,
  kind: string,
  id: string,
  body: Record<string, unknown>,
): SignedRecord {
  const h = parseHlc(s.before.hlc);
  const hlc = formatHlc({ wall: h.wall, counter: h.counter + ++tick });
  return signed(s.oak, who, kind, id, body, hlc, s.before.prev);
}

function newKeyAsAdmin(s: Scene, who: TestMember, sign = backdated) {
  const eve = newMember("Eve");
  return sign(s, who, "member", eve.key, {
    x25519: eve.x25519,
    name: { epoch: 0, sealed: sealedShape() },
    role: "admin",
    removed: false,
  });
}

async function strangerNode(s: Scene, who: TestMember, sign = backdated) {
  const node = await newNodeSigner();
  return sign(s, who, "node", node.nodeId, {
    publicKey: toBase64Url(node.publicKey),
    name: "Stranger",
    removed: false,
  });
}

function adminInvite(s: Scene, who: TestMember, sign = backdated) {
  return sign(s, who, "invite", randomId(), {
    tokenHash: "ab".repeat(32),
    x25519: randomKey(),
    role: "admin",
    expiresAt: s.oak.records.now() + 3600_000,
    revoked: false,
  });
}

function photoBody(s: Scene, who: TestMember, album: TestAlbum, epoch: number) {
  const [original, meta] = s.blobsOf.get(who.key)!;
  return {
    album: album.id,
    uploader: who.key,
    epoch,
    key: toBase64Url(crypto.getRandomValues(new Uint8Array(60))),
    original,
    thumb: null,
    meta,
    sort: toBase64Url(crypto.getRandomValues(new Uint8Array(36))),
    dedup: "ef".repeat(32),
  };
}

/** Signed now, following Oak's heads now: no backdating at all. */
const fresh = (
  s: Scene,
  who: TestMember,
  kind: string,
  id: string,
  body: Record<string, unknown>,
) => signed(s.oak, who, kind, id, body);

/** Every forgery, by kind: P1 (never held) signed both ways, P2 (ended) backdated. */
async function forgeries(s: Scene): Promise<[string, SignedRecord][]> {
  const { oak, bob, mallory, carol, victor, albumA, albumB, carolsPhoto } = s;
  const family = oak.records.list<Record<string, unknown>>("family")[0];
  const out: [string, SignedRecord][] = [];
  for (const [when, sign] of [["backdated", backdated], ["fresh", fresh]] as const) {
    out.push(
      [
        `P1 family (${when}): a member renames the family`,
        sign(s, mallory, "family", family.id, {
          ...family.body,
          name: sealedShape(),
        }),
      ],
      [`P1 member (${when}): a member makes a new key an admin`, newKeyAsAdmin(s, mallory, sign)],
      [
        `P1 member (${when}): a member makes herself an admin`,
        sign(s, mallory, "member", mallory.key, {
          ...current(oak, "member", mallory.key),
          role: "admin",
        }),
      ],
      [`P1 invite (${when}): a member invites an admin`, adminInvite(s, mallory, sign)],
      [
        `P1 node (${when}): a member approves a stranger's node`,
        await strangerNode(s, mallory, sign),
      ],
      [
        `P1 album (${when}): a member trashes someone else's album`,
        sign(s, mallory, "album", albumA.id, {
          ...current(oak, "album", albumA.id),
          trashedAt: oak.records.now(),
        }),
      ],
      [
        `P1 grant (${when}): a member shares an album she does not own`,
        sign(s, mallory, "grant", `${albumA.id}.${mallory.key}`, {
          album: albumA.id,
          member: mallory.key,
          role: "contributor",
          epoch: 1,
          wrapped: toBase64Url(crypto.getRandomValues(new Uint8Array(92))),
          revoked: false,
        }),
      ],
      [
        `P1 photo (${when}): a viewer adds a photo`,
        sign(s, victor, "photo", randomId(), photoBody(s, victor, albumA, 0)),
      ],
      [
        `P1 trash (${when}): a viewer deletes a photo`,
        sign(s, victor, "tombstone", `photo.${carolsPhoto.id}`, {
          kind: "photo",
          target: carolsPhoto.id,
          album: albumA.id,
        }),
      ],
    );
  }
  out.push(
    ["P2 member: a removed admin makes a new key an admin", newKeyAsAdmin(s, bob)],
    ["P2 node: a removed admin approves a stranger's node", await strangerNode(s, bob)],
    ["P2 invite: a removed admin invites an admin", adminInvite(s, bob)],
    [
      "P2 family: a removed admin renames the family",
      backdated(s, bob, "family", family.id, {
        ...family.body,
        name: sealedShape(),
      }),
    ],
    [
      "P2 album: a removed member makes an album",
      backdated(s, bob, "album", randomId(), {
        owner: bob.key,
        epoch: 0,
        meta: toBase64Url(crypto.getRandomValues(new Uint8Array(64))),
        cover: null,
        trashedAt: null,
      }),
    ],
    [
      "P2 album: a removed member trashes her album",
      backdated(s, bob, "album", albumB.id, {
        ...current(oak, "album", albumB.id),
        trashedAt: oak.records.now() - 40 * 24 * 3600_000,
      }),
    ],
    [
      "P2 grant: a removed member shares her album",
      backdated(s, bob, "grant", `${albumB.id}.${mallory.key}`, {
        album: albumB.id,
        member: mallory.key,
        role: "contributor",
        epoch: 0,
        wrapped: toBase64Url(crypto.getRandomValues(new Uint8Array(92))),
        revoked: false,
      }),
    ],
    [
      "P2 photo: an un-shared contributor adds a photo",
      backdated(s, carol, "photo", randomId(), photoBody(s, carol, albumA, 0)),
    ],
    [
      "P2 trash: an un-shared contributor deletes her photo",
      backdated(s, carol, "tombstone", `photo.${carolsPhoto.id}`, {
        kind: "photo",
        target: carolsPhoto.id,
        album: albumA.id,
      }),
    ],
    ["P2 invite: a join through a removed admin's leftover invite", joinWith(s, s.bobsInvite)],
    [
      "P2 index: an un-shared contributor rewrites the album's index",
      backdated(s, carol, "album_index", `${albumA.id}.3`, {
        album: albumA.id,
        shard: 3,
        epoch: 0,
        sealed: toBase64Url(crypto.getRandomValues(new Uint8Array(64))),
      }),
    ],
  );
  return out;
}

/** Someone new joins with `token`, with a place in the log before the revocations. */
function joinWith(s: Scene, token: string): SignedRecord {
  const joiner = newMember("Zed");
  return backdated(s, joiner, "member", joiner.key, {
    x25519: joiner.x25519,
    name: { epoch: 0, sealed: sealedShape() },
    role: "member",
    removed: false,
    invite: token,
  });
}

const held = (t: TestApp, r: SignedRecord) =>
  t.db.db.prepare("SELECT 1 AS x FROM links WHERE hash = ?").get(recordHash(r)) !== undefined;

/** Every record in force, as kind/id → link hash. */
function inForce(t: TestApp): Map<string, string> {
  const rows = t.db.db.prepare("SELECT kind, id, hash FROM records").all() as {
    kind: string;
    id: string;
    hash: string;
  }[];
  return new Map(rows.map((r) => [`${r.kind}/${r.id}`, r.hash]));
}

Deno.test("No right a member never held, or that ended, is accepted from a peer, whatever its stamp", async () => {
  const s = await scene();
  await using oak = s.oak;
  // A node paired later reads the same log, then gets the same forgeries.
  await using pine = await makeTestApp();
  assert.deepEqual(
    applyWithRetry(pine.records, oak.records.feed(0, 10_000).records, PEER).refused,
    [],
  );
  const list = await forgeries(s);
  assert.equal(list.length, 29);
  for (const node of [oak, pine]) {
    for (const [what, record] of list) {
      // Refused for the right it claims, not for anything else (its blobs are its own).
      assert.throws(
        () => node.records.apply([record], PEER),
        (e: Error) => /^Refused/.test(e.message) && !/receipt/.test(e.message),
        what,
      );
      assert.ok(!held(node, record), `${what}: nothing stored`);
    }
  }
  assert.deepEqual(inForce(pine), inForce(oak));
  // Bob's removal stands; Carol's photo stays (the un-share had seen it).
  assert.equal(current(oak, "member", s.bob.key).removed, true);
  assert.ok(oak.records.get("photo", s.carolsPhoto.id));
  assert.equal(oak.records.get("tombstone", `photo.${s.carolsPhoto.id}`), undefined);
});

Deno.test("A node that took a forgery before the revocation voids it, and what followed from it, when the revocation arrives", async () => {
  const s = await scene();
  await using oak = s.oak;
  const { bob, carol, albumA } = s;
  // Pine has Oak's log only up to before the revocations (it was offline).
  await using pine = await makeTestApp();
  applyWithRetry(pine.records, oak.records.feed(0, s.before.seq).records, PEER);
  assert.equal(pine.records.lastSeq(), s.before.seq);
  // Bob, on a compromised node, slips Pine a new admin (Eve), who then makes an album;
  // Carol a photo. Pine cannot know yet: it takes them.
  const eve = newMember("Eve");
  const eveRecord = backdated(s, bob, "member", eve.key, {
    x25519: eve.x25519,
    name: { epoch: 0, sealed: sealedShape() },
    role: "admin",
    removed: false,
  });
  const evesAlbum = signed(
    pine,
    eve,
    "album",
    randomId(),
    {
      owner: eve.key,
      epoch: 0,
      meta: toBase64Url(crypto.getRandomValues(new Uint8Array(64))),
      cover: null,
      trashedAt: null,
    },
    undefined,
    [recordHash(eveRecord)],
  );
  const carols = backdated(s, carol, "photo", randomId(), photoBody(s, carol, albumA, 0));
  const zed = joinWith(s, s.bobsInvite);
  pine.records.apply([eveRecord, evesAlbum, carols, zed], PEER);
  assert.ok(pine.records.get("member", zed.id), "Zed joined through Bob's invite there");
  assert.ok(pine.records.get("member", eve.key), "taken while Pine knew no better");
  assert.ok(pine.records.get("album", evesAlbum.id));
  // Alice, signed in on Pine meanwhile, makes an invite there: it follows Eve's album.
  const aliceOnPine = { ...s.alice, cookie: undefined };
  assert.equal((await signIn(pine, aliceOnPine)).status, 200);
  const invite = signed(pine, s.alice, "invite", randomId(), {
    tokenHash: "56".repeat(32),
    x25519: randomKey(),
    role: "member",
    expiresAt: pine.records.now() + 3600_000,
    revoked: false,
  });
  assert.ok(invite.prev.includes(recordHash(evesAlbum)));
  await post(pine, aliceOnPine, [invite]);
  // One more of Bob's, which nothing follows.
  const stray = await strangerNode(s, bob);
  pine.records.apply([stray], PEER);
  // The rest of Oak's log arrives: the removal and the un-share void them all.
  assert.deepEqual(
    applyWithRetry(pine.records, oak.records.feed(0, 10_000).records, PEER).refused,
    [],
  );
  for (const r of [eveRecord, evesAlbum, carols, zed]) {
    assert.equal(pine.records.get(r.kind, r.id), undefined, `${r.kind} void`);
    const row = pine.db.db.prepare("SELECT valid FROM links WHERE hash = ?").get(recordHash(r)) as {
      valid: number;
    };
    assert.equal(row.valid, 0);
  }
  // Oak takes Alice's invite from Pine (keeping the void links it follows, which it refuses).
  assert.deepEqual(
    applyWithRetry(oak.records, pine.records.feed(0, 10_000).records, PEER).refused,
    [],
  );
  assert.deepEqual(inForce(pine), inForce(oak), "Pine ends where Oak is");
  // Eve cannot sign in there.
  assert.equal((await signIn(pine, eve)).status, 401);
  assert.ok(pine.records.get("invite", invite.id), "Alice's invite stands");
  // Pine passes on the void links Alice's invite follows (the log stays whole), and no others.
  const fed = new Set(pine.records.feed(0, 10_000).records.map((r) => recordHash(r)));
  for (const r of [eveRecord, evesAlbum, carols]) assert.ok(fed.has(recordHash(r)));
  assert.ok(!fed.has(recordHash(stray)));
  assert.equal(pine.records.get("node", stray.id), undefined);
  // Cedar, which had the removal first, refuses those links, yet keeps them as void links so
  // that Alice's invite can be stored: it ends where Pine and Oak are.
  await using cedar = await makeTestApp();
  applyWithRetry(cedar.records, oak.records.feed(0, 10_000).records, PEER);
  assert.deepEqual(
    applyWithRetry(cedar.records, pine.records.feed(0, 10_000).records, PEER).refused,
    [],
  );
  assert.ok(cedar.records.get("invite", invite.id));
  assert.equal(cedar.records.get("member", eve.key), undefined);
  assert.deepEqual(inForce(cedar), inForce(pine));
});

Deno.test("Two admins acting at once on two nodes: both stand; a removal wins over a change made beside it", async () => {
  await using oak = await makeTestApp();
  const alice = await setupFamily(oak);
  const dave = await inviteAndJoin(oak, alice, "Dave", "admin");
  const eve = await inviteAndJoin(oak, alice, "Eve");
  await using pine = await makeTestApp();
  const sync = (from: TestApp, to: TestApp) =>
    applyWithRetry(to.records, from.records.feed(0, 10_000).records, PEER).refused
      .map((r) => r.error.message);
  assert.deepEqual(sync(oak, pine), []);
  const daveOnPine = { ...dave, cookie: undefined };
  assert.equal((await signIn(pine, daveOnPine)).status, 200);

  // Apart: Alice invites and renames Eve on Oak; Dave pairs a node and removes Eve on Pine,
  // stamped earlier than Alice's rename.
  const invite = signed(oak, alice, "invite", randomId(), {
    tokenHash: "12".repeat(32),
    x25519: randomKey(),
    role: "member",
    expiresAt: oak.records.now() + 3600_000,
    revoked: false,
  });
  const node = await newNodeSigner();
  await post(pine, daveOnPine, [
    signed(pine, dave, "node", node.nodeId, {
      publicKey: toBase64Url(node.publicKey),
      name: "Birch",
      removed: false,
    }),
    memberRecord(pine, dave, eve, { ...current(pine, "member", eve.key), removed: true }),
  ]);
  oak.advance(5_000);
  await post(oak, alice, [
    invite,
    memberRecord(oak, alice, eve, {
      ...current(oak, "member", eve.key),
      name: await familyKeysOf(oak).sealPersonName("Evelyn"),
    }),
  ]);
  assert.deepEqual(sync(oak, pine), []);
  assert.deepEqual(sync(pine, oak), []);
  assert.deepEqual(inForce(pine), inForce(oak));
  assert.ok(oak.records.get("invite", invite.id) && oak.records.get("node", node.nodeId));
  assert.equal(current(oak, "member", eve.key).removed, true, "the removal wins on Oak");
  assert.equal(current(pine, "member", eve.key).removed, true, "and on Pine");

  // Apart again: Alice removes Dave. Dave cannot remove Alice (she became admin first);
  // what he does meanwhile is void everywhere once the nodes meet.
  await post(oak, alice, [
    memberRecord(oak, alice, dave, { ...current(oak, "member", dave.key), removed: true }),
  ]);
  const counter = await json(pine, "/v1/records", {
    body: {
      records: [
        memberRecord(pine, dave, alice, { ...current(pine, "member", alice.key), removed: true }),
      ],
    },
    cookie: daveOnPine.cookie,
  });
  assert.equal(counter.status, 403);
  assert.match((await counter.json()).error.message, /became admin before/);
  const late = signed(pine, dave, "invite", randomId(), {
    tokenHash: "34".repeat(32),
    x25519: randomKey(),
    role: "admin",
    expiresAt: pine.records.now() + 3600_000,
    revoked: false,
  });
  await post(pine, daveOnPine, [late]);
  // Oak already knows Dave was removed: his invite is refused there (and parked by a real
  // node, never stored); Pine stored it, and voids it when the removal arrives.
  const refused = sync(pine, oak);
  assert.equal(refused.length, 1);
  // Judged on what it follows (Dave an admin there), then on the removal it had not seen.
  assert.match(refused[0], /without seeing the change that ended the right/);
  assert.deepEqual(sync(oak, pine), []);
  assert.deepEqual(inForce(pine), inForce(oak));
  assert.equal(oak.records.get("invite", late.id), undefined, "Dave's invite is void on Oak");
  assert.equal(pine.records.get("invite", late.id), undefined, "and on Pine");
  assert.equal(current(pine, "member", dave.key).removed, true);
  assert.equal(current(pine, "member", alice.key).removed, false);
});

Deno.test("An admin may remove or demote only an admin who became admin after them", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const bob = await inviteAndJoin(t, alice, "Bob", "admin");
  const dora = await inviteAndJoin(t, bob, "Dora", "admin");
  const demote = (by: TestMember, who: TestMember) =>
    json(t, "/v1/records", {
      body: {
        records: [memberRecord(t, by, who, { ...current(t, "member", who.key), role: "member" })],
      },
      cookie: by.cookie,
    });
  // The members page tells Bob so, instead of offering buttons that would be refused.
  // (The node cannot read names: the page says it of the member's row.)
  const page = await (await json(t, "/members", { cookie: bob.cookie })).text();
  const row = (m: TestMember) => page.split(`<tr data-member="${m.key}"`)[1]?.split("</tr>")[0];
  assert.match(row(alice), /This member became an admin before you/);
  assert.doesNotMatch(row(dora), /became an admin before you/);
  assert.equal((await demote(dora, bob)).status, 403);
  assert.equal((await demote(bob, alice)).status, 403);
  assert.equal((await demote(bob, dora)).status, 200);
  assert.equal(current(t, "member", dora.key).role, "member");
  assert.equal((await demote(alice, bob)).status, 200);
});

Deno.test("The trash period counts from when the node first saw the trashing, not from the signed trashedAt", async () => {
  await using oak = await makeTestApp();
  const alice = await setupFamily(oak);
  const album = await createAlbum(oak, alice);
  const day = 24 * 3600_000;
  // The owner signs trashedAt 31 days in the past.
  await post(oak, alice, [signed(oak, alice, "album", album.id, {
    ...current(oak, "album", album.id),
    trashedAt: oak.records.now() - 31 * day,
  })]);
  // Sessions last days, not a month: sign in again after each jump.
  const view = async (t: TestApp) => {
    assert.equal((await signIn(t, alice)).status, 200);
    return await json(t, `/v1/albums/${album.id}`, { cookie: alice.cookie });
  };
  const res = await view(oak);
  assert.equal(res.status, 200, "not purged at once");
  const purgeAt = (await res.json()).album.purgeAt;
  assert.ok(Math.abs(purgeAt - (oak.records.now() + 30 * day)) < 60_000);
  oak.advance(29 * day);
  assert.equal((await view(oak)).status, 200);
  // A node that hears of it only now counts from now.
  await using pine = await makeTestApp();
  applyWithRetry(pine.records, oak.records.feed(0, 10_000).records, PEER);
  assert.ok(Math.abs(pine.records.since("album", album.id)! - pine.records.now()) < 60_000);
  oak.advance(2 * day);
  assert.equal((await view(oak)).status, 404, "purged 30 days after Oak saw it");
  assert.equal((await view(pine)).status, 200, "still in the trash on Pine");
});

Deno.test("An album's index is a cache in the log: only its version in force is kept, and nothing follows it", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const album = await createAlbum(t, alice);
  const shard = (n: number) =>
    signed(t, alice, "album_index", `${album.id}.0`, {
      album: album.id,
      shard: 0,
      epoch: 0,
      sealed: toBase64Url(new Uint8Array(64).fill(n)),
    });
  const before = t.records.heads().prev;
  for (const n of [1, 2, 3]) await post(t, alice, [shard(n)]);
  const rows = t.db.db.prepare("SELECT hash FROM links WHERE kind = 'album_index'").all();
  assert.equal(rows.length, 1, "one version kept");
  assert.equal(
    t.records.get<{ sealed: string }>("album_index", `${album.id}.0`)!.body.sealed,
    toBase64Url(new Uint8Array(64).fill(3)),
  );
  assert.deepEqual(t.records.heads().prev, before, "an index is never among the heads");
  // A node that reads the log gets the index in force.
  await using pine = await makeTestApp();
  assert.deepEqual(
    applyWithRetry(pine.records, t.records.feed(0, 10_000).records, PEER).refused,
    [],
  );
  assert.deepEqual(inForce(pine), inForce(t));
});
