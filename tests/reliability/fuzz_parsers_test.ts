/**
 * Every parser of untrusted input, fuzzed with fast-check (issue #14 §3): blob headers and
 * payloads (whole and streamed in random pieces), signed records and record bodies of every
 * kind, wrapped keys, metadata blobs, join codes, invite tokens, device link codes, node ids,
 * recovery words, base64url, byte ranges and node signature headers. Inputs are random, and
 * mutations of valid ones (bytes flipped, cut, added, spliced; fields replaced; nested past the
 * depth limit). Each parser may only return, or throw the errors it documents: anything else (a
 * TypeError from deep inside, a RangeError from an allocation) is a crash. A parser that takes
 * longer than 3 s on an input, or never settles, hangs.
 *
 * 300 runs per parser in CI; `deno task reliability` 10,000 (P2POS_FUZZ_PARSER_RUNS). The
 * relay's and the data channels' frames are fuzz_relay_test.ts.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CryptoError,
  decryptBytes,
  decryptMetadata,
  deriveIdentity,
  encryptBytes,
  encryptMetadata,
  fromBase64Url,
  HeaderError,
  MnemonicError,
  newFileKey,
  newSeed,
  RecordError,
  seedToMnemonic,
  signRecord,
  toBase64Url,
  unwrapKey,
  verifyRecord,
  WrapError,
  wrapKey,
} from "../../lib/crypto/mod.ts";
import { decryptStream } from "../../lib/crypto/stream_decrypt.ts";
import { parseHeader } from "../../lib/crypto/blob_format.ts";
import { mnemonicToSeed } from "../../lib/crypto/identity.ts";
import { P2posError } from "../../lib/core/errors.ts";
import { parseNodeId } from "../../lib/core/node_id.ts";
import { decodeJoinCode, encodeJoinCode, nodeIdOfKey } from "../../lib/core/node_kinds.ts";
import { inviteTokenHash } from "../../lib/core/family_kinds.ts";
import { formatHlc, isHlc, parseHlc } from "../../lib/core/hlc.ts";
import { PeerAuthError, readSignedHeaders, signRequest } from "../../lib/net/signing.ts";
import { createKindRegistry } from "../../lib/vault/kinds.ts";
import { parseRange } from "../../lib/web/range.ts";
import { formatLinkCode, newLinkSecret, parseLinkCode } from "../../lib/web/browser/device_link.ts";
import {
  inviteTokenHash as browserInviteTokenHash,
  newInviteToken,
} from "../../lib/web/browser/invite_token.ts";
import { newNodeSigner } from "../_support/node_signer.ts";
import { count, fuzzParser, report, runSeed } from "./_support.ts";
import { KINDS } from "./_fuzz_cases.ts";

const RUNS = count("P2POS_FUZZ_PARSER_RUNS", 300, 10_000);
const seed = runSeed();
const runs: Record<string, number> = {};

async function fuzz<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  parse: (input: T) => unknown,
  allowed: (new (...a: never[]) => Error)[],
  examples?: [T][],
): Promise<void> {
  runs[name] = await fuzzParser(name, arb, parse, allowed, { runs: RUNS, seed, examples });
}

/** A valid input changed: bytes flipped, cut short, extended, or a piece moved. */
function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(
    valid,
    fc.constantFrom("flip", "cut", "extend", "splice", "same"),
    fc.nat(),
    fc.nat(),
    fc.uint8Array({ maxLength: 64 }),
  )
    .map(([v, how, a, b, extra]) => {
      const out = new Uint8Array(v);
      const at = v.length ? a % v.length : 0;
      switch (how) {
        case "flip":
          if (out.length) out[at] ^= 1 << (b % 8);
          return out;
        case "cut":
          return out.slice(0, at);
        case "extend":
          return new Uint8Array([...out, ...extra]);
        case "splice":
          return new Uint8Array([...out.slice(0, at), ...extra, ...out.slice(at + (b % 100))]);
        default:
          return out;
      }
    });
}

