/**
 * Thumbnails made in the browser before encryption (DESIGN §5: ≤ 720 px, ≤ ~100 KB): decode
 * the image (orientation applied) or grab a frame of a video, scale it down, and encode JPEG,
 * lowering quality and then size until it fits. Browser-only (canvas, createImageBitmap,
 * <video>), except the pure sizing helpers.
 *
 * @module
 */

export const THUMB_MAX_SIDE = 720;
export const THUMB_MAX_BYTES = 100 * 1024;
const QUALITIES = [0.82, 0.72, 0.6, 0.5];

/** What decoding a picked file gave: its thumbnail JPEG (null if undecodable) and size. */
export interface Picture {
  thumb: Uint8Array | null;
  width: number | null;
  height: number | null;
}

/** Scales (w, h) down to fit in max × max, keeping the aspect ratio; never scales up. */
export function fitWithin(w: number, h: number, max: number): [number, number] {
  if (!(w > 0 && h > 0)) throw new RangeError(`Cannot scale an image of ${w}×${h}`);
  const scale = Math.min(1, max / Math.max(w, h));
  return [Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale))];
}

type Source = ImageBitmap | HTMLVideoElement;
type Context2D = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

/** A play mark, so a video's thumbnail says it is a video without decrypting anything else. */
function playMark(g: Context2D, w: number, h: number) {
  const r = Math.max(12, Math.min(w, h) * 0.12);
  const [x, y] = [w / 2, h / 2];
  g.fillStyle = "rgba(0, 0, 0, 0.55)";
  g.beginPath();
  g.arc(x, y, r, 0, Math.PI * 2);
  g.fill();
  g.fillStyle = "#fff";
  g.beginPath();
  g.moveTo(x - r * 0.35, y - r * 0.5);
  g.lineTo(x + r * 0.55, y);
  g.lineTo(x - r * 0.35, y + r * 0.5);
  g.closePath();
  g.fill();
}

async function encodeJpeg(
  source: Source,
  w: number,
  h: number,
  quality: number,
  decorate?: (g: Context2D, w: number, h: number) => void,
): Promise<Blob> {
  if (typeof OffscreenCanvas !== "undefined") {
    const canvas = new OffscreenCanvas(w, h);
    const g = canvas.getContext("2d");
    if (!g) throw new Error("This browser cannot draw thumbnails (no 2D canvas)");
    g.drawImage(source, 0, 0, w, h);
    decorate?.(g, w, h);
    return await canvas.convertToBlob({ type: "image/jpeg", quality });
  }
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const g = canvas.getContext("2d")!;
  g.drawImage(source, 0, 0, w, h);
  decorate?.(g, w, h);
  return await new Promise<Blob>((resolve, reject) =>
    canvas.toBlob(
      (b) => (b ? resolve(b) : reject(new Error("Cannot encode the thumbnail"))),
      "image/jpeg",
      quality,
    )
  );
}

/** JPEG bytes of `source` scaled to fit {@link THUMB_MAX_SIDE}, under {@link THUMB_MAX_BYTES}. */
export async function thumbnailOf(
  source: Source,
  width: number,
  height: number,
  decorate?: (g: Context2D, w: number, h: number) => void,
) {
  let [w, h] = fitWithin(width, height, THUMB_MAX_SIDE);
  for (let round = 0; round < 4; round++) {
    for (const q of QUALITIES) {
      const blob = await encodeJpeg(source, w, h, q, decorate);
      if (blob.size <= THUMB_MAX_BYTES) return new Uint8Array(await blob.arrayBuffer());
    }
    [w, h] = [Math.max(1, Math.round(w * 0.75)), Math.max(1, Math.round(h * 0.75))];
  }
  return null;
}

function once(target: EventTarget, ok: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`Timed out waiting for ${ok}`)), ms);
    const onOk = () => done();
    const onError = () => done(new Error("This browser cannot play this video"));
    const done = (err?: Error) => {
      clearTimeout(timer);
      target.removeEventListener(ok, onOk);
      target.removeEventListener("error", onError);
      if (err) reject(err);
      else resolve();
    };
    target.addEventListener(ok, onOk);
    target.addEventListener("error", onError);
  });
}

async function videoPicture(file: File): Promise<Picture> {
  const url = URL.createObjectURL(file);
  const video = document.createElement("video");
  try {
    video.muted = true;
    video.playsInline = true;
    video.preload = "auto";
    video.src = url;
    await once(video, "loadeddata", 10_000);
    const { videoWidth: width, videoHeight: height } = video;
    if (!width || !height) return { thumb: null, width: null, height: null };
    // A frame a little in: the very first is often black.
    const at = Number.isFinite(video.duration) ? Math.min(1, video.duration / 4) : 0;
    if (at > 0) {
      video.currentTime = at;
      await once(video, "seeked", 5_000);
    }
    return { thumb: await thumbnailOf(video, width, height, playMark), width, height };
  } catch {
    return { thumb: null, width: null, height: null };
  } finally {
    video.removeAttribute("src");
    video.load();
    URL.revokeObjectURL(url);
  }
}

/** Decodes a picked photo or video into its thumbnail and displayed size; null thumb if it cannot. */
export async function makePicture(file: File): Promise<Picture> {
  if (file.type.startsWith("video/")) return await videoPicture(file);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return { thumb: null, width: null, height: null }; // e.g. HEIC where the browser has no decoder
  }
  try {
    return {
      thumb: await thumbnailOf(bitmap, bitmap.width, bitmap.height),
      width: bitmap.width,
      height: bitmap.height,
    };
  } finally {
    bitmap.close();
  }
}
