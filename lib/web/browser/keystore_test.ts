import assert from "node:assert/strict";
import { deriveIdentity, newSeed, toBase64Url } from "../../crypto/mod.ts";
import {
  type IdentityMeta,
  type IdentityStore,
  Keystore,
  type SealedIdentity,
} from "./keystore.ts";

function memoryStore(): IdentityStore & { value?: SealedIdentity } {
  const s: IdentityStore & { value?: SealedIdentity } = {
    get: () => Promise.resolve(s.value),
    put: (v) => {
      s.value = structuredClone(v);
      return Promise.resolve();
    },
    delete: () => {
      s.value = undefined;
      return Promise.resolve();
    },
  };
  return s;
}

function metaOf(seed: Uint8Array): IdentityMeta {
  return {
    memberKey: toBase64Url(deriveIdentity(seed).signingPublicKey),
    name: "Ada",
    familyName: "The Okafors",
    nodeId: "ABC-DEF",
  };
}

Deno.test("Keystore.load() in a new page unseals the seed another page saved", async () => {
  const store = memoryStore();
  const seed = newSeed();
  await new Keystore(store).save(seed, metaOf(seed));
  const loaded = await new Keystore(store).load();
  assert.deepEqual(loaded?.seed, seed);
  assert.equal(loaded?.meta.name, "Ada");
  assert.deepEqual(loaded?.keys.signingPublicKey, deriveIdentity(seed).signingPublicKey);
});

Deno.test("Keystore.save() stores the seed sealed, under a key no script can export", async () => {
  const store = memoryStore();
  const seed = newSeed();
  await new Keystore(store).save(seed, metaOf(seed));
  const sealed = store.value!;
  assert.equal(sealed.key.extractable, false);
  await assert.rejects(crypto.subtle.exportKey("raw", sealed.key));
  assert.equal(sealed.sealed.length, 32 + 16);
  assert.notDeepEqual(sealed.sealed.slice(0, 32), seed);
});

Deno.test("Keystore.load() refuses a sealed seed relabelled with another member's key", async () => {
  const store = memoryStore();
  const seed = newSeed();
  await new Keystore(store).save(seed, metaOf(seed));
  const other = newSeed();
  store.value!.meta = metaOf(other);
  await assert.rejects(new Keystore(store).load(), /damaged/);
});

Deno.test("Keystore.save() refuses metadata naming a different key than the seed's", async () => {
  const seed = newSeed();
  await assert.rejects(
    new Keystore(memoryStore()).save(seed, metaOf(newSeed())),
    RangeError,
  );
});

Deno.test("Keystore.meta() reads the label without unsealing; forget() deletes everything", async () => {
  const store = memoryStore();
  const ks = new Keystore(store);
  assert.equal(await ks.has(), false);
  assert.equal(await ks.load(), undefined);
  const seed = newSeed();
  await ks.save(seed, metaOf(seed));
  assert.equal(await ks.has(), true);
  assert.equal((await new Keystore(store).meta())?.familyName, "The Okafors");
  await ks.forget();
  assert.equal(await ks.has(), false);
  assert.equal(ks.unlocked(), undefined);
});

Deno.test("Keystore.lock() drops and zeroes the unsealed copy; the caller's seed is untouched", async () => {
  const store = memoryStore();
  const ks = new Keystore(store);
  const seed = newSeed();
  const original = seed.slice();
  const unlocked = await ks.save(seed, metaOf(seed));
  ks.lock();
  assert.equal(ks.unlocked(), undefined);
  assert.ok(unlocked.seed.every((b) => b === 0));
  assert.deepEqual(seed, original);
  assert.deepEqual((await ks.load())?.seed, original);
});
