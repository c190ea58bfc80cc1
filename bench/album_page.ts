/**
 * A 10,000-photo album (issue: the vault): how fast the node serves it, against `/health` in the
 * same run, and how long Chromium takes to show its first 60 decrypted thumbnails.
 *
 *   deno run -A bench/album_page.ts [--photos 10000] [--seconds 8] [--connections 8] [--no-browser]
 *                                   [--rounds 1] [--against DIR]
 *
 * A node is spawned from main.ts with a fresh data dir; a family and an album are made through
 * the API with real signatures, exactly as a browser makes them. Blobs are real and encrypted
 * (a 720 × 540 JPEG thumbnail of about 60 KB drawn by Chromium, as the uploader makes them, its
 * original and its metadata); to keep setting up quick, only the
 * first 200 photos in taken-at order (those the page shows first) have blobs of their own, and
 * the other photos share 20 sets of blobs. Every photo record still has its own wrapped file
 * key, sort value and dedup value.
 *
 * Rows: "sequential" sends one request at a time (Deno fetch, keep-alive) and reports latency
 * percentiles — on loopback, essentially the node's time; "wrk" keeps `--connections` requests in
 * flight for `--seconds` and reports requests/s and latency, `vs /health` being the ratio of
 * requests/s. The node, wrk and Deno share this machine's cores.
 *
 * Chromium rows: the album without an index once, then `--rounds` rounds of the indexed album
 * with thumbnails batched (`POST /v1/blobs/batch`) and with one GET each (the batch route
 * answered 404 as by an older node), in a fresh profile each, so the two are compared in the
 * same run. "thumbnails after first photos" is the thumbnail phase alone.
 *
 * `--against DIR` compares two versions of the page in the same run instead: DIR is another
 * checkout (e.g. `git archive main | tar -x -C /tmp/main`) whose main.ts serves a copy of the
 * same data dir beside this checkout's node, and each round visits both (batched), alternating
 * which goes first, so the machine's load hits both alike.
 */

import { parseArgs } from "node:util";
import {
  blobId,
  encryptBytes,
  encryptMetadata,
  fromBase64Url,
  newFileKey,
  seedToMnemonic,
  signRecord,
  toBase64Url,
  toHex,
  wrapKey,
} from "../lib/crypto/mod.ts";
import { HybridClock } from "../lib/core/hlc.ts";
import { type NodeProcess, startNode } from "../tests/_support/node_process.ts";
import { postJson, type RemoteMember, setupRemoteFamily } from "../tests/_support/remote_family.ts";
import { launchBrowser } from "../tests/_support/browser.ts";
import type { BrowserContext } from "playwright-core";
import { api } from "../lib/web/browser/api.ts";
import { AlbumKeys } from "../lib/web/browser/vault/album_keys.ts";
import { writeAlbumIndex } from "../lib/web/browser/vault/album_index.ts";
import type { VaultDeps } from "../lib/web/browser/vault/client.ts";
import type { AlbumDoc } from "../lib/web/browser/vault/types.ts";
import { encodeTakenAt } from "../lib/web/browser/vault/photo_crypto.ts";

export interface AlbumBenchOptions {
  /** @default 10_000 */
  photos?: number;
  /** wrk duration per endpoint. @default 8 */
  seconds?: number;
  /** wrk connections. @default 8 */
  connections?: number;
  /** Measure Chromium's time to the first thumbnails. @default true */
  browser?: boolean;
  /** Rounds of the indexed album's visits, batched and with single GETs. @default 1 */
  rounds?: number;
  /** Another checkout to compare with in the same run (batched only). */
  against?: string;
}

export interface LatencyRow {
  name: string;
  path: string;
  requests: number;
  p50: number;
  p99: number;
  bytes: number;
}

export interface WrkRow {
  name: string;
  rps: number;
  p50: number;
  p99: number;
}

export interface BrowserRow {
  visit: string;
  keys: number;
  /** The first photos shown from the album index (NaN without one). */
  first: number;
  listed: number;
  ordered: number;
  first60: number;
}