const bytes = fc.uint8Array({ maxLength: 300 });
const text = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.constantFrom("\ud800", "", " ", "=".repeat(50), "A".repeat(10_000)),
);

// --- blobs ----------------------------------------------------------------------------------

const fileKey = newFileKey();
/** Blobs of sizes at the 64 KiB chunk edges (FORMAT §4), made once. */
const validBlobs = await Promise.all(
  [0, 1, 100, 65_535, 65_536, 65_537].map((n) =>
    encryptBytes(fileKey, new Uint8Array(n).map((_, i) => (i * 7919) & 255))
  ),
);
const blobArb = fc.oneof(mutated(fc.constantFrom(...validBlobs)), bytes);

Deno.test("Blob headers: parseHeader() takes any bytes and only ever throws HeaderError", async () => {
  await fuzz("blob header", blobArb, (b) => parseHeader(b.slice(0, 200)), [HeaderError]);
});

Deno.test("Blob payloads: decryptBytes() takes any bytes and only ever throws a CryptoError", async () => {
  await fuzz("blob payload", blobArb, (b) => decryptBytes(fileKey, b), [CryptoError]);
});

Deno.test("Streamed blobs: decryptStream() over bytes cut in random pieces only fails with a CryptoError", async () => {
  await fuzz(
    "blob stream",
    fc.tuple(blobArb, fc.array(fc.integer({ min: 1, max: 70_000 }), { maxLength: 8 })),
    async ([b, cuts]) => {
      let off = 0;
      let i = 0;
      const input = new ReadableStream<Uint8Array>({
        pull(c) {
          if (off >= b.length) return c.close();
          const n = cuts.length ? cuts[i++ % cuts.length] : b.length;
          c.enqueue(b.slice(off, off += n));
        },
      });
      await new Response(decryptStream(fileKey, input)).arrayBuffer();
    },
    [CryptoError],
    // Every run starts with a full 64 KiB chunk in one-byte pieces: the byte queue once moved
    // all its pieces for each piece it used up, 9 s for this one input (a hang, found here).
    [[[validBlobs[5], [1]] as [Uint8Array, number[]]]],
  );
});

// --- records --------------------------------------------------------------------------------

const alice = deriveIdentity(newSeed());
const aliceKey = toBase64Url(alice.signingPublicKey);
const validRecord = signRecord({
  v: 2,
  kind: "invite",
  id: "abcdefghijklmnopqrstuv",
  author: aliceKey,
  hlc: formatHlc({ wall: Date.now(), counter: 1 }),
  prev: ["a".repeat(64)],
  body: { tokenHash: "a".repeat(64), role: "member", expiresAt: 1, revoked: false },
}, alice.signingSecretKey);

const nestedValue = fc.integer({ min: 60, max: 68 }).map((d) => {
  let v: unknown = 0;
  for (let i = 0; i < d; i++) v = [v];
  return v;
});
const fieldValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  nestedValue,
  fc.constantFrom("\ud800", "x\udc00", 1e400, -0, "", null),
  fc.string({ unit: "binary", maxLength: 30 }),
);
/** The valid record with one to three of its fields replaced (or added). */
const recordArb = fc.oneof(
  fc.array(
    fc.tuple(
      fc.constantFrom("v", "kind", "id", "author", "hlc", "prev", "body", "sig", "extra"),
      fieldValue,
    ),
    { minLength: 1, maxLength: 3 },
  ).map((changes) => ({ ...validRecord, ...Object.fromEntries(changes) })),
  fc.anything(),
);

Deno.test("Signed records: verifyRecord() takes anything and only ever throws RecordError", async () => {
  await fuzz(
    "record envelope",
    recordArb,
    (r) => verifyRecord(JSON.parse(JSON.stringify(r ?? null)), alice.signingPublicKey),
    [RecordError],
  );
});

