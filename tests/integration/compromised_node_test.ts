/**
 * Issue #10 §1 with real node processes: Cedar, a paired node, is compromised. Whoever
 * holds it signs whatever they want with its node key and the keys of members who are
 * in league with them — a member who was never an admin, an admin since removed, a
 * contributor since un-shared, a viewer — and pushes backdated records of every kind to
 * Oak and Pine over `POST /internal/v1/records`, each claiming a place in the family log
 * from before the removal and the un-share. None is stored anywhere; a stranger's node
 * key stays a stranger; an owner's backdated trashing purges nothing.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { type Admin, call, headsAt, signAs } from "../../demo.ts";
import {
  deriveIdentity,
  newSeed,
  recordHash,
  type SignedRecord,
  signRecord,
  toBase64Url,
} from "../../lib/crypto/mod.ts";
import { formatHlc, parseHlc } from "../../lib/core/hlc.ts";
import { HttpTransport } from "../../lib/net/http_transport.ts";
import { loadOrCreateNodeKey } from "../../lib/store/mod.ts";
import { newNodeSigner } from "../_support/node_signer.ts";
import type { FamilyResponse } from "../../lib/web/browser/api_types.ts";
import { openFamilyNames } from "../../lib/web/browser/family_keys.ts";
import { remoteSignIn } from "../_support/remote_family.ts";
import {
  addMember,
  cookieOn,
  createAlbum,
  getJson,
  putBlob,
  recordsOf,
  startCluster,
  uploadPhoto,
  waitFor,
} from "./replication_cluster.ts";

const rand = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const random = (n: number) => toBase64Url(rand(n));

async function postRecords(who: Admin, url: string, records: SignedRecord[]): Promise<void> {
  const res = await call(`${url}/v1/records`, "POST", { records }, await cookieOn(who, url));
  const text = await res.text();
  assert.equal(res.status, 200, text);
}

/** Link hashes held by a node (valid or not), read from its database. */
function linksOf(dataDir: string): Set<string> {
  const db = new DatabaseSync(`${dataDir}/index.db`, { readOnly: true });
  try {
    return new Set(
      (db.prepare("SELECT hash FROM links").all() as { hash: string }[]).map((r) => r.hash),
    );
  } finally {
    db.close();
  }
}

/** Why each parked record was refused, by kind/id. */
function parkedReasons(dataDir: string): Map<string, string> {
  const db = new DatabaseSync(`${dataDir}/index.db`, { readOnly: true });
  try {
    const rows = db.prepare("SELECT kind, id, reason FROM parked_records").all() as {
      kind: string;
      id: string;
      reason: string;
    }[];
    return new Map(rows.map((r) => [`${r.kind}/${r.id}`, r.reason]));
  } finally {
    db.close();
  }
}

function sameRecords(dirs: string[]): boolean {
  const [first, ...rest] = dirs.map(recordsOf);
  return rest.every((m) => m.size === first.size && [...m].every(([k, v]) => first.get(k) === v));
}

