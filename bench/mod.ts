/**
 * `deno task bench`: runs every benchmark in turn and prints its table. Each benchmark can
 * also be run on its own (see its header); results are recorded in docs/BENCHMARKS.md.
 *
 *   deno task bench [name…]     names: blob_put, crypto, crypto_browser, album_page, … (default: all)
 *
 * A new benchmark adds an entry to BENCHES.
 *
 * @module
 */

interface Bench {
  name: string;
  title: string;
  run(): Promise<string>;
}

const BENCHES: Bench[] = [
  {
    name: "blob_put",
    title: "Blob upload over HTTP vs raw disk writes",
    async run() {
      const { runBlobPutBench, formatTable } = await import("./blob_put.ts");
      return formatTable(await runBlobPutBench({ store: true }));
    },
  },
  {
    name: "crypto",
    title: "Blob format in Deno vs one-shot AES-GCM",
    async run() {
      const { runCryptoBench, formatCryptoBench } = await import("./crypto.ts");
      return formatCryptoBench(await runCryptoBench(64));
    },
  },
  {
    name: "crypto_browser",
    title: "Blob format in Chromium vs one-shot AES-GCM",
    async run() {
      const { runCryptoBenchInChromium } = await import("./crypto_browser.ts");
      const { formatCryptoBench } = await import("./crypto.ts");
      const { rows, userAgent } = await runCryptoBenchInChromium(64);
      return `${userAgent}\n\n${formatCryptoBench(rows)}`;
    },
  },
  {
    name: "sign_in",
    title: "Sign-in with the 24 words on a new device: where the time goes",
    async run() {
      const { runSignInBench, formatSignInBench } = await import("./sign_in.ts");
      return formatSignInBench(await runSignInBench());
    },
  },
  {
    name: "timeline",
    title: "The timeline at 10,000 photos in 20 albums: Chromium time to 60 thumbnails",
    async run() {
      const { runTimelineBench, formatTimelineBench } = await import("./timeline.ts");
      return formatTimelineBench(await runTimelineBench());
    },
  },
  {
    name: "album_page",
    title: "A 10,000-photo album: node time vs /health, Chromium time to 60 thumbnails",
    async run() {
      const { runAlbumPageBench, formatAlbumBench } = await import("./album_page.ts");
      return formatAlbumBench(await runAlbumPageBench());
    },
  },
  {
    name: "photo_admission",
    title: "Admitting a photo from a peer: upload receipts vs the record's signature",
    async run() {
      const { runPhotoAdmissionBench, formatAdmissionBench } = await import(
        "./photo_admission.ts"
      );
      return formatAdmissionBench(await runPhotoAdmissionBench(300), 300);
    },
  },
  {
    name: "s3_replication",
    title: "Replication into an S3-backed node beside a filesystem-backed one",
    async run() {
      const { runS3ReplicationBench } = await import("./s3_replication.ts");
      return await runS3ReplicationBench(2);
    },
  },
  {
    name: "replication",
    title: "Replication between nodes vs Syncthing; catch-up; peak RSS",
    async run() {
      const { runTransferBench, runCatchupBench, runRssBench } = await import("./replication.ts");
      return [
        await runTransferBench(2),
        await runCatchupBench(1000),
        await runRssBench(1024),
      ].join("\n\n");
    },
  },
  {
    name: "webrtc",
    title: "Replication over WebRTC data channels (direct, through coturn) beside HTTP",
    async run() {
      const { runWebrtcBench } = await import("./webrtc.ts");
      return await runWebrtcBench(3, ["http", "direct-1", "direct-2w", "turn-1"]);
    },
  },
  {
    name: "relay",
    title: "The signaling relay under load: one instance against two on NATS",
    async run() {
      const { runRelayLoadBench } = await import("./relay_load.ts");
      return await runRelayLoadBench({
        conns: 5000,
        seconds: 10,
        window: 400,
        rate: 200,
        rounds: 2,
      });
    },
  },
];

if (import.meta.main) {
  const wanted = Deno.args.length ? new Set(Deno.args) : undefined;
  const unknown = [...(wanted ?? [])].filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length) {
    console.error(
      `Unknown benchmark(s): ${unknown.join(", ")}; known: ${
        BENCHES.map((b) => b.name).join(", ")
      }`,
    );
    Deno.exit(64);
  }
  for (const b of BENCHES) {
    if (wanted && !wanted.has(b.name)) continue;
    console.log(`\n## ${b.title} (${b.name})\n`);
    console.log(await b.run());
  }
}