const kinds = createKindRegistry();
Deno.test("Record bodies of every kind: parseBody() takes any JSON and only ever throws a P2posError", async () => {
  await fuzz(
    "record bodies",
    fc.tuple(
      fc.constantFrom(...KINDS),
      fc.oneof(
        fc.dictionary(
          fc.constantFrom(
            "owner",
            "epoch",
            "meta",
            "album",
            "member",
            "role",
            "wrapped",
            "revoked",
            "invite",
            "x25519",
            "name",
            "removed",
            "original",
            "thumb",
            "publicKey",
            "url",
            "tokenHash",
            "expiresAt",
          ),
          fieldValue,
        ),
        fieldValue,
      ),
    ),
    ([kind, body]) => kinds.get(kind)!.parseBody(body),
    [P2posError],
  );
});

// --- keys and codes -------------------------------------------------------------------------

const bob = deriveIdentity(newSeed());
const validWrapped = await wrapKey(newFileKey(), bob.x25519PublicKey);
Deno.test("Wrapped keys: unwrapKey() takes any bytes and only ever throws WrapError", async () => {
  await fuzz(
    "wrapped key",
    fc.oneof(mutated(fc.constant(validWrapped)), bytes),
    (w) => unwrapKey(w, bob.x25519SecretKey),
    [WrapError],
  );
});

const validMeta = await encryptMetadata({ v: 1, name: "Summer", caption: "é ✓" }, fileKey);
Deno.test("Metadata blobs: decryptMetadata() only fails with a CryptoError, SyntaxError or its size limit", async () => {
  await fuzz(
    "metadata",
    fc.oneof(mutated(fc.constant(validMeta)), bytes),
    (m) => decryptMetadata(m, fileKey),
    [CryptoError, SyntaxError, RangeError],
  );
});

const node = await newNodeSigner();
const validJoin = encodeJoinCode({
  v: 1,
  nodeId: nodeIdOfKey(toBase64Url(node.publicKey)),
  publicKey: toBase64Url(node.publicKey),
  url: "http://127.0.0.1:8420",
  code: "ABCD-EFGH-JKLM",
});
Deno.test("Join codes: decodeJoinCode() takes any text and only ever throws SyntaxError", async () => {
  await fuzz(
    "join code",
    fc.oneof(
      text,
      mutated(fc.constant(new TextEncoder().encode(validJoin))).map((b) =>
        new TextDecoder().decode(b)
      ),
      fc.jsonValue().map((v) => toBase64Url(new TextEncoder().encode(JSON.stringify(v)))),
    ),
    (t) => decodeJoinCode(t),
    [SyntaxError],
  );
});

Deno.test("Invite tokens: the node hashes any text, and the browser every well-formed one alike", async () => {
  await fuzz(
    "invite token",
    fc.oneof(
      text,
      fc.constant(newInviteToken()).chain((t) =>
        fc.tuple(fc.nat({ max: t.length }), text).map(([i, s]) => t.slice(0, i) + s)
      ),
    ),
    (t) => {
      // The invite record names the hash the browser made; the node finds it by its own. A
      // token with a lone surrogate is never sent (a record carrying one is refused): the node
      // hashes it without throwing, the browser's strict UTF-8 refuses to.
      const node = inviteTokenHash(t);
      if (!/^[0-9a-f]{64}$/.test(node)) throw new Error(`the node hashed a token to ${node}`);
      if (t.isWellFormed() && node !== browserInviteTokenHash(t)) {
        throw new Error(`the node and the browser hash ${JSON.stringify(t)} differently`);
      }
    },
    [],
  );
});