export interface AlbumBenchResult {
  photos: number;
  setupSeconds: number;
  /** Size of one encrypted thumbnail. */
  thumbBytes: number;
  latency: LatencyRow[];
  wrk: WrkRow[];
  browser: BrowserRow[];
  connections: number;
  seconds: number;
}

/** Photos with blobs of their own (the first in taken-at order), then shared sets. */
const OWN = 200;
const SHARED = 20;
const clock = new HybridClock();

function sign(owner: RemoteMember, kind: string, id: string, body: unknown) {
  clock.observe(owner.follows.hlc);
  return signRecord(
    {
      v: 2 as const,
      kind,
      id,
      author: owner.key,
      hlc: clock.next(),
      prev: owner.follows.prev,
      body,
    },
    owner.signingSecretKey,
  );
}

function randomId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
}

/** `count` thumbnails as the uploader makes them: 720 × 540 JPEGs, drawn and encoded by Chromium. */
async function makeThumbnails(count: number): Promise<Uint8Array[]> {
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    const encoded = await page.evaluate(async (n) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const canvas = new OffscreenCanvas(720, 540);
        const g = canvas.getContext("2d")!;
        const sky = g.createLinearGradient(0, 0, 0, 540);
        sky.addColorStop(0, `hsl(${(i * 47) % 360} 70% 70%)`);
        sky.addColorStop(1, `hsl(${(i * 47 + 60) % 360} 60% 30%)`);
        g.fillStyle = sky;
        g.fillRect(0, 0, 720, 540);
        // Film grain, so the JPEG is as large as a photo's thumbnail, not a flat drawing's.
        const img = g.getImageData(0, 0, 720, 540);
        for (let p = 0; p < img.data.length; p += 4) {
          const d = (Math.random() - 0.5) * 28;
          img.data[p] += d;
          img.data[p + 1] += d;
          img.data[p + 2] += d;
        }
        g.putImageData(img, 0, 0);
        const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.72 });
        const bytes = new Uint8Array(await blob.arrayBuffer());
        let s = "";
        for (const b of bytes) s += String.fromCharCode(b);
        out.push(btoa(s));
      }
      return out;
    }, count);
    return encoded.map((b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
  } finally {
    await browser.close();
  }
}

