// Differential property tests of the text formats (FORMAT §6–§8): random and mutated records
// (members, JSON shapes, repeated names, signatures), typed recovery phrases and login fields go
// to lib/crypto and to the second implementation, which must give the same verdict: the same
// value, or the same failure kind and code. Signing is compared too: both sides sign the same
// envelope, and Ed25519 being deterministic, equal signatures mean equal JCS bytes.

import assert from "node:assert/strict";
import fc from "fast-check";
import { ed25519 } from "@noble/curves/ed25519.js";
import { seedToMnemonic, signRecord as libSign } from "../../lib/crypto/mod.ts";
import {
  Coverage,
  logins,
  mnemonics,
  type Outcome,
  outcome,
  receipts,
  records,
} from "./_lib_side.ts";
import { b64, hex, type JObject, parseJson, signRecord, unb64, writePhrase } from "./mod.ts";
import { wordlist } from "@scure/bip39/wordlists/english.js";

const coverage = new Coverage();
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const SMALL_ORDER_KEY = Uint8Array.from([1, ...new Array(31).fill(0)]);

/** The key a verifier checks with: the signer's, another member's, or a small-order point. */
function checkKey(which: string, secret: Uint8Array, otherSecret: Uint8Array): Uint8Array {
  if (which === "signer") return ed25519.getPublicKey(secret);
  return which === "other" ? ed25519.getPublicKey(otherSecret) : SMALL_ORDER_KEY;
}

/** Signature edits a lax verifier might accept or a sloppy decoder might mis-read. */
const sigEdit = fc.oneof(
  { weight: 6, arbitrary: fc.constant("none") },
  {
    weight: 7,
    arbitrary: fc.constantFrom(
      "flip",
      "drop last char",
      "add =",
      "unused bit",
      "S+L",
      "short",
      "zero R and S",
    ),
  },
);

function editSignature(sig: string, how: string): string {
  const bytes = unb64(sig);
  switch (how) {
    case "flip":
      return sig.slice(0, 10) + (sig[10] === "A" ? "B" : "A") + sig.slice(11);
    case "drop last char":
      return sig.slice(0, -1);
    case "add =":
      return sig + "=";
    case "unused bit": {
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      return sig.slice(0, -1) + alphabet[alphabet.indexOf(sig.at(-1)!) | 1];
    }
    case "S+L": {
      if (bytes === null || bytes.length !== 64) return sig;
      let s = 0n;
      for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(bytes[i]);
      s += L;
      const out = bytes.slice();
      for (let i = 32; i < 64; i++, s >>= 8n) out[i] = Number(s & 0xffn);
      return b64(out);
    }
    case "short":
      return "AAAA";
    case "zero R and S": // R = identity, S = 0: "valid" for a small-order key, cofactorless
      return b64(Uint8Array.from([1, ...new Array(63).fill(0)]));
    default:
      return sig;
  }
}

/** `levels` nested arrays. */
const nested = (levels: number): unknown => {
  let v: unknown = [];
  for (let i = 1; i < levels; i++) v = [v];
  return v;
};

const envelopeArb = fc.record({
  kind: fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom("album", "photo", "example", "a", "a".repeat(64)) },
    { weight: 1, arbitrary: fc.constantFrom("Album", "", "a".repeat(65), "1x", "al bum") },
  ),
  id: fc.oneof(
    { weight: 5, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "x".repeat(256),
        "x".repeat(257),
        "😀".repeat(128),
        "😀".repeat(129),
        "",
        "a\ud800",
        "\udc00b",
        "\ud83d\ude00",
      ),
    },
  ),
  hlc: fc.oneof(
    { weight: 5, arbitrary: fc.constant("0001717250580000.000000") },
    { weight: 1, arbitrary: fc.string({ maxLength: 70 }) },
    { weight: 1, arbitrary: fc.constantFrom("\ud800", "x".repeat(64), "x".repeat(65)) },
  ),
  body: fc.oneof(
    { weight: 5, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
    { weight: 1, arbitrary: fc.integer({ min: 60, max: 68 }).map(nested) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<unknown>(
        { "__proto__": { a: 1 } },
        { "a\ud800": 1 },
        ["\udfff"],
        { n: -0 },
        { n: 1e21, m: 1e-7, s: '\u2028\u0000\u007f"\\/' },
      ),
    },
  ),
});

