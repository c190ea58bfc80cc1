/**
 * A QR code as an `<img>` of an SVG data URL: no inline styles (the CSP allows `data:` images
 * but no inline style), and crisp at any size. Browser-compatible: uqr is pure JS.
 *
 * @module
 */

import { base64 } from "@scure/base";
import { renderSVG } from "uqr";

/** `data:image/svg+xml;base64,…` of the QR code of `text`. */
export function qrDataUrl(text: string): string {
  const svg = renderSVG(text, { ecc: "M", border: 2, pixelSize: 8 });
  return `data:image/svg+xml;base64,${base64.encode(new TextEncoder().encode(svg))}`;
}

export function QrCode({ text, label }: { text: string; label: string }) {
  return <img class="qr" src={qrDataUrl(text)} alt={label} width={220} height={220} />;
}
