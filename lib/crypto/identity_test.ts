// Deno-only test; the code under test is browser-compatible.

import assert from "node:assert/strict";
import fc from "fast-check";
import { MnemonicError } from "./errors.ts";
import {
  deriveIdentity,
  mnemonicToSeed,
  newSeed,
  seedToMnemonic,
  sign,
  signingPublicKeyOf,
  verify,
} from "./identity.ts";

const seed32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

Deno.test("mnemonicToSeed() inverts seedToMnemonic() for any seed, with 24 words", () => {
  fc.assert(
    fc.property(seed32, (seed) => {
      const words = seedToMnemonic(seed);
      assert.equal(words.split(" ").length, 24);
      assert.deepEqual(mnemonicToSeed(words), seed);
    }),
    { numRuns: 200 },
  );
});

Deno.test("mnemonicToSeed() accepts what people type: capitals, extra spaces, line breaks", () => {
  const seed = newSeed();
  const typed = "  " + seedToMnemonic(seed).toUpperCase().replaceAll(" ", "  \n ") + "\n";
  assert.deepEqual(mnemonicToSeed(typed), seed);
});

Deno.test("mnemonicToSeed() splits on exactly the separators of FORMAT §7.1", () => {
  const seed = newSeed();
  const words = seedToMnemonic(seed).split(" ");
  for (const sep of ["\t", "\u000b", "\u00a0", "\u1680", "\u2028", "\u202f", "\u3000", "\ufeff"]) {
    assert.deepEqual(
      mnemonicToSeed(words.join(sep)),
      seed,
      `U+${sep.codePointAt(0)!.toString(16)}`,
    );
  }
  // Not separators: the joined words make 23, so the length is wrong.
  for (const sep of ["\u0085", "\u180e", "\u200b"]) {
    assert.throws(() => mnemonicToSeed(words[0] + sep + words.slice(1).join(" ")), {
      code: "mnemonic_length",
    });
  }
});

Deno.test("mnemonicToSeed() says which word is unknown, or that the checksum fails", () => {
  const words = seedToMnemonic(newSeed()).split(" ");
  assert.throws(() => mnemonicToSeed(words.slice(0, 23).join(" ")), {
    name: "MnemonicError",
    code: "mnemonic_length",
  });
  const typo = [...words];
  typo[4] = "abandom";
  assert.throws(() => mnemonicToSeed(typo.join(" ")), {
    code: "mnemonic_word",
    message: 'Word 5 ("abandom") is not in the BIP39 English word list',
  });
  // A fixed seed whose phrase, with its first two words swapped, fails the checksum.
  const fixed = seedToMnemonic(new Uint8Array(32).fill(7)).split(" ");
  [fixed[0], fixed[1]] = [fixed[1], fixed[0]];
  assert.throws(
    () => mnemonicToSeed(fixed.join(" ")),
    (e: unknown) => e instanceof MnemonicError && e.code === "mnemonic_checksum",
  );
});

Deno.test("deriveIdentity() is deterministic and gives independent keys", () => {
  const seed = newSeed();
  const a = deriveIdentity(seed);
  const b = deriveIdentity(seed.slice());
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.signingSecretKey, a.x25519SecretKey);
  assert.deepEqual(signingPublicKeyOf(a.signingSecretKey), a.signingPublicKey);
  assert.notDeepEqual(deriveIdentity(newSeed()).signingPublicKey, a.signingPublicKey);
});

Deno.test("verify() accepts a signature only for its message and key", () => {
  fc.assert(
    fc.property(seed32, fc.uint8Array({ maxLength: 200 }), (seed, message) => {
      const id = deriveIdentity(seed);
      const sig = sign(message, id.signingSecretKey);
      assert.equal(verify(sig, message, id.signingPublicKey), true);
      const other = Uint8Array.of(...message, 0);
      assert.equal(verify(sig, other, id.signingPublicKey), false);
      const bad = sig.slice();
      bad[0] ^= 1;
      assert.equal(verify(bad, message, id.signingPublicKey), false);
    }),
    { numRuns: 50 },
  );
});

Deno.test("verify() rejects small-order public keys (strict RFC 8032)", () => {
  // The identity point encodes as 1 followed by zeros; with S = 0 and R = identity, a lax
  // verifier accepts this signature for every message.
  const identity = new Uint8Array(32);
  identity[0] = 1;
  const sig = new Uint8Array(64);
  sig[0] = 1;
  assert.equal(verify(sig, new Uint8Array([1, 2, 3]), identity), false);
});

Deno.test("identity entry points check their arguments", () => {
  assert.throws(() => seedToMnemonic(new Uint8Array(16)), {
    name: "RangeError",
    message: '"seed" expected 32 bytes, got 16',
  });
  assert.throws(() => deriveIdentity(new Uint8Array(31)), RangeError);
  assert.throws(() => sign(new Uint8Array(1), new Uint8Array(64)), RangeError);
  assert.throws(
    () => verify(new Uint8Array(63), new Uint8Array(1), new Uint8Array(32)),
    RangeError,
  );
  assert.throws(() => mnemonicToSeed(42 as unknown as string), TypeError);
});
