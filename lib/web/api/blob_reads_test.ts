/**
 * Issue #10 §2–3, tried as an attacker would: a member who knows the id (and even the bytes)
 * of a blob in an album she has no grant on tries to read it, and to learn whether it exists.
 */

import assert from "node:assert/strict";
import { encryptBytes, newFileKey } from "../../crypto/mod.ts";
import { issueUploadReceipt } from "../../vault/upload_receipt.ts";
import { newNodeSigner } from "../../../tests/_support/peer_fixture.ts";
import {
  authed,
  inviteAndJoin,
  json,
  setupFamily,
  signed,
  type TestMember,
} from "../../../tests/_support/family.ts";
import { makeTestApp, sha256Hex, type TestApp } from "../../../tests/_support/test_app.ts";
import {
  addPhoto,
  createAlbum,
  makePhoto,
  putBlob,
  type TestAlbum,
} from "../../../tests/_support/vault.ts";

async function world() {
  const t = await makeTestApp();
  const alice = await setupFamily(t);
  const mallory = await inviteAndJoin(t, alice, "Mallory");
  const secret = await createAlbum(t, alice, "Alice only");
  const photo = await addPhoto(t, secret, alice, 4);
  const mine = await createAlbum(t, mallory, "Mallory's");
  const stored = t.records.get<Record<string, { id: string; size: number; receipt: unknown }>>(
    "photo",
    photo.id,
  )!;
  return { t, alice, mallory, secret, photo, mine, target: stored.body.original };
}

/** Mallory's photo in her own album, her own blobs except `original`. */
async function pointing(
  t: TestApp,
  album: TestAlbum,
  mallory: TestMember,
  original: Record<string, unknown>,
) {
  const own = await makePhoto(t, album, mallory, 7);
  return signed(t, mallory, "photo", own.id, { ...own.record.body, original });
}

Deno.test("A photo in her own album does not make another album's blob readable", async () => {
  const { t, alice, mallory, mine, target } = await world();
  await using _ = t;
  const read = () => authed(t, mallory)(`/v1/blobs/${target.id}`);
  assert.equal((await read()).status, 404);
  // Suppose Alice's receipt leaked too (it is in her photo record).
  const aliceReceipt = target.receipt;
  const attempts: [string, Record<string, unknown>][] = [
    ["no receipt", { id: target.id, size: target.size }],
    ["Alice's receipt", { id: target.id, size: target.size, receipt: aliceReceipt }],
    // Her own receipt for other bytes does not cover these.
    ["her receipt for other bytes", {
      id: target.id,
      size: target.size,
      receipt: (await putBlob(t, mallory, Uint8Array.of(1, 2, 3))).receipt,
    }],
  ];
  for (const [what, original] of attempts) {
    for (const route of ["/v1/photos", "/v1/records"]) {
      const record = await pointing(t, mine, mallory, original);
      const res = await json(t, route, { body: { records: [record] }, cookie: mallory.cookie });
      assert.equal(res.status, 403, `${what} via ${route}`);
      assert.match((await res.json()).error.message, /original blob/, what);
      assert.equal(t.records.get("photo", record.id), undefined, what);
    }
  }
  // Signing the photo as if Alice had uploaded it does not work either.
  const asAlice = await makePhoto(t, mine, mallory, 8);
  const forged = signed(t, mallory, "photo", asAlice.id, {
    ...asAlice.record.body,
    uploader: alice.key,
    original: { id: target.id, size: target.size, receipt: aliceReceipt },
  });
  const res = await json(t, "/v1/photos", { body: { records: [forged] }, cookie: mallory.cookie });
  assert.equal(res.status, 403);
  assert.equal((await read()).status, 404);
});

Deno.test("Opening an upload of a blob someone else uploaded answers as for a new blob and confers nothing", async () => {
  const { t, mallory, target } = await world();
  await using _ = t;
  const open = async (blob: string, size: number) => {
    const res = await json(t, "/v1/uploads", { body: { blob, size }, cookie: mallory.cookie });
    const body = await res.json();
    return { status: res.status, keys: Object.keys(body).sort(), offset: body.offset, body };
  };
  const unknown = await open("c".repeat(64), target.size);
  assert.equal(unknown.status, 201);
  for (const size of [target.size, target.size + 1]) {
    const existing = await open(target.id, size);
    assert.deepEqual(
      { ...existing, body: undefined },
      { ...unknown, body: undefined },
      `size ${size}`,
    );
    await json(t, `/v1/uploads/${existing.body.upload}`, {
      method: "DELETE",
      cookie: mallory.cookie,
    });
  }
  assert.equal((await authed(t, mallory)(`/v1/blobs/${target.id}`)).status, 404);
  assert.equal(
    t.db.db.prepare("SELECT count(*) AS n FROM blob_uploaders WHERE member_key = ?")
      .get(mallory.key)!.n,
    0,
  );
});

