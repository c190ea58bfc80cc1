/**
 * Thumbnails as the album page and the timeline show them (issue #16 §3, §4), with one of them
 * damaged on its way from the node: that tile says so, the others show their own photo, in
 * taken-at order on the album page and newest first on the timeline.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { FRAME_BYTES, FRAME_HEADER_BYTES } from "../../lib/core/blob_batch.ts";
import { rigTest } from "../_support/rig.ts";
import { setUpFamily, waitHydrated } from "./_flows.ts";
import { createAlbum, PHOTO_DIR, readTiles, waitUploadsSettled } from "./_vault_flows.ts";
import { PHOTOS, takenAtMs } from "./fixtures/photos.ts";

rigTest(
  "A thumbnail damaged in transit shows its error state, not a blank, and the others their own photo in order",
  async (rig) => {
    const node = await rig.node();
    const page = await rig.page(await rig.browser(), 20_000);
    const errors = rig.errorsOf(page);
    await setUpFamily(page, node.url, node.setupCode!, { family: "The Rivers", me: "Ada" });
    const albumId = await createAlbum(page, node.url, "Harbour days");
    await page.setInputFiles(
      "#upload-input",
      PHOTOS.map((p) => new URL(p.file, PHOTO_DIR).pathname),
    );
    assert.match(await waitUploadsSettled(page), /^4 added$/);

    // The second oldest photo's thumbnail: one bit of its last byte (its final chunk's tag) is
    // flipped in every batch answer that carries it, as a faulty disk or proxy would.
    const res = await page.request.get(`${node.url}/v1/albums/${albumId}/photos`);
    const listed: { id: string; thumb: { id: string } }[] = (await res.json()).photos;
    assert.equal(listed.length, 4);
    const byTaken = [...PHOTOS].sort((a, b) => takenAtMs(a) - takenAtMs(b));
    await page.goto(`${node.url}/albums/${albumId}`);
    const order = (await readTiles(page, 4)).map((t) => t.id);
    const victim = listed.find((p) => p.id === order[1])!;
    let damaged = 0;
    await page.route("**/v1/blobs/batch", async (route) => {
      const ids: string[] = JSON.parse(route.request().postData()!).ids;
      const answer = await route.fetch();
      const body = new Uint8Array(await answer.body());
      let at = 0;
      for (const id of ids) {
        const length = new DataView(body.buffer, body.byteOffset + at + 1, 4).getUint32(0);
        if (id === victim.thumb.id && body[at] === FRAME_BYTES) {
          body[at + FRAME_HEADER_BYTES + length - 1] ^= 1;
          damaged++;
        }
        at += FRAME_HEADER_BYTES + length;
      }
      await route.fulfill({ response: answer, body: Buffer.from(body) });
    });

    const check = async (newestFirst: boolean) => {
      const failed = page.locator(`.photo-tile[data-photo="${victim.id}"]`);
      await failed.getByText("Could not decrypt the preview").waitFor();
      assert.equal(await failed.locator("img").count(), 0, "no image, not even a blank one");
      const shown = await readTiles(page, 3);
      const expected = byTaken.filter((_, i) => i !== 1).map(takenAtMs);
      assert.deepEqual(shown.map((t) => t.taken), newestFirst ? expected.reverse() : expected);
      assert.ok(!shown.some((t) => t.id === victim.id));
      for (const t of shown) assert.ok(t.spread > 5, `tile ${t.id} has real pixels`);
    };
    await page.reload();
    await waitHydrated(page, "AlbumPage");
    await check(false);
    const onAlbumPage = damaged;
    assert.ok(onAlbumPage >= 1, "the damaged thumbnail was asked for");

    await page.goto(`${node.url}/photos`);
    await waitHydrated(page, "Timeline");
    await check(true);
    assert.ok(damaged > onAlbumPage, "and asked for again by the timeline");
    assert.deepEqual(errors, []);
  },
);