/** Text-level edits of a signed record's JSON. */
const textEdit = fc.oneof(
  { weight: 10, arbitrary: fc.constant({ op: "none" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("member" as const),
      name: fc.constantFrom(
        "v",
        "kind",
        "id",
        "author",
        "hlc",
        "body",
        "sig",
        "extra",
        "__proto__",
      ),
      value: fc.oneof(
        fc.constant(undefined), // delete it
        fc.constantFrom<unknown>(1, 2, "1", true, null, [], {}, "x"),
        fc.jsonValue({ maxDepth: 2 }),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("repeat" as const),
      name: fc.constantFrom("v", "kind", "id", "author", "hlc", "body", "sig", "x"),
      value: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
      first: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("insert" as const),
      at: fc.nat(),
      text: fc.constantFrom(" ", "\t", "\n", "\r", "\u00a0", "\ufeff", ",", "1e400", '"', "]"),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "overflow" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "array" as const }) },
);

type TextEdit = typeof textEdit extends fc.Arbitrary<infer T> ? T : never;

function editText(text: string, edit: TextEdit): string {
  switch (edit.op) {
    case "none":
      return text;
    case "member": {
      const value = JSON.parse(text);
      if (edit.value === undefined) delete value[edit.name];
      else Object.defineProperty(value, edit.name, { value: edit.value, enumerable: true });
      return JSON.stringify(value);
    }
    case "repeat": {
      // A member written twice; JSON.parse and FORMAT §2.4 keep the last.
      const extra = `"${edit.name}":${edit.value}`;
      return edit.first ? `{${extra},${text.slice(1)}` : `${text.slice(0, -1)},${extra}}`;
    }
    case "truncate":
      return text.slice(0, edit.at % (text.length + 1));
    case "insert": {
      const at = edit.at % (text.length + 1);
      return text.slice(0, at) + edit.text + text.slice(at);
    }
    case "overflow":
      return text.replace(/(?<=[:,\[])-?\d+(\.\d+)?(?=[,\]}])/, "1e400");
    case "array":
      return `[${text}]`;
  }
}

Deno.test("differential: both implementations sign the same envelopes with the same bytes", async () => {
  await fc.assert(
    fc.asyncProperty(envelopeArb, key32, async (e, secret) => {
      const author = b64(ed25519.getPublicKey(secret));
      const text = JSON.stringify({ v: 1, ...e, author });
      const byLib = await outcome(() => libSign(JSON.parse(text), secret).sig);
      const byIndependent = await outcome(() =>
        signRecord(parseJson(text) as JObject, secret).get("sig") as string
      );
      assert.deepEqual(byLib, byIndependent);
    }),
    { numRuns: 300 },
  );
});

Deno.test("differential: mutated records get the same verdict from both implementations", async () => {
  await fc.assert(
    fc.asyncProperty(
      envelopeArb,
      key32,
      key32,
      fc.constantFrom("lib", "independent"),
      sigEdit,
      textEdit,
      fc.constantFrom("signer", "signer", "signer", "other", "small order"),
      async (e, secret, otherSecret, by, sigHow, edit, checkWith) => {
        // A record claiming the small-order key: only a lax verifier would take "zero R and S".
        const author = b64(
          checkWith === "small order" ? SMALL_ORDER_KEY : ed25519.getPublicKey(secret),
        );
        const unsigned = JSON.stringify({ v: 1, ...e, author });
        // Sign if the signer accepts the envelope, else carry a random signature.
        const signed = await outcome(() =>
          by === "lib"
            ? libSign(JSON.parse(unsigned), secret).sig
            : signRecord(parseJson(unsigned) as JObject, secret).get("sig") as string
        );
        const sig = signed.ok ? signed.value : b64(ed25519.sign(new Uint8Array(1), secret));
        const text = editText(
          JSON.stringify({ ...JSON.parse(unsigned), sig: editSignature(sig, sigHow) }),
          edit,
        );
        const key = checkKey(checkWith, secret, otherSecret);
        const independent = coverage.note("record", await records.independent(text, key));
        assert.deepEqual(await records.lib(text, key), independent, text.slice(0, 300));
      },
    ),
    { numRuns: 600 },
  );
});

