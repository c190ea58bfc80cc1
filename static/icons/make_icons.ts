/**
 * Draws the app icons of the web app manifest from static/favicon.svg with Chromium:
 * `deno run -A static/icons/make_icons.ts`. The PNGs are committed; rerun after changing the SVG.
 * "maskable" icons keep the picture inside the safe zone (80 %) on a full-bleed background.
 */

import { launchBrowser } from "../../tests/_support/browser.ts";

const SVG = await Deno.readTextFile(new URL("../favicon.svg", import.meta.url));
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  for (
    const [name, size, maskable] of [
      ["icon-192.png", 192, false],
      ["icon-512.png", 512, false],
      ["maskable-512.png", 512, true],
    ] as const
  ) {
    await page.setViewportSize({ width: size, height: size });
    const inner = maskable ? Math.round(size * 0.8) : size;
    await page.setContent(
      `<html><body style="margin:0;background:${maskable ? "#1f8a66" : "transparent"};` +
        `display:grid;place-items:center;width:${size}px;height:${size}px">` +
        `<img src="data:image/svg+xml;base64,${btoa(SVG)}" width="${inner}" height="${inner}">` +
        `</body></html>`,
    );
    await page.locator("img").evaluate((img: HTMLImageElement) => img.decode());
    await page.screenshot({
      path: new URL(name, import.meta.url).pathname,
      omitBackground: !maskable,
    });
    console.log(`static/icons/${name}: ${size}×${size}`);
  }
} finally {
  await browser.close();
}
