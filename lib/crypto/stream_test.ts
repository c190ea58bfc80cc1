// Deno-only test; the code under test is browser-compatible.
// Property tests of the blob format (FORMAT §3–§4) with fast-check.

import assert from "node:assert/strict";
import fc from "fast-check";
import { CHUNK_SIZE, ciphertextSize, HEADER_SIZE, SEALED_CHUNK_SIZE } from "./blob_format.ts";
import { CryptoError, HeaderError, PayloadError } from "./errors.ts";
import { gather } from "./_streams.ts";
import { decryptBytes, decryptStream } from "./stream_decrypt.ts";
import { encryptBytes, encryptStream, newFileKey } from "./stream_encrypt.ts";

/** Sizes biased to the edges that matter: 0, and ±3 around every chunk boundary. */
const size = fc.oneof(
  fc.integer({ min: 0, max: 3 * CHUNK_SIZE + 10 }),
  fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: -3, max: 3 }))
    .map(([k, d]) => k * CHUNK_SIZE + d),
  fc.constantFrom(0, 1),
);

function patterned(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** A stream of `bytes` cut at the given piece sizes (cycled), including empty pieces. */
function piecewise(bytes: Uint8Array, pieces: number[]): ReadableStream<Uint8Array> {
  let offset = 0;
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      const n = pieces[i++ % pieces.length];
      controller.enqueue(bytes.slice(offset, offset + n));
      offset += n;
    },
  });
}

const pieces = fc.array(
  fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 2 * SEALED_CHUNK_SIZE })),
  { minLength: 1, maxLength: 8 },
).filter((p) => p.some((n) => n > 0));

async function rejectsWith(promise: Promise<unknown>): Promise<CryptoError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CryptoError, `expected a CryptoError, got ${error}`);
    return error;
  }
  assert.fail("decryption succeeded");
}

Deno.test("encryptStream() then decryptStream() returns the plaintext for any size and any input chunking", async () => {
  await fc.assert(
    fc.asyncProperty(size, pieces, pieces, fc.integer(), async (n, inPieces, outPieces, seed) => {
      const key = newFileKey();
      const plaintext = patterned(n, seed);
      const ciphertext = await gather(encryptStream(key, piecewise(plaintext, inPieces)));
      assert.equal(ciphertext.length, ciphertextSize(n));
      const back = await gather(decryptStream(key, piecewise(ciphertext, outPieces)));
      assert.deepEqual(back, plaintext);
    }),
    { numRuns: 40 },
  );
});