const SEPARATORS = [
  " ",
  "  ",
  "\t",
  "\n",
  "\r\n",
  "\u000b",
  "\u00a0",
  "\u1680",
  "\u2003",
  "\u2028",
  "\u202f",
  "\u3000",
  "\ufeff",
];
const NOT_SEPARATORS = ["\u0085", "\u180e", "\u200b", "-", ",", "_"];

const phraseEdit = fc.record({
  separators: fc.array(fc.constantFrom(...SEPARATORS), { minLength: 26, maxLength: 26 }),
  /** Sometimes one separator is a character FORMAT §7.1 does not split on. */
  notSeparator: fc.oneof(
    { weight: 5, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.tuple(fc.nat(25), fc.constantFrom(...NOT_SEPARATORS)) },
  ),
  caseOf: fc.constantFrom("lower", "upper", "mixed", "fullwidth"),
  words: fc.oneof(
    { weight: 3, arbitrary: fc.constant({ op: "none" as const }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant("swap" as const), i: fc.nat(23), j: fc.nat(23) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("replace" as const),
        i: fc.nat(23),
        word: fc.oneof(
          fc.constantFrom(...wordlist),
          fc.constantFrom("abc", "bitcoinz", "éclair", "ﬁx", "ａｂｌｅ", "ABLE", "zoo\u0301"),
        ),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("drop" as const), i: fc.nat(23) }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant("add" as const), word: fc.constantFrom(...wordlist) }),
    },
  ),
});

function typePhrase(
  phrase: string,
  edit: typeof phraseEdit extends fc.Arbitrary<infer T> ? T : never,
) {
  let words = phrase.split(" ");
  const w = edit.words;
  if (w.op === "swap") [words[w.i], words[w.j]] = [words[w.j], words[w.i]];
  if (w.op === "replace") words[w.i] = w.word;
  if (w.op === "drop") words.splice(w.i, 1);
  if (w.op === "add") words.push(w.word);
  words = words.map((word, i) => {
    if (edit.caseOf === "upper") return word.toUpperCase();
    if (edit.caseOf === "mixed" && i % 2) return word[0].toUpperCase() + word.slice(1);
    if (edit.caseOf === "fullwidth" && i === 0) {
      return [...word].map((c) =>
        /[a-z]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c
      )
        .join("");
    }
    return word;
  });
  const separators = edit.separators.slice();
  if (edit.notSeparator) separators[edit.notSeparator[0]] = edit.notSeparator[1];
  return separators[0] + words.map((word, i) => word + separators[i + 1]).join("");
}

Deno.test("differential: typed and mistyped recovery phrases get the same verdict", async () => {
  await fc.assert(
    fc.asyncProperty(
      key32,
      fc.oneof(
        { weight: 6, arbitrary: phraseEdit.map((edit) => ({ edit })) },
        {
          weight: 1,
          arbitrary: fc.string({ unit: "binary", maxLength: 300 }).map((raw) => ({ raw })),
        },
        {
          weight: 1,
          arbitrary: fc.array(fc.constantFrom(...wordlist), { minLength: 23, maxLength: 25 })
            .map((ws) => ({ raw: ws.join(" ") })),
        },
      ),
      async (seed, input) => {
        const phrase = seedToMnemonic(seed);
        assert.equal(writePhrase(seed), phrase, "both write the same phrase");
        const typed = "edit" in input ? typePhrase(phrase, input.edit) : input.raw;
        const independent = coverage.note("identity", await mnemonics.independent(typed));
        assert.deepEqual(await mnemonics.lib(typed), independent, JSON.stringify(typed));
      },
    ),
    { numRuns: 500 },
  );
});

const originArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      "https://oak.example:8443",
      "http://127.0.0.1:8080",
      "http://[::1]:8080",
      "https://xn--bcher-kva.example",
      "http://localhost",
    ),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(
      fc.constantFrom("https", "http", "https", "HTTP", "ftp", "ws"),
      fc.constantFrom("", "", "", "user@"),
      fc.constantFrom(
        "oak.example",
        "127.0.0.1",
        "[::1]",
        "[0:0::1]",
        "OAK.example",
        "xn--bcher-kva.example",
        "bücher.example",
        "a*b",
        "127.1",
        "oak.example.",
        "",
      ),
      fc.constantFrom("", "", ":8443", ":443", ":80", ":0", ":65535", ":65536", ":08443"),
      fc.constantFrom("", "", "", "/", "/path", "?q", "#f", " ", "\n"),
    ).map(([scheme, user, host, port, tail]) => `${scheme}://${user}${host}${port}${tail}`),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

