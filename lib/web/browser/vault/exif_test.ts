import assert from "node:assert/strict";
import { cameraName, readExif } from "./exif.ts";
import { PHOTOS, takenAtMs } from "../../../../tests/e2e/fixtures/photos.ts";

const dir = new URL("../../../../tests/e2e/fixtures/photos/", import.meta.url);

Deno.test("readExif() finds taken-at, camera, orientation and place in the fixture photos", async () => {
  for (const p of PHOTOS) {
    const exif = await readExif(await Deno.readFile(new URL(p.file, dir)));
    assert.equal(exif.takenAt, takenAtMs(p), p.file);
    assert.equal(exif.camera, p.camera, p.file);
    assert.equal(exif.orientation, p.exif.orientation, p.file);
    if (p.exif.gps) {
      assert.ok(Math.abs(exif.gps!.lat - p.exif.gps.lat) < 1e-4, p.file);
      assert.ok(Math.abs(exif.gps!.lon - p.exif.gps.lon) < 1e-4, p.file);
    } else {
      assert.equal(exif.gps, null, p.file);
    }
  }
});

Deno.test("readExif() reads a file without EXIF, or not an image at all, as nothing", async () => {
  const blank = await readExif(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]));
  assert.equal(blank.takenAt, null);
  assert.equal(blank.camera, null);
  const text = await readExif(new TextEncoder().encode("hello, not a photo"));
  assert.equal(text.gps, null);
});

Deno.test("cameraName() does not repeat the maker when the model already names it", () => {
  assert.equal(cameraName("Canon", "Canon EOS R5"), "Canon EOS R5");
  assert.equal(cameraName("FUJIFILM", "X-T3"), "FUJIFILM X-T3");
  assert.equal(cameraName("NIKON CORPORATION", "NIKON D750"), "NIKON D750");
  assert.equal(cameraName(undefined, "Pixel 7"), "Pixel 7");
  assert.equal(cameraName("", ""), null);
});
