// Deno-only test; the code under test is browser-compatible.

import assert from "node:assert/strict";
import fc from "fast-check";
import { WrapError } from "./errors.ts";
import { deriveIdentity, newSeed } from "./identity.ts";
import { unwrapKey, wrapKey, WRAPPED_KEY_SIZE } from "./wrap.ts";

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

Deno.test("unwrapKey() recovers any key wrapped for the member", async () => {
  await fc.assert(
    fc.asyncProperty(key32, key32, async (key, seed) => {
      const member = deriveIdentity(seed);
      const wrapped = await wrapKey(key, member.x25519PublicKey);
      assert.equal(wrapped.length, WRAPPED_KEY_SIZE);
      assert.deepEqual(await unwrapKey(wrapped, member.x25519SecretKey), key);
    }),
    { numRuns: 50 },
  );
});

Deno.test("unwrapKey() refuses another member's secret key", async () => {
  const alice = deriveIdentity(newSeed());
  const bob = deriveIdentity(newSeed());
  const wrapped = await wrapKey(new Uint8Array(32).fill(9), alice.x25519PublicKey);
  await assert.rejects(
    unwrapKey(wrapped, bob.x25519SecretKey),
    (e: unknown) => e instanceof WrapError && e.code === "tag",
  );
});

Deno.test("unwrapKey() rejects a wrapped key with any single byte changed", async () => {
  const member = deriveIdentity(newSeed());
  const wrapped = await wrapKey(new Uint8Array(32).fill(1), member.x25519PublicKey);
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: WRAPPED_KEY_SIZE - 1 }),
      fc.integer({ min: 1, max: 255 }),
      async (i, mask) => {
        const bad = wrapped.slice();
        bad[i] ^= mask;
        await assert.rejects(unwrapKey(bad, member.x25519SecretKey), WrapError);
      },
    ),
    { numRuns: 120 },
  );
});

Deno.test("wrapKey() and unwrapKey() refuse low-order X25519 points", async () => {
  // u = 0 and u = 1 are low order; X25519 with them gives an all-zero shared secret.
  const member = deriveIdentity(newSeed());
  for (const u of [0, 1]) {
    const point = new Uint8Array(32);
    point[0] = u;
    await assert.rejects(
      wrapKey(new Uint8Array(32), point),
      (e: unknown) => e instanceof WrapError && e.code === "low_order_point",
    );
    const wrapped = new Uint8Array(WRAPPED_KEY_SIZE);
    wrapped[0] = 1;
    wrapped.set(point, 1);
    await assert.rejects(
      unwrapKey(wrapped, member.x25519SecretKey),
      (e: unknown) => e instanceof WrapError && e.code === "low_order_point",
    );
  }
});

Deno.test("wrap entry points check their arguments", async () => {
  const member = deriveIdentity(newSeed());
  await assert.rejects(wrapKey(new Uint8Array(16), member.x25519PublicKey), {
    name: "RangeError",
    message: '"key" expected 32 bytes, got 16',
  });
  await assert.rejects(unwrapKey(new Uint8Array(81), new Uint8Array(31)), RangeError);
  await assert.rejects(
    unwrapKey(Uint8Array.of(1, 2, 3), member.x25519SecretKey),
    (e: unknown) => e instanceof WrapError && e.code === "length",
  );
});
