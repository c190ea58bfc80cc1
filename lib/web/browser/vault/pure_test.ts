import assert from "node:assert/strict";
import { newFileKey } from "../../../crypto/mod.ts";
import {
  AlbumKeys,
  docForNextEpoch,
  newAlbumDoc,
  openAlbumDoc,
  sealAlbumDoc,
} from "./album_keys.ts";
import { albumNameProblem, trashDaysLeft } from "./albums.ts";
import {
  decodeTakenAt,
  dedupValue,
  encodeTakenAt,
  openFileKey,
  openSort,
  sealFileKey,
  sealSort,
} from "./photo_crypto.ts";
import { limiter, LruCache, NotWantedError } from "./lru_cache.ts";
import { fitWithin } from "./thumbnail.ts";
import { kindOf, typeOf } from "./upload_queue.ts";
import { byTakenAt, jpegDataUrl } from "./photo_library.ts";
import { formatDay, formatMonth } from "./format.ts";
import { groupLevel } from "./ui/PhotoGrid.tsx";
import { PhotoMeta, type PhotoView } from "./types.ts";

Deno.test("Taken-at survives its 8-byte big-endian encoding and sealing under the album key", async () => {
  const t = Date.UTC(2021, 5, 1, 9, 30);
  assert.deepEqual([...encodeTakenAt(256)], [0, 0, 0, 0, 0, 0, 1, 0]);
  assert.equal(decodeTakenAt(encodeTakenAt(t)), t);
  assert.equal(decodeTakenAt(encodeTakenAt(-5)), 0, "dates before 1970 clamp to 0");
  const key = newFileKey();
  const sealed = await sealSort(key, t);
  assert.match(sealed, /^[A-Za-z0-9_-]+$/);
  assert.equal(await openSort(key, sealed), t);
  await assert.rejects(openSort(newFileKey(), sealed), /header MAC/);
});

Deno.test("A file key sealed under the album key opens only with that key", async () => {
  const album = newFileKey();
  const file = newFileKey();
  assert.deepEqual(await openFileKey(album, await sealFileKey(album, file)), file);
  await assert.rejects(openFileKey(newFileKey(), await sealFileKey(album, file)));
});

Deno.test("Dedup values are equal for equal files and differ between albums", () => {
  const digest = new Uint8Array(32).fill(7);
  const a = newFileKey();
  assert.equal(dedupValue(a, digest), dedupValue(a, digest.slice()));
  assert.notEqual(dedupValue(a, digest), dedupValue(newFileKey(), digest));
  assert.match(dedupValue(a, digest), /^[0-9a-f]{64}$/);
  assert.throws(() => dedupValue(a, new Uint8Array(31)), RangeError);
});

