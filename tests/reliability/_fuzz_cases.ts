/**
 * What the route fuzzer sends (tests/reliability/fuzz_routes.ts): fast-check arbitraries of
 * requests — route, actor, path parameters, query, headers, body — and the bodies and records
 * they turn into, signed by the actor's key when the case says so.
 */

import fc from "fast-check";
import {
  type RecordEnvelope,
  recordSigningInput,
  sign,
  toBase64Url,
  toHex,
} from "../../lib/crypto/mod.ts";
import { formatHlc } from "../../lib/core/hlc.ts";
import { nextHlc } from "../_support/family.ts";
import { randomHex } from "./_support.ts";
import { type Actor, ACTORS, isMember, MEMBER_ACTORS, type World } from "./_world.ts";

export const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b));
export const b64 = (n: number) =>
  fc.uint8Array({ minLength: n, maxLength: n }).map((b) => toBase64Url(b));
export const junkString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("", "..", "%", "\u0000", "\ud800", "a".repeat(5000), "null", "-1", "1e999"),
);
export const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 2 ** 53, -(2 ** 53), 1e308, Number.MAX_SAFE_INTEGER + 2, 0.5),
);
/** A field value: often of a plausible type, often not. */
export const field: fc.Arbitrary<unknown> = fc.oneof(
  junkString,
  number,
  fc.boolean(),
  fc.constant(null),
  hex64,
  b64(16),
  b64(32),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxLength: 4 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A value nested `depth` levels deep: right around the 64-level limit, often exactly at it. */
export const nested = fc.tuple(
  fc.oneof(fc.integer({ min: 62, max: 66 }), fc.integer({ min: 55, max: 72 })),
  fc.boolean(),
).map(([depth, arrays]) => {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = arrays ? [v] : { a: v };
  return v;
});

export const KINDS = [
  "family",
  "member",
  "invite",
  "node",
  "family_key",
  "album",
  "album_index",
  "grant",
  "photo",
  "tombstone",
];

/** The body of a kind, with each field plausible or fuzzed. */
export const kindBody = fc.record({
  owner: field,
  epoch: fc.oneof(fc.constant(0), number),
  meta: fc.oneof({ weight: 4, arbitrary: b64(48) }, { weight: 4, arbitrary: field }, nested),
  cover: fc.oneof(fc.constant(null), field),
  trashedAt: fc.oneof(fc.constant(null), number),
  album: fc.oneof(b64(16), field),
  member: field,
  role: fc.oneof(fc.constantFrom("owner", "contributor", "viewer", "admin", "member"), field),
  wrapped: fc.oneof(b64(92), field),
  revoked: fc.oneof(fc.boolean(), field),
  uploader: field,
  key: fc.oneof(b64(60), field),
  original: fc.oneof(fc.record({ id: hex64, size: number }), field),
  thumb: fc.oneof(fc.constant(null), fc.record({ id: hex64, size: number }), field),
  sort: fc.oneof(b64(36), field),
  dedup: fc.oneof(hex64, field),
  kind: fc.oneof(fc.constant("photo"), field),
  target: fc.oneof(b64(16), field),
  x25519: fc.oneof(b64(32), field),
  name: field,
  removed: fc.oneof(fc.boolean(), field),
  invite: fc.oneof(b64(32), field),
  tokenHash: fc.oneof(hex64, field),
  expiresAt: number,
  publicKey: fc.oneof(b64(32), field),
  url: fc.oneof(fc.constant("http://127.0.0.1:1"), field),
  founder: field,
}, { requiredKeys: [] });

export interface RecordPlan {
  v: unknown;
  kind: unknown;
  id: unknown;
  author: "actor" | "admin" | "random" | "junk";
  /** The id is the author's key (member records, and joining). */
  idIsAuthor: boolean;
  hlc: "now" | "past" | "future" | "junk" | "surrogate";
  /** What `prev` names: the node's heads, nothing, hashes nobody made, or a wrong shape. */
  prev: "heads" | "empty" | "unknown" | "unsorted" | "junk" | "none";
  body: unknown;
  sig: "valid" | "random" | "junk" | "none";
  extra: boolean;
}

export const recordPlan: fc.Arbitrary<RecordPlan> = fc.record({
  v: fc.oneof({ weight: 8, arbitrary: fc.constant(2) }, fc.constant(1), field),
  kind: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...KINDS) }, field),
  id: fc.oneof(
    { weight: 3, arbitrary: b64(16) },
    fc.constant("known"),
    junkString,
    fc.string({ unit: "binary" }),
    // Lone surrogates: JSON carries them, canonical JSON refuses them.
    fc.constantFrom("\ud800", "a\udfff", "\udc00\ud800"),
  ),
  author: fc.constantFrom("actor", "actor", "admin", "random", "junk"),
  idIsAuthor: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, fc.constant(true)),
  hlc: fc.constantFrom("now", "now", "now", "past", "future", "junk", "surrogate"),
  prev: fc.constantFrom(
    "heads",
    "heads",
    "heads",
    "heads",
    "empty",
    "unknown",
    "unsorted",
    "junk",
    "none",
  ),
  body: fc.oneof(
    { weight: 4, arbitrary: kindBody },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
    { weight: 2, arbitrary: nested },
  ),
  sig: fc.constantFrom("valid", "valid", "random", "junk", "none"),
  extra: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, fc.constant(true)),
});