Deno.test("Sending all the bytes of a stored blob is an upload: a receipt, the same answer as a new one", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const bob = await inviteAndJoin(t, alice, "Bob");
  const bytes = await encryptBytes(newFileKey(), new Uint8Array(3000).fill(9));
  const id = await sha256Hex(bytes);
  const upload = async (who: TestMember) => {
    const opened = await json(t, "/v1/uploads", {
      body: { blob: id, size: bytes.length },
      cookie: who.cookie,
    });
    assert.equal(opened.status, 201);
    const { upload } = await opened.json();
    await authed(t, who)(`/v1/uploads/${upload}`, {
      method: "PATCH",
      headers: { "upload-offset": "0" },
      body: bytes as Uint8Array<ArrayBuffer>,
    }).then((r) => r.body?.cancel());
    const done = await json(t, `/v1/uploads/${upload}/finish`, { body: {}, cookie: who.cookie });
    return { status: done.status, body: await done.json() };
  };
  const first = await upload(alice);
  const second = await upload(bob);
  assert.equal(second.status, first.status);
  assert.deepEqual(Object.keys(second.body).sort(), ["blob", "receipt", "size"]);
  assert.deepEqual({ ...second.body, receipt: undefined }, { ...first.body, receipt: undefined });
  assert.notEqual(second.body.receipt.sig, first.body.receipt.sig, "each receipt names its member");
  // Her own earlier upload is complete at once, with her receipt again (a retry).
  const again = await json(t, "/v1/uploads", {
    body: { blob: id, size: bytes.length },
    cookie: bob.cookie,
  });
  const body = await again.json();
  assert.equal(body.complete, true);
  assert.deepEqual(body.receipt, second.body.receipt);
});

Deno.test("POST /v1/photos errors say nothing of a blob's presence or size", async () => {
  const { t, mallory, mine, target } = await world();
  await using _ = t;
  const answers = [];
  const refs = [
    { id: target.id, size: target.size }, // stored, right size
    { id: target.id, size: 1 }, // stored, wrong size
    { id: "d".repeat(64), size: target.size }, // not stored anywhere
  ];
  for (const ref of refs) {
    const record = await pointing(t, mine, mallory, ref);
    const res = await json(t, "/v1/photos", {
      body: { records: [record] },
      cookie: mallory.cookie,
    });
    const text = (await res.text()).replaceAll(record.id, "<photo>");
    answers.push(`${res.status} ${text}`);
  }
  assert.equal(answers[1], answers[0]);
  assert.equal(answers[2], answers[0]);
  assert.doesNotMatch(answers[0], /stored|bytes|size/);
});

Deno.test("An upload receipt counts only from a current family node, for its member, blob and size", async () => {
  await using t = await makeTestApp();
  const alice = await setupFamily(t);
  const album = await createAlbum(t, alice);
  const photo = await makePhoto(t, album, alice, 3);
  const body = photo.record.body as Record<string, { id: string; size: number }>;
  const stranger = await newNodeSigner();
  const cases: [string, unknown][] = [
    [
      "a stranger node's",
      await issueUploadReceipt(stranger, alice.key, body.original.id, body.original.size),
    ],
    ["for another size", await issueUploadReceipt(t.nodeKey, alice.key, body.original.id, 1)],
  ];
  // The right receipt with its signature spelled a second way (a non-zero unused bit in the
  // last base64url character): FORMAT §13 refuses it as a signature failure.
  const right = await issueUploadReceipt(
    t.nodeKey,
    alice.key,
    body.original.id,
    body.original.size,
  );
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const last = alphabet[alphabet.indexOf(right.sig.at(-1)!) | 1];
  cases.push(["a second spelling of the right one", {
    ...right,
    sig: right.sig.slice(0, -1) + last,
  }]);
  for (const [what, receipt] of cases) {
    const record = signed(t, alice, "photo", photo.id, {
      ...body,
      original: { ...body.original, receipt },
    });
    const res = await json(t, "/v1/photos", { body: { records: [record] }, cookie: alice.cookie });
    assert.equal(res.status, 403, what);
  }
  // This node removed from the family: its receipts no longer admit a photo from a browser.
  const node = t.records.get<Record<string, unknown>>("node", t.nodeKey.nodeId)!;
  t.records.apply([signed(t, alice, "node", t.nodeKey.nodeId, { ...node.body, removed: true })], {
    via: "api",
    sessionMember: alice.key,
  });
  const res = await json(t, "/v1/photos", {
    body: { records: [photo.record] },
    cookie: alice.cookie,
  });
  assert.equal(res.status, 403);
  assert.match((await res.json()).error.message, /not from a node of this family/);
});