Deno.test("An album document keeps every retired epoch key and AlbumKeys finds each", async () => {
  const k0 = newFileKey();
  const k1 = newFileKey();
  const k2 = newFileKey();
  const doc0 = newAlbumDoc("Summer", 1);
  const doc2 = docForNextEpoch(docForNextEpoch(doc0, 0, k0), 1, k1);
  assert.deepEqual(Object.keys(doc2.keys), ["0", "1"]);
  const sealed = await sealAlbumDoc(doc2, k2);
  const opened = await openAlbumDoc(sealed, k2);
  assert.equal(opened.name, "Summer");
  assert.equal(opened.dedupKey, doc0.dedupKey, "the dedup key never changes");
  const keys = new AlbumKeys("a", 2, k2, opened);
  assert.deepEqual(keys.keyFor(0), k0);
  assert.deepEqual(keys.keyFor(1), k1);
  assert.deepEqual(keys.keyFor(2), k2);
  assert.throws(() => keys.keyFor(3), /album key #3/);
  await assert.rejects(openAlbumDoc(sealed, k1), /header MAC/);
});

Deno.test("Album names are checked for emptiness, length and control characters", () => {
  assert.equal(albumNameProblem("Summer 2026"), undefined);
  assert.match(albumNameProblem("   ")!, /name/);
  assert.match(albumNameProblem("x".repeat(121))!, /120/);
  assert.match(albumNameProblem("a\u0007b")!, /control/);
});

Deno.test("Trash days left count down to the node's purge time and never go negative", () => {
  const day = 24 * 3600_000;
  const purgeAt = 30 * day;
  assert.equal(trashDaysLeft(purgeAt, 0), 30);
  assert.equal(trashDaysLeft(purgeAt, day * 29.5), 1);
  assert.equal(trashDaysLeft(purgeAt, day * 31), 0);
});

Deno.test("Thumbnails fit in 720 px without being enlarged", () => {
  assert.deepEqual(fitWithin(1200, 900, 720), [720, 540]);
  assert.deepEqual(fitWithin(900, 1600, 720), [405, 720]);
  assert.deepEqual(fitWithin(300, 200, 720), [300, 200]);
  assert.throws(() => fitWithin(0, 10, 720), RangeError);
});

Deno.test("Picked files are sorted into photos, videos and refusals, with a type guessed by name", () => {
  assert.equal(kindOf({ name: "a.jpg", type: "image/jpeg" }), "image");
  assert.equal(kindOf({ name: "IMG_1.HEIC", type: "" }), "image");
  assert.equal(kindOf({ name: "clip.mov", type: "" }), "video");
  assert.equal(kindOf({ name: "clip.webm", type: "video/webm" }), "video");
  assert.equal(kindOf({ name: "notes.txt", type: "text/plain" }), null);
  assert.equal(typeOf({ name: "IMG_1.HEIC", type: "" }), "image/heic");
  assert.equal(typeOf({ name: "x.bin", type: "" }), "application/octet-stream");
});

Deno.test("Photos order by taken-at, then by id", () => {
  const p = (id: string, takenAt: number) => ({ view: { id } as PhotoView, takenAt });
  const sorted = [p("c", 2), p("b", 1), p("a", 2)].sort(byTakenAt).map((x) => x.view.id);
  assert.deepEqual(sorted, ["b", "a", "c"]);
});

Deno.test("LruCache evicts the least recently used entry and reports it", () => {
  const evicted: string[] = [];
  const c = new LruCache<string, string>(2, (v) => evicted.push(v));
  c.set("a", "A").set("b", "B");
  c.get("a"); // a is now fresher than b
  c.set("c", "C");
  assert.deepEqual(evicted, ["B"]);
  assert.equal(c.has("a"), true);
  c.set("a", "A2");
  assert.deepEqual(evicted, ["B", "A"], "replacing a value releases the old one");
  c.clear();
  assert.equal(c.size, 0);
  assert.deepEqual(evicted.sort(), ["A", "A2", "B", "C"]);
});

Deno.test("limiter runs at most N tasks at once and drops tasks nobody wants any more", async () => {
  const run = limiter(2);
  let active = 0;
  let peak = 0;
  const task = (ms: number) => async () => {
    peak = Math.max(peak, ++active);
    await new Promise((r) => setTimeout(r, ms));
    active--;
    return ms;
  };
  let wanted = true;
  const results = Promise.allSettled([
    run(task(20)),
    run(task(20)),
    run(task(5), () => wanted),
    run(task(5)),
  ]);
  wanted = false;
  const settled = await results;
  assert.equal(peak, 2);
  assert.equal(settled[2].status, "rejected");
  assert.ok((settled[2] as PromiseRejectedResult).reason instanceof NotWantedError);
  assert.equal(settled[3].status, "fulfilled");
});

Deno.test("The grid groups by month, by year, or not at all, whichever labels several photos", () => {
  const at = (y: number, m: number) => new Date(y, m, 5).getTime();
  const fourPerMonth = [0, 1, 2].flatMap((m) => [1, 2, 3, 4].map(() => at(2021, m)));
  assert.equal(groupLevel(fourPerMonth), "month");
  const spreadOverAYear = Array.from({ length: 12 }, (_, m) => at(2021, m));
  assert.equal(groupLevel(spreadOverAYear), "year");
  assert.equal(groupLevel([at(2019, 7), at(2020, 0), at(2021, 5), at(2022, 11)]), "none");
});

Deno.test("A photo document is checked after decrypting: absent details read as null", () => {
  const doc = { v: 1, filename: "a.jpg", type: "image/jpeg", size: 10, takenAt: 1_750_000_000_000 };
  assert.deepEqual(PhotoMeta.parse({ ...doc, caption: "dropped" }), {
    ...doc,
    gps: null,
    orientation: null,
    camera: null,
    width: null,
    height: null,
  });
  assert.equal(PhotoMeta.safeParse({ ...doc, filename: 7 }).success, false);
  assert.equal(PhotoMeta.safeParse({ ...doc, takenAt: "2025-06-15T10:00:00Z" }).success, false);
  assert.equal(PhotoMeta.safeParse({ ...doc, v: 2 }).success, false);
});

Deno.test("Tile and heading dates read as toLocaleDateString writes them, damaged dates included", () => {
  for (const ms of [0, 1_623_000_000_000, Date.UTC(1999, 11, 31, 23, 59), 8.64e15]) {
    const d = new Date(ms);
    assert.equal(formatDay(ms), d.toLocaleDateString(undefined, dayOptions));
    assert.equal(formatMonth(ms), d.toLocaleDateString(undefined, monthOptions));
  }
  // A taken-at past what a Date holds (8 bytes decrypt to up to 2^64) must not throw in render.
  for (const ms of [8.64e15 + 1, Number.MAX_SAFE_INTEGER, NaN]) {
    assert.equal(formatDay(ms), "Invalid Date");
    assert.equal(formatMonth(ms), "Invalid Date");
  }
});
const dayOptions = { year: "numeric", month: "short", day: "numeric" } as const;
const monthOptions = { year: "numeric", month: "long" } as const;

Deno.test("A decrypted thumbnail becomes a data: URL holding exactly its bytes", async () => {
  const jpeg = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31 + (i >> 8)) & 255);
  const url = jpegDataUrl(jpeg);
  assert.match(url, /^data:image\/jpeg;base64,/);
  const read = async (u: string) => new Uint8Array(await (await fetch(u)).arrayBuffer());
  assert.deepEqual(await read(url), jpeg);
  // Browsers without Uint8Array.prototype.toBase64 take the btoa path: the same URL.
  const plain = Object.assign(jpeg.slice(), { toBase64: undefined });
  assert.equal(jpegDataUrl(plain), url);
  assert.equal(jpegDataUrl(new Uint8Array(0)), "data:image/jpeg;base64,");
});