const nodeIdArb = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[A-Za-z0-9-]{1,128}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "",
      "x".repeat(129),
      "x".repeat(128),
      "ABC DEF",
      "ABC\nDEF",
      "ÄBC",
      "a_b",
    ),
  },
);

const challengeArb = fc.oneof(
  { weight: 5, arbitrary: fc.uint8Array({ minLength: 10, maxLength: 70 }).map(b64) },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ minLength: 16, maxLength: 64 }).map((b) =>
      editSignature(b64(b), "unused bit")
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom("", "=", "a+b/" + "A".repeat(20), "A".repeat(21)) },
);

Deno.test("differential: login fields and signatures get the same verdict", async () => {
  await fc.assert(
    fc.asyncProperty(
      originArb,
      nodeIdArb,
      challengeArb,
      key32,
      key32,
      sigEdit,
      fc.constantFrom("signer", "signer", "other", "small order"),
      async (origin, nodeId, challenge, secret, otherSecret, sigHow, checkWith) => {
        const fields = { origin, nodeId, challenge };
        const message = logins.message(fields) ?? new Uint8Array(3);
        const sig = editSignature(b64(ed25519.sign(message, secret)), sigHow);
        const key = checkKey(checkWith, secret, otherSecret);
        const independent: Outcome = coverage.note(
          "login",
          await logins.independent(fields, sig, key),
        );
        assert.deepEqual(await logins.lib(fields, sig, key), independent);
      },
    ),
    { numRuns: 500 },
  );
});

const receiptArb = fc.record({
  nodeId: nodeIdArb,
  member: fc.oneof(
    { weight: 10, arbitrary: key32.map(b64) },
    { weight: 1, arbitrary: key32.map((k) => editSignature(b64(k), "unused bit")) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 30, maxLength: 34 }).map(b64) },
    { weight: 1, arbitrary: fc.constantFrom("", "=", "A".repeat(43) + "=") },
  ),
  blob: fc.oneof(
    { weight: 10, arbitrary: key32.map(hex) },
    { weight: 1, arbitrary: key32.map((k) => hex(k).toUpperCase()) },
    { weight: 1, arbitrary: fc.string({ maxLength: 70 }) },
  ),
  size: fc.oneof(
    { weight: 5, arbitrary: fc.nat() },
    {
      weight: 1,
      arbitrary: fc.constantFrom(0, -1, 1.5, NaN, Infinity, 2 ** 53 - 1, 2 ** 53, -0),
    },
  ),
});

Deno.test("differential: upload receipts get the same verdict", async () => {
  await fc.assert(
    fc.asyncProperty(
      receiptArb,
      key32,
      key32,
      sigEdit,
      fc.constantFrom("signer", "signer", "other", "small order"),
      fc.oneof(
        { weight: 4, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.nat() },
      ),
      async (statement, secret, otherSecret, sigHow, checkWith, otherSize) => {
        // Sometimes the signature is for another size: the bytes a receipt vouches for.
        const signed = otherSize === null ? statement : { ...statement, size: otherSize };
        const message = receipts.message(signed) ?? new Uint8Array(5);
        const sig = editSignature(b64(ed25519.sign(message, secret)), sigHow);
        const key = checkKey(checkWith, secret, otherSecret);
        const independent = coverage.note(
          "receipt",
          await receipts.independent(statement, sig, key),
        );
        assert.deepEqual(await receipts.lib(statement, sig, key), independent);
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("differential: the text-format runs above reached every verdict", () => {
  coverage.expect([
    "record success",
    "record record failure (shape)",
    "record record failure (version)",
    "record record failure (author)",
    "record record failure (signature)",
    "identity success",
    "identity identity failure (mnemonic_length)",
    "identity identity failure (mnemonic_word)",
    "identity identity failure (mnemonic_checksum)",
    "login success",
    "login login failure (origin)",
    "login login failure (node_id)",
    "login login failure (challenge)",
    "login login failure (signature)",
    "receipt success",
    "receipt receipt failure (node_id)",
    "receipt receipt failure (member)",
    "receipt receipt failure (blob)",
    "receipt receipt failure (size)",
    "receipt receipt failure (signature)",
  ]);
});
