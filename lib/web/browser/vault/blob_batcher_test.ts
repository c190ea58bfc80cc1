/**
 * Thumbnails in batches (issue #16 §3), against an in-process node: the album page's
 * PhotoDecryptor asks for many thumbnails in few requests, decrypts them as their frames
 * arrive, and falls back to one GET each on a node that does not know the batch route.
 */

import assert from "node:assert/strict";
import { setupFamily } from "../../../../tests/_support/family.ts";
import { makeTestApp } from "../../../../tests/_support/test_app.ts";
import { addPhoto, createAlbum } from "../../../../tests/_support/vault.ts";
import { vaultDepsFor } from "../../../../tests/_support/vault_client.ts";
import { ApiError } from "../api.ts";
import { AlbumKeys } from "./album_keys.ts";
import { allPhotos } from "./album_photos.ts";
import { albumDetail } from "./albums.ts";
import { PhotoDecryptor } from "./photo_library.ts";
import type { PhotoView } from "./types.ts";

/** The thumbnail tests/_support/vault.ts makes for a photo of `seed`. */
const thumbOf = (seed: number) =>
  Uint8Array.from({ length: 5000 + seed }, (_, i) => (i * seed) & 255).slice(0, 500);

async function album(count: number) {
  const t = await makeTestApp();
  const owner = await setupFamily(t);
  const deps = vaultDepsFor(t, owner);
  const made = await createAlbum(t, owner);
  for (let seed = 1; seed <= count; seed++) await addPhoto(t, made, owner, seed);
  const { album } = await albumDetail(deps, made.id);
  const keys = await AlbumKeys.open(album, deps.me.x25519SecretKey);
  const photos = (await allPhotos(deps, keys, undefined)).photos;
  return { t, deps, keys, photos };
}

/** The member's fetch, logging each request; `answer` may replace the node's response. */
function logged(
  doFetch: typeof fetch,
  answer?: (method: string, url: string, res: Response) => Response | Promise<Response>,
) {
  const log: string[] = [];
  const f: typeof fetch = async (input, init) => {
    const url = String(input);
    const method = init?.method ?? "GET";
    log.push(
      `${method} ${url.startsWith("/v1/blobs/batch") ? url : url.replace(/\w{64}/, "<id>")}`,
    );
    const res = await doFetch(input, init);
    return answer ? await answer(method, url, res) : res;
  };
  return { log, fetch: f };
}

async function decrypted(url: string | null) {
  return new Uint8Array(await (await fetch(url!)).arrayBuffer());
}

/** Each thumbnail, decrypted, matched to its photo's seed (taken-at order is seed order). */
async function checkAll(dec: PhotoDecryptor, photos: { view: PhotoView }[]) {
  const urls = await Promise.all(photos.map((p) => dec.thumbUrl(p.view)));
  for (const [i, url] of urls.entries()) assert.deepEqual(await decrypted(url), thumbOf(i + 1));
}

Deno.test("PhotoDecryptor fetches the thumbnails asked in one tick in a few batch requests", async () => {
  const { t, deps, keys, photos } = await album(40);
  await using _ = t;
  const net = logged(deps.fetch);
  const dec = new PhotoDecryptor(keys, net.fetch);
  await checkAll(dec, photos);
  // 40 ids, 32 per request: two requests, no single GETs.
  assert.deepEqual(net.log, ["POST /v1/blobs/batch", "POST /v1/blobs/batch"]);
  // Asked again: from memory.
  await checkAll(dec, photos);
  assert.equal(net.log.length, 2);
  dec.dispose();
});

Deno.test("PhotoDecryptor falls back to one GET per thumbnail on a node without the batch route", async () => {
  const { t, deps, keys, photos } = await album(5);
  await using _ = t;
  // An older node: the route does not exist, so the node's own "no route" 404.
  const net = logged(
    deps.fetch,
    (method, url, res) =>
      method === "POST" && url === "/v1/blobs/batch"
        ? Response.json({ error: { code: "not_found", message: `No route for ${url}` } }, {
          status: 404,
        })
        : res,
  );
  const dec = new PhotoDecryptor(keys, net.fetch);
  await checkAll(dec, photos.slice(0, 3));
  await checkAll(dec, photos);
  // One try of the route, then single GETs only, each thumbnail once.
  assert.deepEqual(net.log, ["POST /v1/blobs/batch", ...Array(5).fill("GET /v1/blobs/<id>")]);
  dec.dispose();
});

