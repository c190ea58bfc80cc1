// Deno-only test; the code under test is browser-compatible.

import assert from "node:assert/strict";
import fc from "fast-check";
import { toBase64Url, utf8Decode } from "./bytes.ts";
import { canonicalJson, type JsonValue } from "./canonical_json.ts";
import { RecordError } from "./errors.ts";
import { deriveIdentity, newSeed } from "./identity.ts";
import { type RecordEnvelope, recordSigningInput, signRecord, verifyRecord } from "./records.ts";

const alice = deriveIdentity(newSeed());
const bob = deriveIdentity(newSeed());

function envelope(body: JsonValue): RecordEnvelope {
  return {
    v: 1,
    kind: "album",
    id: "alb_1",
    author: toBase64Url(alice.signingPublicKey),
    hlc: "1-0-oak",
    body,
  };
}

const isCode = (code: string) => (e: unknown) => e instanceof RecordError && e.code === code;

Deno.test("verifyRecord() accepts signed records with any JSON body, after a JSON round trip", () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (body) => {
      const signed = signRecord(envelope(body as JsonValue), alice.signingSecretKey);
      verifyRecord(JSON.parse(JSON.stringify(signed)), alice.signingPublicKey);
    }),
    { numRuns: 100 },
  );
});

Deno.test("verifyRecord() rejects a record whose body changed after signing", () => {
  const signed = signRecord(envelope({ name: "Summer" }), alice.signingSecretKey);
  assert.throws(
    () => verifyRecord({ ...signed, body: { name: "Winter" } }, alice.signingPublicKey),
    isCode("signature"),
  );
  assert.throws(
    () => verifyRecord({ ...signed, hlc: "2-0-oak" }, alice.signingPublicKey),
    isCode("signature"),
  );
});

Deno.test("verifyRecord() rejects a record checked against someone else's key", () => {
  const signed = signRecord(envelope(null), alice.signingSecretKey);
  assert.throws(() => verifyRecord(signed, bob.signingPublicKey), isCode("author"));
  // Bob re-labels Alice's record as his: the author changes, so the signature breaks.
  const relabelled = { ...signed, author: toBase64Url(bob.signingPublicKey) };
  assert.throws(() => verifyRecord(relabelled, bob.signingPublicKey), isCode("signature"));
});

Deno.test("verifyRecord() refuses malformed envelopes with a clear code", () => {
  const signed = signRecord(envelope(1), alice.signingSecretKey);
  const pk = alice.signingPublicKey;
  assert.throws(() => verifyRecord({ ...signed, v: 3 }, pk), isCode("version"));
  assert.throws(() => verifyRecord({ ...signed, extra: 1 }, pk), isCode("shape"));
  assert.throws(() => verifyRecord({ ...signed, sig: signed.sig + "A" }, pk), isCode("shape"));
  assert.throws(() => verifyRecord({ ...signed, kind: "Album!" }, pk), isCode("shape"));
  assert.throws(() => verifyRecord("record", pk), isCode("shape"));
});

Deno.test("verifyRecord() and signRecord() refuse an id or hlc with a lone surrogate as shape", () => {
  const signed = signRecord(envelope(1), alice.signingSecretKey);
  const pk = alice.signingPublicKey;
  for (const change of [{ id: "alb_\ud800" }, { hlc: "\udc00" }, { id: "x".repeat(257) }]) {
    assert.throws(() => verifyRecord({ ...signed, ...change }, pk), isCode("shape"));
    assert.throws(
      () => signRecord({ ...envelope(1), ...change }, alice.signingSecretKey),
      isCode("shape"),
    );
  }
  // FORMAT §2.5: lengths are UTF-16 code units, so 128 emoji are 256 and still allowed.
  const emoji = signRecord({ ...envelope(1), id: "😀".repeat(128) }, alice.signingSecretKey);
  verifyRecord(JSON.parse(JSON.stringify(emoji)), pk);
});