async function putBlob(url: string, cookie: string, bytes: Uint8Array) {
  const id = await blobId(bytes);
  const res = await fetch(`${url}/v1/blobs/${id}`, {
    method: "PUT",
    headers: { cookie },
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  if (res.status >= 300) throw new Error(`PUT blob failed: ${res.status}`);
  // A photo names only its uploader's own blobs, each with the node's receipt.
  const { receipt } = await res.json();
  return { id, size: bytes.length, receipt };
}

/** An album owned by `owner`, made through the API as the browser makes it; its key. */
export async function makeAlbum(url: string, owner: RemoteMember, name: string) {
  const albumKey = newFileKey();
  const albumId = randomId();
  const doc: AlbumDoc = {
    v: 1,
    name,
    dedupKey: toBase64Url(newFileKey()),
    createdAt: Date.now(),
    keys: {},
  };
  const album = sign(owner, "album", albumId, {
    owner: owner.key,
    epoch: 0,
    meta: toBase64Url(await encryptMetadata(doc, albumKey)),
    cover: null,
    trashedAt: null,
  });
  const grant = sign(owner, "grant", `${albumId}.${owner.key}`, {
    album: albumId,
    member: owner.key,
    role: "owner",
    epoch: 0,
    wrapped: toBase64Url(await wrapKey(albumKey, fromBase64Url(owner.x25519))),
    revoked: false,
  });
  const made = await postJson(`${url}/v1/albums`, { records: [album, grant] }, owner.cookie);
  if (made.status !== 201) throw new Error(`Album failed: ${made.status} ${await made.text()}`);
  return { albumId, albumKey, doc };
}

/** Encrypted blob sets (original, thumbnail, metadata) uploaded once and shared by photos. */
export async function makeBlobSets(url: string, owner: RemoteMember, count = OWN + SHARED) {
  const jpegs = await makeThumbnails(8);
  const sets = [];
  for (let s = 0; s < count; s++) {
    const fileKey = newFileKey();
    const thumb = jpegs[s % jpegs.length];
    const meta = {
      v: 1,
      filename: `IMG_${String(s).padStart(4, "0")}.jpg`,
      type: "image/jpeg",
      size: thumb.length,
      takenAt: 0,
      gps: null,
      orientation: 1,
      camera: "Bench Camera",
      width: 720,
      height: 540,
    };
    sets.push({
      fileKey,
      original: await putBlob(url, owner.cookie, await encryptBytes(fileKey, thumb)),
      thumb: await putBlob(url, owner.cookie, await encryptBytes(fileKey, thumb)),
      meta: await putBlob(url, owner.cookie, await encryptMetadata(meta, fileKey)),
    });
  }
  return sets;
}

export type BlobSet = Awaited<ReturnType<typeof makeBlobSets>>[number];

/**
 * Adds photos to a new album: photo `j` is taken at `takenAt(j)` and uses blob set `setOf(j)`;
 * with `index`, the album index is written afterwards, as the uploader's browser does.
 */
export async function fillAlbum(
  url: string,
  owner: RemoteMember,
  name: string,
  count: number,
  photo: { takenAt: (j: number) => number; set: (j: number) => BlobSet },
  index: boolean,
): Promise<string> {
  const { albumId, albumKey, doc } = await makeAlbum(url, owner, name);
  const entries: { id: string; takenAt: number }[] = [];
  for (let i = 0; i < count; i += 200) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 200); j++) {
      const set = photo.set(j);
      const takenAt = photo.takenAt(j);
      const id = randomId();
      entries.push({ id, takenAt });
      batch.push(sign(owner, "photo", id, {
        album: albumId,
        uploader: owner.key,
        epoch: 0,
        key: toBase64Url(await encryptBytes(albumKey, set.fileKey)),
        original: set.original,
        thumb: set.thumb,
        meta: set.meta,
        sort: toBase64Url(await encryptBytes(albumKey, encodeTakenAt(takenAt))),
        dedup: toHex(crypto.getRandomValues(new Uint8Array(32))),
      }));
    }
    const res = await postJson(`${url}/v1/photos`, { records: batch }, owner.cookie);
    if (res.status !== 201) throw new Error(`Photos failed: ${res.status} ${await res.text()}`);
    await res.body?.cancel();
  }
  if (index) {
    const deps = benchVaultDeps(url, owner);
    await writeAlbumIndex(deps, new AlbumKeys(albumId, 0, albumKey, doc), entries);
  }
  return albumId;
}

/**
 * Makes the family and two albums of `count` photos each: "indexed", whose uploader wrote the
 * album index (FORMAT §12.5) as the browser does after an upload, and (unless `plain` is false)
 * "plain", without one (as albums made before the index existed), the baseline of the same run.
 */
export async function populate(url: string, setupCode: string, count: number, plain = true) {
  const owner = await setupRemoteFamily(url, setupCode, { family: "Bench", founder: "Ada" });
  const sets = await makeBlobSets(url, owner);
  const base = Date.UTC(2020, 0, 1);
  const photo = {
    takenAt: (j: number) => base + j * 3_600_000,
    set: (j: number) => sets[j < OWN ? j : OWN + (j % SHARED)],
  };
  return {
    owner,
    albums: {
      indexed: await fillAlbum(url, owner, "Ten thousand, indexed", count, photo, true),
      plain: plain
        ? await fillAlbum(url, owner, "Ten thousand, plain", count, photo, false)
        : undefined,
    },
  };
}

