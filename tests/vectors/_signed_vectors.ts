/**
 * Signed record (FORMAT §6), login (FORMAT §8.1) and upload receipt (FORMAT §13) vectors: a
 * success each, and a failure for every check of §6.4, §8.1 and §13, including the ones whose
 * order decides the code.
 *
 * @module
 */

import { concatBytes, fromBase64Url, toBase64Url, toHex } from "../../lib/crypto/bytes.ts";
import { canonicalJson, type JsonValue } from "../../lib/crypto/canonical_json.ts";
import { deriveIdentity, sign } from "../../lib/crypto/identity.ts";
import { loginMessage } from "../../lib/crypto/login.ts";
import { type RecordEnvelope, recordHash, signRecord } from "../../lib/crypto/records.ts";
import { uploadReceiptMessage } from "../../lib/crypto/upload_receipt.ts";
import { MEMBER_SEED } from "./_key_vectors.ts";
import { det, unreducedS, type VectorSet, withUnusedBitSet } from "./_vector_file.ts";

/** The identity point of Ed25519 (y = 1): of order 1, so of small order. */
const IDENTITY_POINT = concatBytes(Uint8Array.of(1), new Uint8Array(31));

/** `levels` nested arrays: the innermost (empty) one sits `levels` − 1 below the outermost. */
function nested(levels: number): JsonValue {
  let value: JsonValue = [];
  for (let i = 1; i < levels; i++) value = [value];
  return value;
}

