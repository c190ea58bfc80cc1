import assert from "node:assert/strict";
import fc from "fast-check";
import { concatBytes } from "../crypto/mod.ts";
import {
  BlobBatchParser,
  FRAME_BYTES,
  FRAME_NOT_READABLE,
  frameHeader,
  readBlobBatch,
} from "./blob_batch.ts";

/** What the node sends for these items (null: not readable). */
function encode(items: (Uint8Array | null)[]): Uint8Array {
  return concatBytes(
    ...items.flatMap((b) =>
      b ? [frameHeader(FRAME_BYTES, b.length), b] : [frameHeader(FRAME_NOT_READABLE, 0)]
    ),
  );
}

function parse(chunks: Uint8Array[], expected: number): (Uint8Array | null)[] {
  const parser = new BlobBatchParser(expected);
  const out = chunks.flatMap((c) => parser.push(c));
  parser.end();
  assert.deepEqual(out.map((i) => i.index), out.map((_, i) => i));
  return out.map((i) => i.bytes);
}

const items = fc.array(fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }), {
  maxLength: 12,
});

Deno.test("BlobBatchParser reads the same items however the body is split, at every boundary", () => {
  fc.assert(fc.property(items, (want) => {
    const body = encode(want);
    // Two chunks, split at every position (inside headers, inside bytes, between frames).
    for (let i = 0; i <= body.length; i++) {
      assert.deepEqual(parse([body.subarray(0, i), body.subarray(i)], want.length), want);
    }
    // One byte at a time.
    assert.deepEqual(parse([...body].map((b) => Uint8Array.of(b)), want.length), want);
  }));
});

Deno.test("BlobBatchParser reads the same items from chunks cut at random places", () => {
  fc.assert(fc.property(items, fc.array(fc.nat(), { maxLength: 20 }), (want, cuts) => {
    const body = encode(want);
    const at = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
    const chunks = [0, ...at].map((s, i) => body.subarray(s, [...at, body.length][i]));
    assert.deepEqual(parse(chunks, want.length), want);
  }));
});

Deno.test("BlobBatchParser refuses a body cut anywhere before its last frame ends", () => {
  fc.assert(fc.property(items.filter((i) => i.length > 0), (want) => {
    const body = encode(want);
    for (let i = 0; i < body.length; i++) {
      assert.throws(() => parse([body.subarray(0, i)], want.length), SyntaxError, `cut at ${i}`);
    }
  }));
});

Deno.test("BlobBatchParser refuses unknown statuses, lengths on 'not readable', extra frames and data", () => {
  const bad: [string, Uint8Array, number, RegExp][] = [
    ["status 2", Uint8Array.of(2, 0, 0, 0, 0), 1, /status 2 is unknown/],
    ["not readable with bytes", Uint8Array.of(1, 0, 0, 0, 1, 9), 1, /not-readable frame/],
    ["a frame past 16 MiB", Uint8Array.of(0, 1, 0, 0, 1), 1, /too long/],
    ["more frames than ids", encode([null, null]), 1, /data after its 1 frames/],
    ["fewer frames than ids", encode([null]), 2, /ended after 1 of 2 frames/],
  ];
  for (const [name, body, expected, message] of bad) {
    assert.throws(() => parse([body], expected), (e: Error) => {
      assert.ok(e instanceof SyntaxError, name);
      assert.match(e.message, message, name);
      return true;
    });
  }
});

Deno.test("readBlobBatch yields each item before the body has ended", async () => {
  const body = encode([Uint8Array.of(1, 2, 3), null, Uint8Array.of(4)]);
  let release!: () => void;
  const held = new Promise<void>((r) => release = r);
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(body.subarray(0, 8)); // the first frame, whole
      await held;
      controller.enqueue(body.subarray(8));
      controller.close();
    },
  });
  const reader = readBlobBatch(stream, 3);
  assert.deepEqual((await reader.next()).value, { index: 0, bytes: Uint8Array.of(1, 2, 3) });
  release();
  const rest = [];
  for await (const item of reader) rest.push(item);
  assert.deepEqual(rest, [{ index: 1, bytes: null }, { index: 2, bytes: Uint8Array.of(4) }]);
});