/** Just enough of the browser's vault deps for writing an index from Deno. */
function benchVaultDeps(url: string, owner: RemoteMember): VaultDeps {
  const doFetch: typeof fetch = (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set("cookie", owner.cookie);
    return fetch(url + String(input), { ...init, headers });
  };
  return {
    call: (method, path, body) => api(method, path, body, { fetch: doFetch }),
    fetch: doFetch,
    // deno-lint-ignore require-await
    sign: async (kind, id, body) => sign(owner, kind, id, body) as never,
    me: {
      key: owner.key,
      x25519PublicKey: fromBase64Url(owner.x25519),
      x25519SecretKey: owner.x25519SecretKey,
    },
    now: () => Date.now(),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** One request at a time, endpoints interleaved so drift hits every row alike. */
async function sequential(
  url: string,
  cookie: string,
  targets: { name: string; path: string }[],
  rounds: number,
): Promise<LatencyRow[]> {
  const times = targets.map(() => [] as number[]);
  const sizes = targets.map(() => 0);
  for (let r = -20; r < rounds; r++) {
    for (const [i, t] of targets.entries()) {
      const start = performance.now();
      const res = await fetch(url + t.path, { headers: { cookie, accept: "text/html,*/*" } });
      const body = await res.arrayBuffer();
      const ms = performance.now() - start;
      if (res.status !== 200) throw new Error(`${t.path}: HTTP ${res.status}`);
      if (r >= 0) times[i].push(ms);
      sizes[i] = body.byteLength;
    }
  }
  return targets.map((t, i) => {
    const sorted = times[i].sort((a, b) => a - b);
    return {
      ...t,
      requests: sorted.length,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      bytes: sizes[i],
    };
  });
}

function wrkMs(text: string, label: string): number {
  const m = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(text);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
}

async function wrk(
  url: string,
  cookie: string,
  t: { name: string; path: string },
  seconds: number,
  connections: number,
): Promise<WrkRow> {
  const out = await new Deno.Command("wrk", {
    args: [
      "-t2",
      `-c${connections}`,
      `-d${seconds}s`,
      "--latency",
      "-H",
      `Cookie: ${cookie}`,
      url + t.path,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success || /Non-2xx/.test(text)) throw new Error(`wrk failed on ${t.path}:\n${text}`);
  return {
    name: t.name,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN),
    p50: wrkMs(text, "50%"),
    p99: wrkMs(text, "99%"),
  };
}

async function hasWrk(): Promise<boolean> {
  try {
    return (await new Deno.Command("wrk", { args: ["-v"], stdout: "null", stderr: "null" })
      .output()).code !== 127;
  } catch {
    return false;
  }
}

/** Waits until the album has all 16 index shards (the page writes them in the background). */
async function waitForIndex(url: string, cookie: string, albumId: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/v1/albums/${albumId}/index`, { headers: { cookie } });
    if ((await res.json()).shards?.length === 16) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("The album page did not write the album index within 2 minutes");
}

/**
 * Makes `POST /v1/blobs/batch` answer as a node older than the route (PROTOCOL §9): the page
 * falls back to one GET per thumbnail, which is how every page fetched them before.
 */
export async function refuseBlobBatch(context: BrowserContext): Promise<void> {
  await context.route("**/v1/blobs/batch", (route) =>
    route.fulfill({
      status: 404,
      contentType: "application/json",
      body: JSON.stringify({
        error: { code: "not_found", message: "No route for /v1/blobs/batch" },
      }),
    }));
}

/**
 * Signs in with the words in a fresh Chromium (empty HTTP cache), opens the album, reloads it.
 * For an album without an index, the reload waits until the first visit's page wrote one.
 */
async function browserTimes(
  url: string,
  owner: RemoteMember,
  albumId: string,
  label: string,
  single = false,
): Promise<BrowserRow[]> {
  const browser = await launchBrowser();
  try {
    if (single) await refuseBlobBatch(browser.context);
    const page = await browser.context.newPage();
    page.setDefaultTimeout(120_000);
    await page.setViewportSize({ width: 1280, height: 2000 });
    await page.goto(url + "/");
    await page.waitForSelector('[data-island="SignIn"][data-hydrated="true"]');
    await page.fill("#recovery-words", seedToMnemonic(owner.seed));
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Hello, Ada" }).waitFor();
    const rows: BrowserRow[] = [];
    for (const visit of ["first visit", "reload (HTTP cache warm)"]) {
      if (visit !== "first visit") {
        await waitForIndex(url, owner.cookie, albumId);
        // The previous visit's background work (listing, checking dates) is over.
        await page.goto(url + "/settings");
      }
      await page.goto(`${url}/albums/${albumId}`);
      await page.waitForFunction(
        () => document.querySelectorAll(".photo-tile[data-loaded] img").length >= 60,
        undefined,
        { timeout: 120_000, polling: 10 },
      );
      const first60 = await page.evaluate(() => performance.now());
      const mark = (name: string) =>
        page.evaluate((n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN, name);
      const [keys, first, listed, ordered] = await Promise.all([
        mark("p2pos:album-keys"),
        mark("p2pos:photos-first"),
        mark("p2pos:photos-listed"),
        mark("p2pos:photos-ordered"),
      ]);
      rows.push({ visit: `${label}, ${visit}`, keys, first, listed, ordered, first60 });
    }
    return rows;
  } finally {
    await browser.close();
  }
}

export async function runAlbumPageBench(
  options: AlbumBenchOptions = {},
): Promise<AlbumBenchResult> {
  const count = options.photos ?? 10_000;
  const seconds = options.seconds ?? 8;
  const connections = options.connections ?? 8;
  let node = await startNode();
  let other: NodeProcess | undefined;
  try {
    const t0 = performance.now();
    const { owner, albums } = await populate(node.url, node.setupCode!, count, !options.against);
    const albumId = albums.indexed;
    const setupSeconds = (performance.now() - t0) / 1000;
    if (options.against) [node, other] = await twinNode(node, options.against);
    const thumbBytes = (await (await fetch(`${node.url}/v1/albums/${albumId}/photos?limit=1`, {
      headers: { cookie: owner.cookie },
    })).json()).photos[0].thumb.size;
    const first = await (await fetch(
      `${node.url}/v1/albums/${albumId}/photos?limit=${Math.floor(count / 2)}`,
      { headers: { cookie: owner.cookie } },
    )).json();
    const middle = first.next ?? "";
    const targets = [
      { name: "/health", path: "/health" },
      { name: "photos, first 200", path: `/v1/albums/${albumId}/photos?limit=200` },
      {
        name: "photos, 200 from the middle",
        path: `/v1/albums/${albumId}/photos?after=${middle}&limit=200`,
      },
      { name: "album page (HTML)", path: `/albums/${albumId}` },
    ];
    const latency = await sequential(node.url, owner.cookie, targets, 300);
    const wrkRows = [];
    if (await hasWrk()) {
      for (const t of targets) {
        wrkRows.push(await wrk(node.url, owner.cookie, t, seconds, connections));
      }
    }
    const browser: BrowserRow[] = [];
    if (options.browser !== false) {
      if (!other) {
        browser.push(...await browserTimes(node.url, owner, albums.plain!, "(baseline) no index"));
      }
      // This checkout against the other, or batched against single-GET thumbnails: alternating
      // which goes first from round to round so that drift in the machine's load hits both alike.
      for (let round = 1; other && round <= (options.rounds ?? 1); round++) {
        const both = [[node.url, "this checkout"], [other.url, options.against!]];
        for (const [url, name] of round % 2 ? both : both.reverse()) {
          const label = `with the album index, batched (round ${round}), ${name}`;
          browser.push(...await browserTimes(url, owner, albums.indexed, label));
        }
      }
      for (let round = 1; !other && round <= (options.rounds ?? 1); round++) {
        for (const single of round % 2 ? [false, true] : [true, false]) {
          const label = single
            ? `with the album index, single GETs (round ${round})`
            : `with the album index, batched (round ${round})`;
          browser.push(...await browserTimes(node.url, owner, albums.indexed, label, single));
        }
      }
    }
    return {
      photos: count,
      setupSeconds,
      thumbBytes,
      latency,
      wrk: wrkRows,
      browser,
      connections,
      seconds,
    };
  } finally {
    await node.stop();
    await Deno.remove(node.dataDir, { recursive: true }).catch(() => {});
    if (other) {
      await other.stop();
      await Deno.remove(other.dataDir, { recursive: true }).catch(() => {});
    }
  }
}

/**
 * `node` restarted, and beside it a node of the checkout at `against` serving a copy of its
 * data dir (stopped meanwhile, to copy the SQLite files whole): the same data, two versions.
 */
export async function twinNode(
  node: NodeProcess,
  against: string,
): Promise<[NodeProcess, NodeProcess]> {
  await node.stop();
  const copy = await Deno.makeTempDir({ prefix: "p2pos-node-" });
  await new Deno.Command("cp", { args: ["-a", `${node.dataDir}/.`, copy] }).output();
  const restarted = await startNode({ dataDir: node.dataDir });
  const dir = new URL(`file://${Deno.realPathSync(against)}/`);
  const theirs = await import(new URL("tests/_support/node_process.ts", dir).href);
  return [restarted, await theirs.startNode({ dataDir: copy }) as NodeProcess];
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "–");

export function formatAlbumBench(r: AlbumBenchResult): string {
  const lines = [
    `Album of ${r.photos.toLocaleString("en")} photos (set up in ${
      r.setupSeconds.toFixed(1)
    } s), thumbnails of ${(r.thumbBytes / 1000).toFixed(0)} kB.`,
    "",
    "| endpoint (sequential, 1 connection) | requests | p50 ms | p99 ms | response |",
    "| ----------------------------------- | -------: | -----: | -----: | -------: |",
    ...r.latency.map((l) =>
      `| ${l.name} | ${l.requests} | ${f1(l.p50)} | ${f1(l.p99)} | ${
        (l.bytes / 1000).toFixed(1)
      } kB |`
    ),
  ];
  if (r.wrk.length) {
    const health = r.wrk[0].rps;
    lines.push(
      "",
      `| endpoint (wrk, ${r.connections} connections, ${r.seconds} s) | requests/s | vs /health | p50 ms | p99 ms |`,
      "| ------------------------------------------ | ---------: | ---------: | -----: | -----: |",
      ...r.wrk.map((w) =>
        `| ${w.name} | ${w.rps.toFixed(0)} | ${(w.rps / health * 100).toFixed(0)} % | ${
          f1(w.p50)
        } | ${f1(w.p99)} |`
      ),
    );
  } else {
    lines.push("", "(wrk is not installed: `apt-get install wrk` for the throughput rows)");
  }
  if (r.browser.length) {
    lines.push(
      "",
      "| Chromium, ms since navigation | album key opened | first photos (index) | all listed | all ordered | 60 thumbnails shown | thumbnails after first photos |",
      "| ----------------------------- | ---------------: | -------------------: | ---------: | ----------: | ------------------: | ----------------------------: |",
      ...r.browser.map((b) =>
        `| ${b.visit} | ${f1(b.keys)} | ${f1(b.first)} | ${f1(b.listed)} | ${f1(b.ordered)} | ${
          f1(b.first60)
        } | ${f1(b.first60 - b.first)} |`
      ),
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      photos: { type: "string" },
      seconds: { type: "string" },
      connections: { type: "string" },
      "no-browser": { type: "boolean" },
      rounds: { type: "string" },
      against: { type: "string" },
    },
  });
  const result = await runAlbumPageBench({
    photos: values.photos ? Number(values.photos) : undefined,
    seconds: values.seconds ? Number(values.seconds) : undefined,
    connections: values.connections ? Number(values.connections) : undefined,
    browser: !values["no-browser"],
    rounds: values.rounds ? Number(values.rounds) : undefined,
    against: values.against,
  });
  console.log(formatAlbumBench(result));
}