/** Adds the record vectors to `set`. */
export function recordVectors(set: VectorSet): void {
  const me = deriveIdentity(MEMBER_SEED);
  const other = deriveIdentity(det("another member seed"));
  const author = toBase64Url(me.signingPublicKey);
  const envelope = (body: JsonValue): RecordEnvelope => ({
    v: 1,
    kind: "example",
    id: "rec_01",
    author,
    hlc: "0001717250580000.000000",
    body,
  });
  const body = { name: "Café ☕ 2024", z: [1, 2.5, -0, 1e21, 'tab\t \u0001 "q" é'], a: null };
  const record = signRecord(envelope(body), me.signingSecretKey);
  const text = JSON.stringify(record);
  const bodyText = JSON.stringify(record.body);
  const success = (name: string, comment: string, r: RecordEnvelope, recordText: string) =>
    set.add(name, "record", "success", comment, [
      ["public-key", toHex(me.signingPublicKey)],
      ["canonical", canonicalJson(r)],
      ["record", recordText],
    ]);
  const failure = (name: string, code: string, comment: string, recordText: string, key = me) =>
    set.add(name, "record", `record failure (${code})`, comment, [
      ["public-key", toHex(key.signingPublicKey)],
      ["record", recordText],
    ]);
  const edit = (change: Record<string, unknown>) => JSON.stringify({ ...record, ...change });

  success(
    "record_success",
    "a record whose body exercises JCS (sorting, -0, 1e21, escapes, non-ASCII); kind example is no vault kind",
    envelope(body),
    text,
  );
  const deep = signRecord(envelope(nested(64)), me.signingSecretKey);
  success(
    "record_body_at_depth_limit",
    "the body is 64 nested arrays: the record is level 0, the body level 1, the innermost level 64",
    envelope(nested(64)),
    JSON.stringify(deep),
  );
  success(
    "record_repeated_member_last_signed",
    'the member "body" appears twice; the last one is the signed body, and the last one counts',
    envelope(body),
    text.replace(`"body":${bodyText}`, `"body":{"forged":true},"body":${bodyText}`),
  );
  failure(
    "record_repeated_member_first_signed",
    "signature",
    'the member "body" appears twice; the first is the signed body, but the last one counts',
    text.replace(`"body":${bodyText}`, `"body":${bodyText},"body":{"forged":true}`),
  );
  failure(
    "record_not_json",
    "shape",
    "record_success without its closing brace",
    text.slice(0, -1),
  );
  failure("record_not_object", "shape", "record_success inside an array", `[${text}]`);
  failure(
    "record_extra_member",
    "shape",
    'record_success with a member "extra"',
    edit({ extra: 1 }),
  );
  failure(
    "record_bad_kind",
    "shape",
    "kind Example: kinds are lower case",
    edit({ kind: "Example" }),
  );
  failure(
    "record_id_lone_surrogate",
    "shape",
    "id is rec_ followed by the lone surrogate \\ud800, which has no UTF-8 form",
    edit({ id: "rec_\ud800" }),
  );
  failure(
    "record_number_overflow",
    "shape",
    "body.n is 1e400, which rounds to infinity: not plain JSON",
    edit({ body: { n: 7 } }).replace('"n":7', '"n":1e400'),
  );
  failure(
    "record_body_too_deep",
    "shape",
    "record_body_at_depth_limit with one more array around the body: the innermost is at level 65",
    JSON.stringify({ ...deep, body: nested(65) }),
  );
  failure(
    "record_sig_63_bytes",
    "shape",
    "sig is base64url of the first 63 bytes of the signature",
    edit({ sig: toBase64Url(fromBase64Url(record.sig).slice(0, 63)) }),
  );
  failure(
    "record_sig_unused_bits",
    "shape",
    "sig with a non-zero unused bit in its last character (a second spelling of the same bytes)",
    edit({ sig: withUnusedBitSet(record.sig) }),
  );
  const { v: _v, ...noVersion } = record;
  failure(
    "record_missing_version",
    "version",
    "record_success without v",
    JSON.stringify(noVersion),
  );
  failure(
    "record_version_before_members",
    "version",
    "v is 3 and there is an extra member: the version is checked first",
    edit({ v: 3, chain: "x" }),
  );
  // Version 2 (§6.1, §6.5): the record names the records it follows.
  const v2 = signRecord({
    ...envelope({ album: "alb_01" }),
    v: 2,
    prev: [toHex(det("link a")), toHex(det("link b"))].sort(),
  }, me.signingSecretKey);
  const { sig: _sig2, ...unsigned2 } = v2;
  set.add(
    "record_v2_success",
    "record",
    "success",
    "a version-2 record naming two links; link-hash is its name in the prev of records that follow it",
    [
      ["public-key", toHex(me.signingPublicKey)],
      ["canonical", canonicalJson(unsigned2 as JsonValue)],
      ["link-hash", recordHash(v2)],
      ["record", JSON.stringify(v2)],
    ],
  );
  failure(
    "record_v2_unsorted_prev",
    "shape",
    "record_v2_success with its two links in descending order",
    JSON.stringify({ ...v2, prev: [...v2.prev!].reverse() }),
  );
  const { prev: _prev, ...noPrev } = v2;
  failure(
    "record_v2_missing_prev",
    "shape",
    "record_v2_success without prev: version 2 has eight members",
    JSON.stringify(noPrev),
  );
  const theirs = signRecord(
    { ...envelope(body), author: toBase64Url(other.signingPublicKey) },
    other.signingSecretKey,
  );
  failure(
    "record_wrong_author",
    "author",
    "a valid record by another member, checked against this member's key",
    JSON.stringify(theirs),
  );
  failure(
    "record_author_before_sig",
    "author",
    "record_wrong_author with a sig of 3 bytes: the author is checked before the sig's encoding",
    JSON.stringify({ ...theirs, sig: "AAAA" }),
  );
  failure(
    "record_altered_body",
    "signature",
    "record_success with body.name changed after signing",
    edit({ body: { ...body, name: "Cafe 2024" } }),
  );
  failure(
    "record_sig_s_not_reduced",
    "signature",
    "record_success with L added to S: the same signature to a lax verifier, refused by FORMAT §6.3",
    edit({ sig: toBase64Url(unreducedS(fromBase64Url(record.sig))) }),
  );
  set.add(
    "record_small_order_author",
    "record",
    "record failure (signature)",
    "author is the identity point, R the identity and S 0: valid for any message to a cofactorless verifier that allows small-order keys",
    [
      ["public-key", toHex(IDENTITY_POINT)],
      [
        "record",
        JSON.stringify({
          ...record,
          author: toBase64Url(IDENTITY_POINT),
          sig: toBase64Url(concatBytes(IDENTITY_POINT, new Uint8Array(32))),
        }),
      ],
    ],
  );
}

