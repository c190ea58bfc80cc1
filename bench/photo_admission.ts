/**
 * Benchmark: what admitting a photo record from a peer costs a node (issue #10 §2: every node
 * checks the upload receipt of each blob a new photo names), against what every record costs
 * in the same run: its envelope signature check. In process, on a real SQLite file.
 *
 *   deno run -A bench/photo_admission.ts [--photos 300] [--rounds 3]
 *
 * Rows, per photo record (best of the rounds): the record's own signature (`verifyRecord`,
 * the baseline every record pays), its three upload receipts (`checkUploadReceipt`), and the
 * whole admission by a fresh node (`applyFromPeer`: both, the schema, authorization, the
 * write). Receipts are real: the photos' blobs are uploaded through the API.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fromBase64Url, verifyRecord } from "../lib/crypto/mod.ts";
import { applyFromPeer } from "../lib/replication/record_apply.ts";
import type { PhotoBody } from "../lib/vault/album_kinds.ts";
import { checkUploadReceipt } from "../lib/vault/upload_receipt.ts";
import { setupFamily } from "../tests/_support/family.ts";
import { makeTestApp } from "../tests/_support/test_app.ts";
import { addPhoto, createAlbum } from "../tests/_support/vault.ts";

export interface AdmissionRow {
  step: string;
  msPerPhoto: number;
  vsBaseline: number;
}

export async function runPhotoAdmissionBench(photos = 300, rounds = 3): Promise<AdmissionRow[]> {
  await using oak = await makeTestApp();
  const alice = await setupFamily(oak);
  const album = await createAlbum(oak, alice);
  for (let i = 0; i < photos; i++) await addPhoto(oak, album, alice, i + 1);
  const feed = oak.records.feed(0, 100_000).records;
  const photoRecords = feed.filter((r) => r.kind === "photo");
  const trust = feed.filter((r) => r.kind !== "photo");

  const best = async (fn: () => void | Promise<void>) => {
    let min = Infinity;
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      await fn();
      min = Math.min(min, performance.now() - t0);
    }
    return min / photoRecords.length;
  };
  const signature = await best(() => {
    for (const r of photoRecords) verifyRecord(r, fromBase64Url(r.author));
  });
  const receipts = await best(() => {
    for (const r of photoRecords) {
      const b = r.body as PhotoBody;
      for (const ref of [b.original, b.thumb!, b.meta]) {
        checkUploadReceipt(oak.records, b.uploader, ref, { via: "peer", nodeId: "OAK" }, "x");
      }
    }
  });
  const admission = await best(async () => {
    await using pine = await makeTestApp();
    applyFromPeer(pine.db, pine.records, trust, oak.nodeKey.nodeId, Date.now());
    const out = applyFromPeer(pine.db, pine.records, photoRecords, oak.nodeKey.nodeId, Date.now());
    if (out.stored !== photoRecords.length) throw new Error(`stored ${out.stored}`);
  });
  const row = (step: string, ms: number) => ({
    step,
    msPerPhoto: ms,
    vsBaseline: ms / signature,
  });
  return [
    row("record signature (baseline)", signature),
    row("3 upload receipts", receipts),
    row("whole admission from a peer", admission),
  ];
}

export function formatAdmissionBench(rows: AdmissionRow[], photos: number): string {
  return [
    `${photos} photo records, each naming 3 blobs; best of the rounds, per photo record`,
    "",
    "| step | ms per photo | × baseline |",
    "| --- | ---: | ---: |",
    ...rows.map((r) => `| ${r.step} | ${r.msPerPhoto.toFixed(2)} | ${r.vsBaseline.toFixed(1)} |`),
  ].join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { photos: { type: "string" }, rounds: { type: "string" } },
  });
  const photos = Number(values.photos ?? 300);
  console.log(
    formatAdmissionBench(
      await runPhotoAdmissionBench(photos, Number(values.rounds ?? 3)),
      photos,
    ),
  );
}