Deno.test({
  name: "A compromised node's backdated records of every kind are stored nowhere",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using c = await startCluster(["Oak", "Pine", "Cedar"]);
    const [oak, pine, cedar] = c.nodes;
    const alice = c.admin;
    const bob = await addMember(alice, oak.url, "Bob", "admin");
    const mallory = await addMember(alice, oak.url, "Mallory");
    const carol = await addMember(alice, oak.url, "Carol");
    const victor = await addMember(alice, oak.url, "Victor");
    const albumA = await createAlbum(alice, oak.url);
    const grant = (member: Admin, role: string, epoch: number, revoked = false) => ({
      album: albumA.id,
      member: member.key,
      role,
      epoch,
      wrapped: random(92),
      revoked,
    });
    await postRecords(alice, oak.url, [
      signAs(
        alice,
        "grant",
        `${albumA.id}.${carol.key}`,
        grant(carol, "contributor", 0),
        await headsAt(alice, oak.url),
      ),
      signAs(
        alice,
        "grant",
        `${albumA.id}.${victor.key}`,
        grant(victor, "viewer", 0),
        await headsAt(alice, oak.url),
      ),
    ]);
    const carolsPhoto = await uploadPhoto(carol, oak.url, albumA, 3_000);
    // Forged photos name only their authors' own uploads (receipts and all): only the right
    // to add a photo is in question.
    const ownBlobs = new Map([
      [carol.key, [
        await putBlob(carol, oak.url, rand(3_000)),
        await putBlob(carol, oak.url, rand(300)),
      ]],
      [victor.key, [
        await putBlob(victor, oak.url, rand(3_000)),
        await putBlob(victor, oak.url, rand(300)),
      ]],
    ]);
    const albumB = await createAlbum(bob, oak.url);
    const albumC = await createAlbum(alice, oak.url);
    const before = await headsAt(alice, oak.url);

    // Alice un-shares Carol (a new epoch, her photo re-wrapped by Alice) and removes Bob.
    const albumNow = await getJson<{ album: { record: SignedRecord<Record<string, unknown>> } }>(
      alice,
      oak.url,
      `/v1/albums/${albumA.id}`,
    );
    const photoNow = await getJson<{ photo: { record: SignedRecord<Record<string, unknown>> } }>(
      alice,
      oak.url,
      `/v1/photos/${carolsPhoto.id}`,
    );
    let heads = await headsAt(alice, oak.url);
    await postRecords(alice, oak.url, [
      signAs(alice, "album", albumA.id, { ...albumNow.album.record.body, epoch: 1 }, heads),
      signAs(
        alice,
        "grant",
        `${albumA.id}.${carol.key}`,
        grant(carol, "contributor", 0, true),
        heads,
      ),
      signAs(alice, "photo", carolsPhoto.id, { ...photoNow.photo.record.body, epoch: 1 }, heads),
    ]);
    const members = await getJson<
      { members: { key: string; record: SignedRecord<Record<string, unknown>> }[] }
    >(
      alice,
      oak.url,
      "/v1/members",
    );
    const bobsRecord = members.members.find((m) => m.key === bob.key)!.record;
    heads = await headsAt(alice, oak.url);
    await postRecords(alice, oak.url, [
      signAs(alice, "member", bob.key, { ...bobsRecord.body, removed: true }, heads),
    ]);
    // An owner signs her album's trashing 31 days in the past: nothing is purged at once.
    const albumCNow = await getJson<{ album: { record: SignedRecord<Record<string, unknown>> } }>(
      alice,
      oak.url,
      `/v1/albums/${albumC.id}`,
    );
    await postRecords(alice, oak.url, [
      signAs(alice, "album", albumC.id, {
        ...albumCNow.album.record.body,
        trashedAt: Date.now() - 31 * 24 * 3600_000,
      }, await headsAt(alice, oak.url)),
    ]);
    const dirs = c.nodes.map((n) => n.dataDir);
    await waitFor("every node to hold the same records", () => Promise.resolve(sameRecords(dirs)));

    // Forgeries, each following Oak's heads of before the removal and the un-share, and
    // stamped just after them.
    const base = parseHlc(before.hlc!);
    let n = 0;
    const forge = (who: Admin, kind: string, id: string, body: unknown) =>
      signRecord({
        v: 2,
        kind,
        id,
        author: who.key,
        hlc: formatHlc({ wall: base.wall, counter: base.counter + ++n }),
        prev: before.prev,
        body,
      }, who.signingSecretKey);
    const stranger = await newNodeSigner();
    const { family } = await getJson<
      { family: { id: string; founder: string; epoch: number; keyId: string } }
    >(alice, oak.url, "/v1/family");
    // A rename: another sealed name (the node cannot tell what it says, only its shape).
    const familyRecord = {
      founder: family.founder,
      epoch: family.epoch,
      keyId: family.keyId,
      name: random(347),
      keys: null,
    };
    const sealedName = { epoch: 0, sealed: random(347) };
    // Eve: a key the attacker holds, to be smuggled in as an admin.
    const eveSeed = newSeed();
    const eveId = deriveIdentity(eveSeed);
    const eve = {
      seed: eveSeed,
      key: toBase64Url(eveId.signingPublicKey),
      x25519: toBase64Url(eveId.x25519PublicKey),
      signingSecretKey: eveId.signingSecretKey,
      x25519SecretKey: eveId.x25519SecretKey,
      name: "Eve",
    };
    const photo = (who: Admin, epoch: number) => ({
      album: albumA.id,
      uploader: who.key,
      epoch,
      key: random(60),
      original: ownBlobs.get(who.key)![0],
      thumb: null,
      meta: ownBlobs.get(who.key)![1],
      sort: random(36),
      dedup: "ef".repeat(32),
    });
    const forged: [string, SignedRecord][] = [
      ["family by a member", forge(mallory, "family", family.id, familyRecord)],
      ["family by a removed admin", forge(bob, "family", family.id, familyRecord)],
      [
        "member: a member makes Eve an admin",
        forge(mallory, "member", eve.key, {
          x25519: eve.x25519,
          name: sealedName,
          role: "admin",
          removed: false,
        }),
      ],
      [
        "member: a removed admin makes Eve an admin",
        forge(bob, "member", eve.key, {
          x25519: eve.x25519,
          name: sealedName,
          role: "admin",
          removed: false,
        }),
      ],
      [
        "invite by a member",
        forge(mallory, "invite", random(16), {
          tokenHash: "ab".repeat(32),
          x25519: random(32),
          role: "admin",
          expiresAt: Date.now() + 3600_000,
          revoked: false,
        }),
      ],
      [
        "invite by a removed admin",
        forge(bob, "invite", random(16), {
          tokenHash: "cd".repeat(32),
          x25519: random(32),
          role: "admin",
          expiresAt: Date.now() + 3600_000,
          revoked: false,
        }),
      ],
      [
        "node by a member",
        forge(mallory, "node", stranger.nodeId, {
          publicKey: toBase64Url(stranger.publicKey),
          name: "Stranger",
          removed: false,
        }),
      ],
      [
        "node by a removed admin",
        forge(bob, "node", stranger.nodeId, {
          publicKey: toBase64Url(stranger.publicKey),
          name: "Stranger",
          removed: false,
        }),
      ],
      [
        "album by a removed member",
        forge(bob, "album", random(16), {
          owner: bob.key,
          epoch: 0,
          meta: random(96),
          cover: null,
          trashedAt: null,
        }),
      ],
      [
        "album trashed by its removed owner",
        forge(bob, "album", albumB.id, {
          owner: bob.key,
          epoch: 0,
          meta: random(96),
          cover: null,
          trashedAt: Date.now() - 40 * 24 * 3600_000,
        }),
      ],
      [
        "grant by a removed owner",
        forge(bob, "grant", `${albumB.id}.${mallory.key}`, {
          album: albumB.id,
          member: mallory.key,
          role: "contributor",
          epoch: 0,
          wrapped: random(92),
          revoked: false,
        }),
      ],
      [
        "grant by someone not the owner",
        forge(mallory, "grant", `${albumA.id}.${mallory.key}`, {
          album: albumA.id,
          member: mallory.key,
          role: "contributor",
          epoch: 0,
          wrapped: random(92),
          revoked: false,
        }),
      ],
      ["photo by an un-shared contributor", forge(carol, "photo", random(16), photo(carol, 0))],
      ["photo by a viewer", forge(victor, "photo", random(16), photo(victor, 0))],
      [
        "trash by an un-shared contributor",
        forge(carol, "tombstone", `photo.${carolsPhoto.id}`, {
          kind: "photo",
          target: carolsPhoto.id,
          album: albumA.id,
        }),
      ],
      [
        "trash by a viewer",
        forge(victor, "tombstone", `photo.${carolsPhoto.id}`, {
          kind: "photo",
          target: carolsPhoto.id,
          album: albumA.id,
        }),
      ],
    ];

    // Cedar's key signs the pushes, as a compromised Cedar would.
    const { key: cedarKey } = await loadOrCreateNodeKey(`${cedar.dataDir}/node.key`);
    const transport = new HttpTransport(cedarKey);
    const nodes = await getJson<
      {
        self: { publicKey: string };
        peers: { nodeId: string; record: { body: { publicKey: string } } }[];
      }
    >(
      alice,
      oak.url,
      "/v1/nodes",
    );
    const keyOf = (nodeId: string) =>
      nodeId === oak.nodeId
        ? nodes.self.publicKey
        : nodes.peers.find((p) => p.nodeId === nodeId)!.record.body.publicKey;
    for (const target of [oak, pine]) {
      const peer = { nodeId: target.nodeId, publicKey: keyOf(target.nodeId), url: target.url };
      for (const [, record] of forged) {
        await transport.pushRecords(peer, {
          indexId: "0badc0de0badc0de",
          after: 0,
          lastSeq: 1,
          records: [record],
          more: false,
        });
      }
      // All at once, too.
      await transport.pushRecords(peer, {
        indexId: "0badc0de0badc0de",
        after: 0,
        lastSeq: forged.length,
        records: forged.map(([, r]) => r),
        more: false,
      });
    }
    // The same channel carries a legitimate record (Alice's, made now): Pine stores it, and
    // once it has reached every node, the forgeries have had their chance to spread too.
    const control = signAs(alice, "invite", random(16), {
      tokenHash: "ef".repeat(32),
      x25519: random(32),
      role: "member",
      expiresAt: Date.now() + 3600_000,
      revoked: false,
    }, await headsAt(alice, pine.url));
    await transport.pushRecords(
      { nodeId: pine.nodeId, publicKey: keyOf(pine.nodeId), url: pine.url },
      { indexId: "0badc0de0badc0de", after: 0, lastSeq: 2, records: [control], more: false },
    );
    await waitFor(
      "the control record on every node",
      () => Promise.resolve(dirs.every((d) => linksOf(d).has(recordHash(control)))),
    );
    await waitFor("the nodes to agree", () => Promise.resolve(sameRecords(dirs)));

    for (const node of c.nodes) {
      const links = linksOf(node.dataDir);
      for (const [what, record] of forged) {
        assert.ok(!links.has(recordHash(record)), `${what}: not stored on ${node.url}`);
      }
    }
    // Oak and Pine hold them aside (parked, never applied), refused for the right they claim.
    for (const node of [oak, pine]) {
      const reasons = parkedReasons(node.dataDir);
      for (const [what, record] of forged) {
        const why = reasons.get(`${record.kind}/${record.id}`) ?? "";
        assert.match(why, /^Refused/, `${what} on ${node.url}`);
        assert.doesNotMatch(why, /receipt/, what);
      }
    }
    // The stranger's node key stays a stranger; Eve cannot sign in; the family keeps its name.
    const hello = await new HttpTransport(stranger).hello(
      { nodeId: oak.nodeId, publicKey: keyOf(oak.nodeId), url: oak.url },
      "00000000",
    ).then(() => "answered", (err: { status?: number }) => err.status);
    assert.equal(hello, 401);
    for (const node of c.nodes) {
      await assert.rejects(
        () => remoteSignIn(node.url, eve),
        /Sign-in failed: 40[13]/,
      );
    }
    for (const node of c.nodes) {
      // (Alice's browser opens the sealed name: every node holds the same family record.)
      const answer = await getJson<FamilyResponse>(alice, node.url, "/v1/family");
      assert.equal((await openFamilyNames(answer, alice.x25519SecretKey)).family, "River");
      // Carol's photo stands, not deleted; the backdated trashing left album C restorable.
      const p = await call(
        `${node.url}/v1/photos/${carolsPhoto.id}`,
        "GET",
        undefined,
        await cookieOn(alice, node.url),
      );
      assert.equal(p.status, 200);
      await p.body?.cancel();
      const cView = await getJson<{ album: { purgeAt: number } }>(
        alice,
        node.url,
        `/v1/albums/${albumC.id}`,
      );
      assert.ok(cView.album.purgeAt > Date.now() + 29 * 24 * 3600_000);
    }
  },
});