Deno.test("PhotoDecryptor: a thumbnail the node does not hold fails alone, the others show", async () => {
  const { t, deps, keys, photos } = await album(4);
  await using _ = t;
  // Her photo's thumbnail has not reached this node yet.
  assert.equal(await t.blobs.delete(photos[1].view.thumb!.id), true);
  const dec = new PhotoDecryptor(keys, deps.fetch);
  const got = await Promise.allSettled(photos.map((p) => dec.thumbUrl(p.view)));
  assert.equal(got[1].status, "rejected");
  const err = (got[1] as PromiseRejectedResult).reason;
  assert.ok(err instanceof ApiError && err.status === 404, String(err));
  assert.match(err.message, /does not hold this photo's encrypted file yet/);
  for (const i of [0, 2, 3]) {
    const r = got[i] as PromiseFulfilledResult<string>;
    assert.deepEqual(await decrypted(r.value), thumbOf(i + 1));
  }
  dec.dispose();
});

Deno.test("PhotoDecryptor shows a thumbnail as soon as its frame arrived, before the batch ends", async () => {
  const { t, deps, keys, photos } = await album(3);
  await using _ = t;
  let release!: () => void;
  const held = new Promise<void>((r) => release = r);
  // The node's answer, with everything after the first frame held back until released.
  const net = logged(deps.fetch, async (method, _url, res) => {
    if (method !== "POST") return res;
    const body = new Uint8Array(await res.arrayBuffer());
    const first = 5 + new DataView(body.buffer).getUint32(1);
    return new Response(
      new ReadableStream({
        async start(controller) {
          controller.enqueue(body.slice(0, first));
          await held;
          controller.enqueue(body.slice(first));
          controller.close();
        },
      }),
      { headers: res.headers },
    );
  });
  const dec = new PhotoDecryptor(keys, net.fetch);
  const urls = photos.map((p) => dec.thumbUrl(p.view));
  assert.deepEqual(await decrypted(await urls[0]), thumbOf(1));
  assert.equal(dec.cachedThumb(photos[1].view.id), undefined);
  release();
  for (const [i, url] of urls.entries()) {
    assert.deepEqual(await decrypted(await url), thumbOf(i + 1));
  }
  dec.dispose();
});

Deno.test("PhotoDecryptor skips thumbnails no longer wanted when their turn comes", async () => {
  const { t, deps, keys, photos } = await album(6);
  await using _ = t;
  const net = logged(deps.fetch);
  const dec = new PhotoDecryptor(keys, net.fetch, { concurrency: 2 });
  const got = await Promise.allSettled(
    photos.map((p, i) => dec.thumbUrl(p.view, () => i < 2 || i === 5)),
  );
  assert.deepEqual(got.map((g) => g.status), [
    "fulfilled",
    "fulfilled",
    "rejected",
    "rejected",
    "rejected",
    "fulfilled",
  ]);
  // The two first in one batch; the one still wanted in a batch of its own later.
  assert.deepEqual(net.log, ["POST /v1/blobs/batch", "POST /v1/blobs/batch"]);
  dec.dispose();
});

Deno.test("PhotoDecryptor with batch: false (an album card's cover) fetches with a cacheable GET", async () => {
  const { t, deps, keys, photos } = await album(1);
  await using _ = t;
  const net = logged(deps.fetch);
  const dec = new PhotoDecryptor(keys, net.fetch, { thumbs: 1, batch: false });
  await checkAll(dec, photos);
  assert.deepEqual(net.log, ["GET /v1/blobs/<id>"]);
  dec.dispose();
});