Deno.test("decryptBytes() agrees with decryptStream() on any blob, whole, cut, extended or altered", async () => {
  const outcome = async (p: Promise<Uint8Array>) => {
    try {
      return { plaintext: await p };
    } catch (error) {
      return { error: `${(error as Error).name}: ${(error as Error).message}` };
    }
  };
  await fc.assert(
    fc.asyncProperty(
      size,
      fc.integer(),
      fc.oneof(
        fc.constant({ kind: "whole" as const }),
        fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
        fc.record({ kind: fc.constant("extend" as const), by: fc.integer({ min: 1, max: 70000 }) }),
        fc.record({ kind: fc.constant("flip" as const), at: fc.nat() }),
      ),
      async (n, seed, change) => {
        const key = newFileKey();
        let ciphertext = await encryptBytes(key, patterned(n, seed));
        if (change.kind === "cut") ciphertext = ciphertext.slice(0, change.at % ciphertext.length);
        if (change.kind === "extend") {
          const longer = new Uint8Array(ciphertext.length + change.by).fill(7);
          longer.set(ciphertext);
          ciphertext = longer;
        }
        if (change.kind === "flip") ciphertext[change.at % ciphertext.length] ^= 1;
        assert.deepEqual(
          await outcome(decryptBytes(key, ciphertext)),
          await outcome(gather(decryptStream(key, piecewise(ciphertext, [1000])))),
        );
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("decryptBytes() rejects a ciphertext with any single byte changed", async () => {
  const key = newFileKey();
  const plaintext = patterned(2 * CHUNK_SIZE + 100, 7);
  const ciphertext = await encryptBytes(key, plaintext);
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.integer({ min: 0, max: HEADER_SIZE - 1 }),
        fc.integer({ min: 0, max: ciphertext.length - 1 }),
      ),
      fc.integer({ min: 1, max: 255 }),
      async (index, mask) => {
        const bad = ciphertext.slice();
        bad[index] ^= mask;
        const error = await rejectsWith(decryptBytes(key, bad));
        assert.equal(error instanceof HeaderError, index < HEADER_SIZE);
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("decryptBytes() rejects every truncation and every extension of a blob", async () => {
  const key = newFileKey();
  const ciphertext = await encryptBytes(key, patterned(CHUNK_SIZE + 50, 3));
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: ciphertext.length - 1 }),
      fc.uint8Array({ minLength: 1, maxLength: 70000 }),
      async (cut, extra) => {
        await rejectsWith(decryptBytes(key, ciphertext.slice(0, cut)));
        const longer = new Uint8Array(ciphertext.length + extra.length);
        longer.set(ciphertext);
        longer.set(extra, ciphertext.length);
        await rejectsWith(decryptBytes(key, longer));
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("decryptStream() releases authentic chunks only, then errors at the altered one", async () => {
  const key = newFileKey();
  const plaintext = patterned(3 * CHUNK_SIZE, 1);
  const ciphertext = await encryptBytes(key, plaintext);
  ciphertext[HEADER_SIZE + SEALED_CHUNK_SIZE + 5] ^= 1; // inside chunk 1
  const reader = decryptStream(key, piecewise(ciphertext, [4096])).getReader();
  const first = await reader.read();
  assert.deepEqual(first.value, plaintext.subarray(0, CHUNK_SIZE));
  await assert.rejects(
    reader.read(),
    (e: unknown) => e instanceof PayloadError && e.code === "tag",
  );
});

Deno.test("encryptStream() reads no more than about two chunks ahead of its consumer", async () => {
  let produced = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      produced += 10_000;
      controller.enqueue(new Uint8Array(10_000));
    },
  }, { highWaterMark: 0 });
  const reader = encryptStream(newFileKey(), source).getReader();
  await reader.read(); // header
  for (let consumed = 1; consumed <= 20; consumed++) {
    await reader.read();
    // Lookahead holds one chunk plus a piece; the output queue holds at most one more chunk.
    assert.ok(produced <= (consumed + 2) * CHUNK_SIZE + 10_000, `read ${produced} bytes`);
  }
  await reader.cancel();
});

Deno.test("decryptStream() cancels its input when the consumer cancels", async () => {
  let cancelled = false;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new Uint8Array(0));
    },
    cancel() {
      cancelled = true;
    },
  });
  await decryptStream(newFileKey(), source).cancel("bored");
  assert.ok(cancelled);
});

Deno.test("encryptBytes() gives a new blob each time: the salt is random", async () => {
  const key = newFileKey();
  const a = await encryptBytes(key, patterned(10, 0));
  const b = await encryptBytes(key, patterned(10, 0));
  assert.notDeepEqual(a, b);
  assert.deepEqual(await decryptBytes(key, b), patterned(10, 0));
});

Deno.test("stream entry points check their arguments", () => {
  const input = () => piecewise(new Uint8Array(1), [1]);
  assert.throws(() => encryptStream(new Uint8Array(31), input()), {
    name: "RangeError",
    message: '"fileKey" expected 32 bytes, got 31',
  });
  assert.throws(() => decryptStream(new Uint8Array(33), input()), RangeError);
  assert.throws(() => encryptStream("key" as unknown as Uint8Array, input()), TypeError);
  assert.throws(() => encryptStream(newFileKey(), [] as unknown as ReadableStream), TypeError);
});

Deno.test("encryptStream() errors its output when the input yields a non-Uint8Array", async () => {
  const source = new ReadableStream({
    start(c) {
      c.enqueue("text");
      c.close();
    },
  }) as unknown as ReadableStream<Uint8Array>;
  await assert.rejects(gather(encryptStream(newFileKey(), source)), TypeError);
});