/** Adds the login vectors to `set`. */
export function loginVectors(set: VectorSet): void {
  const me = deriveIdentity(MEMBER_SEED);
  const fields = {
    origin: "https://oak.example:8443",
    nodeId: "ABCDEFG-HIJKLMN",
    challenge: toBase64Url(det("login challenge")),
  };
  const message = loginMessage(fields);
  const signature = sign(message, me.signingSecretKey);
  const lines = (f: typeof fields, sig: Uint8Array | string) =>
    [
      ["origin", f.origin],
      ["node-id", f.nodeId],
      ["challenge", f.challenge],
      ["public-key", toHex(me.signingPublicKey)],
      ["signature", typeof sig === "string" ? sig : toBase64Url(sig)],
    ] as [string, string][];
  set.add("login_success", "login", "success", "the login message and its signature", [
    ...lines(fields, signature),
    ["message-hex", toHex(message)],
  ]);
  const failure = (
    name: string,
    code: string,
    comment: string,
    change: Partial<typeof fields>,
    sig: Uint8Array | string = signature,
  ) =>
    set.add(
      name,
      "login",
      `login failure (${code})`,
      comment,
      lines({ ...fields, ...change }, sig),
    );
  failure("login_origin_trailing_slash", "origin", "origin with a trailing slash", {
    origin: "https://oak.example:8443/",
  });
  failure("login_origin_default_port", "origin", "origin naming the default port 443", {
    origin: "https://oak.example:443",
  });
  failure("login_origin_upper_case", "origin", "origin with an upper-case host", {
    origin: "https://Oak.example:8443",
  });
  failure("login_node_id_space", "node_id", "node id with a space in it", {
    nodeId: "ABCDEFG HIJKLMN",
  });
  failure("login_challenge_15_bytes", "challenge", "a challenge of 15 bytes, one too few", {
    challenge: toBase64Url(det("login challenge").slice(0, 15)),
  });
  failure(
    "login_challenge_unused_bits",
    "challenge",
    "the challenge with a non-zero unused bit in its last character",
    { challenge: withUnusedBitSet(fields.challenge) },
  );
  failure(
    "login_signature_other_origin",
    "signature",
    "a signature made on https://evil.example, checked on the node's own origin",
    {},
    sign(loginMessage({ ...fields, origin: "https://evil.example" }), me.signingSecretKey),
  );
  failure(
    "login_signature_s_not_reduced",
    "signature",
    "login_success with L added to S",
    {},
    unreducedS(signature),
  );
  failure(
    "login_signature_63_bytes",
    "signature",
    "the first 63 bytes of the signature",
    {},
    signature.slice(0, 63),
  );
}

/** Adds the upload receipt (FORMAT §13) vectors to `set`. */
export function receiptVectors(set: VectorSet): void {
  const node = deriveIdentity(det("node seed"));
  const statement = {
    nodeId: "ABCDEFG-HIJKLMN",
    member: toBase64Url(deriveIdentity(MEMBER_SEED).signingPublicKey),
    blob: toHex(det("receipt blob")),
    size: 791,
  };
  const message = uploadReceiptMessage(statement);
  const signature = sign(message, node.signingSecretKey);
  const lines = (s: typeof statement, sig: Uint8Array, key = node.signingPublicKey) =>
    [
      ["node-id", s.nodeId],
      ["member", s.member],
      ["blob", s.blob],
      ["size", String(s.size)],
      ["public-key", toHex(key)],
      ["signature", toBase64Url(sig)],
    ] as [string, string][];
  set.add("receipt_success", "receipt", "success", "a node's receipt for 791 bytes of a blob", [
    ...lines(statement, signature),
    ["message-hex", toHex(message)],
  ]);
  const failure = (
    name: string,
    code: string,
    comment: string,
    change: Partial<typeof statement>,
    sig = signature,
    key = node.signingPublicKey,
  ) =>
    set.add(
      name,
      "receipt",
      `receipt failure (${code})`,
      comment,
      lines({ ...statement, ...change }, sig, key),
    );
  failure("receipt_node_id_space", "node_id", "node id with a space in it", {
    nodeId: "ABCDEFG HIJKLMN",
  });
  failure("receipt_member_31_bytes", "member", "member key of 31 bytes", {
    member: toBase64Url(deriveIdentity(MEMBER_SEED).signingPublicKey.slice(0, 31)),
  });
  failure(
    "receipt_member_unused_bits",
    "member",
    "member key with a non-zero unused bit in its last character",
    { member: withUnusedBitSet(statement.member) },
  );
  failure("receipt_blob_upper_case", "blob", "blob id in upper-case hex", {
    blob: statement.blob.toUpperCase(),
  });
  failure("receipt_size_negative", "size", "size -1", { size: -1 });
  failure("receipt_size_2_53", "size", "size 2^53, past the exact integers", { size: 2 ** 53 });
  failure(
    "receipt_signature_other_size",
    "signature",
    "a receipt signed for 792 bytes, checked for 791",
    {},
    sign(uploadReceiptMessage({ ...statement, size: 792 }), node.signingSecretKey),
  );
  failure(
    "receipt_signature_s_not_reduced",
    "signature",
    "receipt_success with L added to S",
    {},
    unreducedS(signature),
  );
  failure(
    "receipt_signature_63_bytes",
    "signature",
    "the first 63 bytes of the signature",
    {},
    signature.slice(0, 63),
  );
  failure(
    "receipt_small_order_node_key",
    "signature",
    "the node key is the identity point, R the identity and S 0: valid to a lax verifier",
    {},
    concatBytes(IDENTITY_POINT, new Uint8Array(32)),
    IDENTITY_POINT,
  );
}
