import assert from "node:assert/strict";
import { deriveIdentity, newSeed, recordHash, signRecord, toBase64Url } from "../../crypto/mod.ts";
import { following, newMember } from "./new_member.ts";

const meta = { name: "Ada", familyName: "The Okafors", nodeId: "node-1" };

Deno.test("newMember() names the person by the signing key of the seed and keeps the seed", () => {
  const seed = newSeed();
  const keys = deriveIdentity(seed);
  const member = newMember(seed, meta);
  assert.equal(member.memberKey, toBase64Url(keys.signingPublicKey));
  assert.equal(member.x25519, toBase64Url(keys.x25519PublicKey));
  assert.deepEqual(member.identity.meta, { memberKey: member.memberKey, ...meta });
  assert.equal(member.identity.seed, seed);
  assert.notEqual(newMember(newSeed(), meta).memberKey, member.memberKey);
});

Deno.test("following() makes the next record follow the one before alone, stamped after it", () => {
  const { identity } = newMember(newSeed(), meta);
  const record = signRecord({
    v: 2 as const,
    kind: "family",
    id: "f",
    author: toBase64Url(identity.keys.signingPublicKey),
    hlc: "1-0-oak",
    prev: [],
    body: {},
  }, identity.keys.signingSecretKey);
  assert.deepEqual(following(record, identity), {
    identity,
    prev: [recordHash(record)],
    after: record.hlc,
  });
});
