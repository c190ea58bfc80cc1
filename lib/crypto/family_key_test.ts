// Deno-only test; the code under test is browser-compatible.

import assert from "node:assert/strict";
import { x25519 } from "@noble/curves/ed25519.js";
import { concatBytes, toBase64Url, toHex } from "./bytes.ts";
import { HeaderError, InviteError, KeychainError } from "./errors.ts";
import {
  decodeKeychain,
  encodeKeychain,
  familyKeyId,
  inviteKeyPair,
  KEYCHAIN_LABEL,
  newFamilyKey,
  newInviteSecret,
  openKeychain,
  sealKeychain,
} from "./family_key.ts";
import { unwrapKey, wrapKey } from "./wrap.ts";

Deno.test("openKeychain() returns the earlier epochs' keys, in order", async () => {
  const keys = [newFamilyKey(), newFamilyKey(), newFamilyKey()];
  const current = newFamilyKey();
  const sealed = await sealKeychain(keys, current);
  const opened = await openKeychain(sealed, current, 3);
  assert.deepEqual(opened.map(toHex), keys.map(toHex));
});

Deno.test("A keychain holds exactly `epoch` keys behind its label", async () => {
  const two = encodeKeychain([newFamilyKey(), newFamilyKey()]);
  assert.equal(decodeKeychain(two, 2).length, 2);
  for (const epoch of [1, 3]) {
    assert.throws(
      () => decodeKeychain(two, epoch),
      (e) => e instanceof KeychainError && e.code === "length",
    );
  }
  const relabelled = concatBytes(new Uint8Array(KEYCHAIN_LABEL.length), two.slice(21));
  assert.throws(
    () => decodeKeychain(relabelled, 2),
    (e) => e instanceof KeychainError && e.code === "label",
  );
  const current = newFamilyKey();
  await assert.rejects(
    openKeychain(await sealKeychain([newFamilyKey()], current), newFamilyKey(), 1),
    (e) => e instanceof HeaderError && e.code === "header_mac",
  );
  await assert.rejects(sealKeychain([], current), RangeError);
});

Deno.test("familyKeyId() names a key without being the key, the same everywhere", () => {
  const key = newFamilyKey();
  assert.match(familyKeyId(key), /^[0-9a-f]{64}$/);
  assert.equal(familyKeyId(key), familyKeyId(key.slice()));
  assert.notEqual(familyKeyId(key), familyKeyId(newFamilyKey()));
  assert.notEqual(familyKeyId(key), toHex(key));
});

Deno.test("An invite secret gives an X25519 key pair that opens a family key wrapped to it", async () => {
  const secret = toBase64Url(newInviteSecret());
  const pair = inviteKeyPair(secret);
  assert.deepEqual(pair.publicKey, x25519.getPublicKey(pair.secretKey));
  assert.deepEqual(inviteKeyPair(secret).publicKey, pair.publicKey, "deterministic");
  const familyKey = newFamilyKey();
  assert.deepEqual(
    await unwrapKey(await wrapKey(familyKey, pair.publicKey), pair.secretKey),
    familyKey,
  );
});

Deno.test("inviteKeyPair() refuses a secret that is not 32 bytes of base64url", () => {
  for (
    const bad of [
      "",
      "abc",
      toBase64Url(new Uint8Array(31)),
      toBase64Url(new Uint8Array(33)),
      "=".repeat(43),
    ]
  ) {
    assert.throws(
      () => inviteKeyPair(bad),
      (e) => e instanceof InviteError && e.code === "secret",
      JSON.stringify(bad),
    );
  }
});