Deno.test("verifyRecord() checks in the order of FORMAT §6.4: version, members, author, sig, signature", () => {
  const signed = signRecord(envelope(1), alice.signingSecretKey);
  const pk = alice.signingPublicKey;
  // A later version defines its own members, so the version is reported first.
  assert.throws(() => verifyRecord({ ...signed, v: 3, chain: "x" }, pk), isCode("version"));
  // The author is checked before the encoding of sig.
  assert.throws(
    () => verifyRecord({ ...signed, sig: "AAAA" }, bob.signingPublicKey),
    isCode("author"),
  );
  assert.throws(() => verifyRecord({ ...signed, sig: "AAAA" }, pk), isCode("shape"));
});

Deno.test("signRecord() refuses to sign for another author", () => {
  assert.throws(() => signRecord(envelope(1), bob.signingSecretKey), isCode("author"));
});

Deno.test("recordSigningInput() is the prefix and the canonical JSON without sig", () => {
  const signed = signRecord(envelope({ b: 1, a: [true, "é"] }), alice.signingSecretKey);
  const text = utf8Decode(recordSigningInput(signed));
  assert.ok(text.startsWith('p2pos-record-v1\n{"author":'));
  assert.ok(!text.includes('"sig"'));
  assert.ok(
    text.endsWith(
      '"body":{"a":[true,"é"],"b":1},"hlc":"1-0-oak","id":"alb_1","kind":"album","v":1}',
    ),
  );
});

Deno.test("canonicalJson() orders keys by UTF-16 code units whatever the insertion order", () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.integer()), (dict) => {
      const reversed = Object.fromEntries(Object.entries(dict).reverse());
      assert.equal(canonicalJson(dict), canonicalJson(reversed));
    }),
  );
  assert.equal(
    canonicalJson({ "é": 1, "z": 2, "A": 3, "\u{1F600}": 4, "\uFB01": 5 }),
    '{"A":3,"z":2,"é":1,"\u{1F600}":4,"\uFB01":5}',
  );
  assert.equal(canonicalJson([1e21, 1e-7, -0, 0.1]), "[1e+21,1e-7,0,0.1]");
});

Deno.test("canonicalJson() refuses values that are not plain JSON", () => {
  for (
    const bad of [
      { a: undefined },
      { d: new Date(0) },
      [NaN],
      [Infinity],
      { s: "\uD800" },
      new Map(),
      [1n],
      [() => 1],
      // deno-lint-ignore no-sparse-arrays
      [1, , 2],
    ]
  ) {
    assert.throws(() => canonicalJson(bad), TypeError, String(bad));
  }
  let deep: JsonValue = 1;
  for (let i = 0; i < 100; i++) deep = [deep];
  assert.throws(() => canonicalJson(deep), TypeError);
});

Deno.test("signRecord() takes bodies typed by interfaces and returns them typed", () => {
  interface AlbumBody {
    name: string;
    photos: string[];
  }
  const body: AlbumBody = { name: "Summer", photos: ["p1"] };
  const signed = signRecord({ ...envelope(null), body }, alice.signingSecretKey);
  const name: string = signed.body.name;
  assert.equal(name, "Summer");
  assert.throws(
    () => signRecord({ ...envelope(null), body: { when: new Date() } }, alice.signingSecretKey),
    isCode("shape"),
  );
});

/** A body of `levels` nested arrays: the innermost (empty) array sits at level `levels`. */
function nested(levels: number): JsonValue {
  let value: JsonValue = [];
  for (let i = 1; i < levels; i++) value = [value];
  return value;
}

Deno.test("A record body may nest up to level 64 counted from the record; one level more is a shape error", () => {
  const atLimit = signRecord(envelope(nested(64)), alice.signingSecretKey);
  verifyRecord(JSON.parse(JSON.stringify(atLimit)), alice.signingPublicKey);
  assert.throws(() => signRecord(envelope(nested(65)), alice.signingSecretKey), isCode("shape"));
  // A forged deeper record is refused by the envelope check, never by a TypeError later on.
  for (const levels of [65, 100_000]) {
    const forged = { ...atLimit, body: nested(levels) };
    assert.throws(() => verifyRecord(forged, alice.signingPublicKey), isCode("shape"));
  }
});
