import assert from "node:assert/strict";
import { setupFamily } from "../../../../tests/_support/family.ts";
import { makeTestApp } from "../../../../tests/_support/test_app.ts";
import { addPhoto, createAlbum } from "../../../../tests/_support/vault.ts";
import { vaultDepsFor } from "../../../../tests/_support/vault_client.ts";
import { readZip } from "../../../../tests/_support/zip_reader.ts";
import { AlbumKeys } from "./album_keys.ts";
import { allPhotos } from "./album_photos.ts";
import { albumDetail } from "./albums.ts";
import { downloadedAlbums, forgetDownloads, markDownloaded } from "./download_state.ts";
import { PhotoDecryptor } from "./photo_library.ts";
import { albumZip, uniqueName, zipName, type ZipProgress } from "./zip_download.ts";

Deno.test("Zip names: unique per zip whatever the case, and album names safe as file names", () => {
  const used = new Set<string>();
  assert.equal(uniqueName("IMG_1.jpg", used), "IMG_1.jpg");
  assert.equal(uniqueName("img_1.JPG", used), "img_1 (2).JPG");
  assert.equal(uniqueName("IMG_1.jpg", used), "IMG_1 (3).jpg");
  assert.equal(uniqueName("README", used), "README");
  assert.equal(zipName('Summer: "best" of 2026/27?'), "Summer_ _best_ of 2026_27_.zip");
  assert.equal(zipName(""), "album.zip");
});

Deno.test("An album's zip holds every original, decrypted, under its name, in order", async () => {
  await using t = await makeTestApp();
  const owner = await setupFamily(t);
  const album = await createAlbum(t, owner);
  await addPhoto(t, album, owner, 2);
  await addPhoto(t, album, owner, 1);
  const deps = vaultDepsFor(t, owner);
  const keys = await AlbumKeys.open(
    (await albumDetail(deps, album.id)).album,
    deps.me.x25519SecretKey,
  );
  const { photos } = await allPhotos(deps, keys, undefined);
  const progress: ZipProgress[] = [];
  const zip = albumZip(new PhotoDecryptor(keys, deps.fetch), photos, {
    onProgress: (p) => progress.push(p),
  });
  const bytes = new Uint8Array(await new Response(zip.stream).arrayBuffer());
  await zip.done;
  const entries = readZip(bytes);
  // tests/_support/vault.ts: seed n makes "p<n>.jpg" of 5000 + n bytes, taken at base + n.
  assert.deepEqual(entries.map((e) => e.name), ["p1.jpg", "p2.jpg"]);
  for (const [i, seed] of [1, 2].entries()) {
    const plain = Uint8Array.from({ length: 5000 + seed }, (_, k) => (k * seed) & 255);
    assert.deepEqual(entries[i].bytes, plain);
  }
  const last = progress.at(-1)!;
  assert.deepEqual(last, { files: 2, totalFiles: 2, bytes: 10003, totalBytes: 10003 });
});

Deno.test("A damaged original fails the zip instead of writing a wrong file", async () => {
  await using t = await makeTestApp();
  const owner = await setupFamily(t);
  const album = await createAlbum(t, owner);
  const photo = await addPhoto(t, album, owner, 3);
  const deps = vaultDepsFor(t, owner);
  const keys = await AlbumKeys.open(
    (await albumDetail(deps, album.id)).album,
    deps.me.x25519SecretKey,
  );
  const { photos } = await allPhotos(deps, keys, undefined);
  // The node hands back a flipped byte in the original's last chunk.
  const tampered: typeof fetch = async (input, init) => {
    const res = await deps.fetch(input, init);
    if (!String(input).endsWith(photo.original)) return res;
    const b = new Uint8Array(await res.arrayBuffer());
    b[b.length - 5] ^= 1;
    return new Response(b);
  };
  const zip = albumZip(new PhotoDecryptor(keys, tampered), photos);
  await assert.rejects(new Response(zip.stream).arrayBuffer());
  await assert.rejects(zip.done);
});

Deno.test("Downloaded albums are remembered per member, and can be forgotten", () => {
  const store = new Map<string, string>();
  const storage = {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => void store.set(k, v),
    removeItem: (k: string) => void store.delete(k),
  };
  markDownloaded("ada", "A1", { photos: 3, at: 10 }, storage);
  markDownloaded("ada", "A2", { photos: 5, at: 20 }, storage);
  assert.deepEqual(Object.keys(downloadedAlbums("ada", storage)), ["A1", "A2"]);
  assert.deepEqual(downloadedAlbums("ben", storage), {});
  forgetDownloads("ada", storage);
  assert.deepEqual(downloadedAlbums("ada", storage), {});
  store.set("p2pos:downloaded:ada", "not json");
  assert.deepEqual(downloadedAlbums("ada", storage), {});
});
