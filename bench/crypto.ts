/**
 * Benchmark: blob format v1 (docs/FORMAT.md §3–§4) against one-shot WebCrypto AES-256-GCM
 * over the same bytes, in the same run. Browser-compatible (no Deno API in
 * {@link runCryptoBench}), so the lead can run it inside Chromium as well.
 *
 *   deno run bench/crypto.ts [sizeMiB=64]
 *
 * The baseline is the fastest thing the platform offers: one `encrypt` call over the whole
 * buffer with no chunking, no key derivation, no header. The format pays for 64 KiB chunks
 * (one WebCrypto call each), HKDF, the header MAC, and streams; the target ratio is ≥ 0.5.
 *
 * @module
 */

import {
  bufferSource,
  decryptBytes,
  encryptBytes,
  newFileKey,
  randomBytes,
} from "../lib/crypto/mod.ts";

/** One line of the result table; speeds in MiB/s of plaintext. */
export interface CryptoBenchRow {
  operation: string;
  sizeMiB: number;
  baselineMiBps: number;
  formatMiBps: number;
  /** format / baseline: 1.0 means as fast as one-shot WebCrypto. */
  ratio: number;
}

/** Best time of `runs` runs, in ms: the least disturbed by GC and other processes. */
async function best(runs: number, fn: () => Promise<unknown>): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

/** Runs the benchmark on `sizeMiB` MiB of random plaintext; returns the table rows. */
export async function runCryptoBench(sizeMiB = 64, runs = 3): Promise<CryptoBenchRow[]> {
  if (!Number.isInteger(sizeMiB) || sizeMiB < 1) {
    throw new RangeError(`"sizeMiB" expected a positive integer, got ${sizeMiB}`);
  }
  const plaintext = bufferSource(randomBytes(sizeMiB * 1024 * 1024));
  const fileKey = newFileKey();
  const aes = await crypto.subtle.importKey("raw", bufferSource(fileKey), "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  const iv = new Uint8Array(12);

  const oneShotCt = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aes, plaintext),
  );
  const blob = await encryptBytes(fileKey, plaintext); // also a warm-up of both paths
  await decryptBytes(fileKey, blob);

  const baseEnc = await best(
    runs,
    () => crypto.subtle.encrypt({ name: "AES-GCM", iv }, aes, plaintext),
  );
  const baseDec = await best(
    runs,
    () => crypto.subtle.decrypt({ name: "AES-GCM", iv }, aes, oneShotCt),
  );
  const fmtEnc = await best(runs, () => encryptBytes(fileKey, plaintext));
  const fmtDec = await best(runs, async () => {
    const back = await decryptBytes(fileKey, blob);
    if (back.length !== plaintext.length) throw new Error("bench: round trip lost bytes");
  });

  const speed = (ms: number, factor = 1) => (sizeMiB * factor) / (ms / 1000);
  const row = (operation: string, baseMs: number, fmtMs: number, factor = 1): CryptoBenchRow => ({
    operation,
    sizeMiB,
    baselineMiBps: speed(baseMs, factor),
    formatMiBps: speed(fmtMs, factor),
    ratio: baseMs / fmtMs,
  });
  return [
    row("encrypt", baseEnc, fmtEnc),
    row("decrypt", baseDec, fmtDec),
    row("encrypt + decrypt", baseEnc + baseDec, fmtEnc + fmtDec, 2),
  ];
}

/** Formats rows as a markdown table. */
export function formatCryptoBench(rows: CryptoBenchRow[]): string {
  const lines = [
    "| operation | size | one-shot WebCrypto AES-GCM (MiB/s) | p2pos blob v1 (MiB/s) | ratio |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.operation} | ${r.sizeMiB} MiB | ${r.baselineMiBps.toFixed(0)} | ` +
        `${r.formatMiBps.toFixed(0)} | ${r.ratio.toFixed(2)} |`,
    );
  }
  return lines.join("\n");
}

if ((import.meta as { main?: boolean }).main) {
  const arg = (globalThis as { Deno?: { args: string[] } }).Deno?.args[0];
  console.log(formatCryptoBench(await runCryptoBench(arg ? Number(arg) : 64)));
}