export type BodyPlan =
  | { type: "none" }
  | { type: "json"; value: unknown }
  | { type: "shape"; fields: Record<string, unknown>; records: RecordPlan[] }
  | { type: "records"; records: RecordPlan[]; key: string }
  | { type: "bytes"; bytes: Uint8Array }
  | { type: "text"; text: string };

export const SHAPE_KEYS = [
  ["code", "records"],
  ["code"],
  ["member", "challenge", "signature"],
  ["record"],
  ["blob", "size"],
  ["blobIds"],
  ["joinCode", "record", "selfRecord"],
  ["indexId", "after", "lastSeq", "records", "more"],
  ["ids"],
  ["blobs"],
  ["nonce"],
];

export const bodyPlan: fc.Arbitrary<BodyPlan> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ type: "none" as const }) },
  {
    weight: 2,
    arbitrary: fc.oneof(fc.jsonValue({ maxDepth: 5 }), nested).map((value) => ({
      type: "json" as const,
      value,
    })),
  },
  {
    weight: 4,
    arbitrary: fc.tuple(
      fc.constantFrom(...SHAPE_KEYS),
      fc.array(field, { minLength: 5, maxLength: 5 }),
      fc.array(recordPlan, { maxLength: 3 }),
    ).map(([keys, values, records]) => ({
      type: "shape" as const,
      fields: Object.fromEntries(keys.map((k, i) => [k, values[i]])),
      records,
    })),
  },
  {
    weight: 4,
    arbitrary: fc.tuple(
      fc.array(recordPlan, { minLength: 1, maxLength: 4 }),
      fc.constantFrom("records", "record"),
    ).map(([records, key]) => ({ type: "records" as const, records, key })),
  },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 4096 }).map((bytes) => ({
      type: "bytes" as const,
      bytes,
    })),
  },
  {
    weight: 1,
    arbitrary: fc.string({ unit: "binary", maxLength: 300 }).map((text) => ({
      type: "text" as const,
      text,
    })),
  },
);

export interface Case {
  route: string;
  method?: string;
  actor: Actor;
  params: unknown[];
  query: Record<string, string>;
  headers: Record<string, string>;
  body: BodyPlan;
  /** Node actors: sign the request (true), sign something else (false). */
  goodSignature: boolean;
  replay: boolean;
}

/** Routes that take signed records, where most of a node's checks live. */
export const RECORD_ROUTES = [
  "POST /v1/records",
  "POST /v1/photos",
  "POST /v1/albums",
  "POST /v1/join",
  "POST /internal/v1/records",
];

/**
 * Cases aimed at the record checks: a record route, an actor it would take records from
 * (a member, or the paired node for /internal), and records that name that actor as their
 * author, so the fuzzed ids, stamps and bodies meet the checks behind the first gate.
 */
export const focusedArb = (base: fc.Arbitrary<Case>) =>
  fc.tuple(
    base,
    fc.constantFrom(...RECORD_ROUTES),
    fc.constantFrom<Actor>(...MEMBER_ACTORS),
    fc.array(recordPlan, { minLength: 1, maxLength: 2 }),
  ).map(([c, route, member, plans]): Case => {
    const internal = route.startsWith("POST /internal");
    const records = plans.map((p) => ({
      ...p,
      author: internal ? "admin" as const : "actor" as const,
    }));
    return {
      ...c,
      route,
      method: undefined,
      // As a browser or a node would send it: past the same-origin guard.
      headers: { "content-type": "application/json" },
      actor: internal ? "paired node" : member,
      goodSignature: true,
      replay: false,
      body: internal
        ? {
          type: "shape",
          fields: { indexId: "0123456789abcdef", after: 0, lastSeq: 1, records: [], more: false },
          records,
        }
        : { type: "records", records, key: route.endsWith("/join") ? "record" : "records" },
    };
  });