const linkCode = formatLinkCode(newLinkSecret());
Deno.test("Device link codes: parseLinkCode() takes any text and only ever throws SyntaxError", async () => {
  await fuzz(
    "device link code",
    fc.oneof(
      text,
      fc.tuple(fc.nat({ max: linkCode.length }), fc.string({ maxLength: 3 })).map(([i, s]) =>
        linkCode.slice(0, i) + s + linkCode.slice(i + s.length)
      ),
      fc.constant(linkCode.toLowerCase().replaceAll("-", " ")),
    ),
    (t) => {
      const secret = parseLinkCode(t);
      // Whatever it accepts reads back as the code a person would see for those bytes.
      if (secret.length !== 16) throw new Error(`a link code read as ${secret.length} bytes`);
      parseLinkCode(formatLinkCode(secret));
    },
    [SyntaxError],
  );
});

Deno.test("Node ids: parseNodeId() takes any text and only ever throws SyntaxError", async () => {
  await fuzz(
    "node id",
    fc.oneof(
      text,
      fc.constant(node.nodeId).chain((id) =>
        fc.nat({ max: id.length }).map((i) => id.slice(0, i) + "x" + id.slice(i + 1))
      ),
    ),
    (t) => parseNodeId(t),
    [SyntaxError],
  );
});

const words = seedToMnemonic(newSeed()).split(" ");
Deno.test("Recovery words: mnemonicToSeed() takes any text and only ever throws MnemonicError", async () => {
  await fuzz(
    "recovery words",
    fc.oneof(
      text,
      fc.shuffledSubarray(words).map((w) => w.join(" ")),
      fc.tuple(
        fc.array(fc.constantFrom(...words, "abandon", "zoo", "ÄPFEL", "\ud800"), { maxLength: 30 }),
        fc.constantFrom(" ", "  ", "\n", "\t"),
      ).map(([w, gap]) => w.join(gap)),
    ),
    (t) => mnemonicToSeed(t),
    [MnemonicError],
  );
});

Deno.test("base64url: fromBase64Url() takes any text and only ever throws SyntaxError", async () => {
  await fuzz("base64url", text, (t) => fromBase64Url(t), [SyntaxError]);
});

Deno.test("HLC stamps: isHlc() takes any text, and parseHlc() reads whatever isHlc() accepts", async () => {
  await fuzz(
    "hlc",
    fc.oneof(text, fc.tuple(fc.nat(), fc.nat()).map(([w, c]) => `${w}.${c}`)),
    (t) => {
      if (isHlc(t)) parseHlc(t);
    },
    [],
  );
});

Deno.test("Byte ranges: parseRange() takes any header and only ever refuses it as unsatisfiable", async () => {
  await fuzz(
    "byte range",
    fc.tuple(
      fc.oneof(
        text,
        fc.tuple(fc.option(fc.nat()), fc.option(fc.nat())).map(([a, b]) =>
          `bytes=${a ?? ""}-${b ?? ""}`
        ),
        fc.constantFrom("bytes=99999999999999999999-", "bytes=-99999999999999999999", "bytes=1e3-"),
      ),
      fc.nat({ max: 10_000_000 }),
    ),
    ([h, size]) => parseRange(h, size),
    [P2posError],
  );
});

const signedHeaders = await signRequest(node, {
  method: "POST",
  target: "/internal/v1/records",
  to: node.nodeId,
  digest: "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:",
});
Deno.test("Node signature headers: readSignedHeaders() takes any headers and only ever throws PeerAuthError", async () => {
  await fuzz(
    "signature headers",
    fc.dictionary(
      fc.constantFrom(...Object.keys(signedHeaders), "p2pos-key"),
      fc.oneof(text, fc.constantFrom(...Object.values(signedHeaders))),
    ).map((changes) => ({ ...signedHeaders, ...changes })),
    (h) => readSignedHeaders((name) => (h as Record<string, string>)[name], Date.now()),
    [PeerAuthError],
  );
});

Deno.test("Parser fuzzing: figures", async () => {
  const total = Object.values(runs).reduce((a, b) => a + b, 0);
  await report("fuzz_parsers", {
    seed,
    runsPerParser: RUNS,
    parsers: Object.keys(runs).length,
    total,
    runs,
  });
  assert.ok(total >= RUNS * 10, `${total} runs`);
});