export function caseArb(routes: string[], knownIds: string[]): fc.Arbitrary<Case> {
  const param = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...knownIds) },
    { weight: 2, arbitrary: hex64 },
    { weight: 1, arbitrary: b64(16) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: junkString },
  );
  return fc.record({
    route: fc.constantFrom(...routes),
    method: fc.option(fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"), {
      freq: 20,
      nil: undefined,
    }),
    actor: fc.constantFrom(...ACTORS),
    params: fc.array(param, { minLength: 2, maxLength: 2 }),
    query: fc.dictionary(
      fc.constantFrom("after", "limit", "index", "x"),
      fc.oneof(junkString, fc.integer().map(String), hex64),
      { maxKeys: 2 },
    ),
    headers: fc.record({
      "content-type": fc.constantFrom(
        "application/json",
        "application/octet-stream",
        "text/plain",
        "application/json; charset=utf-16",
        "multipart/form-data; boundary=x",
      ),
      range: fc.oneof(
        fc.constantFrom(
          "bytes=0-0",
          "bytes=-1",
          "bytes=5-",
          "bytes=9999999-",
          "bytes=3-1",
          "bytes=0-1,4-5",
        ),
        fc.string({ maxLength: 20 }).map((s) => `bytes=${s}`),
      ),
      "upload-offset": fc.oneof(fc.nat().map(String), junkString),
      origin: fc.constantFrom("http://localhost", "http://evil.example", "null"),
      "sec-fetch-site": fc.constantFrom("same-origin", "cross-site", "none"),
    }, { requiredKeys: [] }).map((h) =>
      Object.fromEntries(Object.entries(h).filter(([, v]) => /^[\t\x20-\x7e]*$/.test(v as string)))
    ),
    body: bodyPlan,
    goodSignature: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, fc.constant(false)),
    replay: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, fc.constant(true)),
  }) as fc.Arbitrary<Case>;
}

/** Seven in ten cases anywhere, three aimed at the record checks. */
export function mixedArb(routes: string[], knownIds: string[]): fc.Arbitrary<Case> {
  const base = caseArb(routes, knownIds);
  return fc.oneof({ weight: 7, arbitrary: base }, { weight: 3, arbitrary: focusedArb(base) });
}

export function buildRecord(w: World, actor: Actor, p: RecordPlan): unknown {
  const me = isMember(actor) ? w.members[actor].member : undefined;
  const admin = w.members.admin.member;
  const signer = p.author === "admin" ? admin : me;
  const author = p.author === "actor"
    ? (me?.key ?? toBase64Url(crypto.getRandomValues(new Uint8Array(32))))
    : p.author === "admin"
    ? admin.key
    : p.author === "random"
    ? toBase64Url(crypto.getRandomValues(new Uint8Array(32)))
    : "not-a-key";
  const now = w.t.records.now();
  const heads = w.t.records.heads();
  const hlc = {
    now: nextHlc(w.t, heads.hlc),
    past: formatHlc({ wall: now - 40 * 24 * 3600_000, counter: 1 }),
    future: formatHlc({ wall: now + 3600_000, counter: 1 }),
    junk: "12.x",
    surrogate: "\ud800",
  }[p.hlc];
  const id = p.idIsAuthor ? author : p.id === "known" ? w.albums.shared.album.id : p.id;
  const record: Record<string, unknown> = { v: p.v, kind: p.kind, id, author, hlc, body: p.body };
  const hashes = () => Array.from({ length: 2 }, () => randomHex(32)).sort();
  const prev = {
    heads: heads.prev,
    empty: [],
    unknown: hashes(),
    unsorted: hashes().reverse(),
    junk: ["x"],
    none: undefined,
  }[p.prev];
  if (prev !== undefined) record.prev = prev;
  if (p.extra) record.extra = 1;
  if (p.sig === "random") record.sig = toBase64Url(crypto.getRandomValues(new Uint8Array(64)));
  if (p.sig === "junk") record.sig = "!!";
  if (p.sig === "valid") {
    try {
      const input = recordSigningInput(record as unknown as RecordEnvelope);
      record.sig = toBase64Url(sign(input, (signer ?? admin).signingSecretKey));
    } catch {
      record.sig = toBase64Url(crypto.getRandomValues(new Uint8Array(64)));
    }
  }
  return record;
}

export function bodyBytes(w: World, c: Case): Uint8Array | undefined {
  const b = c.body;
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  switch (b.type) {
    case "none":
      return undefined;
    case "json":
      return enc(b.value);
    case "shape": {
      const fields = { ...b.fields };
      if ("records" in fields) fields.records = b.records.map((r) => buildRecord(w, c.actor, r));
      if ("record" in fields && b.records[0]) fields.record = buildRecord(w, c.actor, b.records[0]);
      return enc(fields);
    }
    case "records": {
      const records = b.records.map((r) => buildRecord(w, c.actor, r));
      return enc(b.key === "record" ? { record: records[0] } : { records });
    }
    case "bytes":
      return b.bytes;
    case "text":
      return new TextEncoder().encode(b.text);
  }
}
