/**
 * The timeline at 10,000 photos in 20 albums (issue #16): Chromium's time to the first 60
 * decrypted thumbnails of the Photos page, newest first, against one of the same albums opened on
 * its own in the same run.
 *
 *   deno run -A bench/timeline.ts [--albums 20] [--per-album 500] [--rounds 1] [--against DIR]
 *
 * A node is spawned from main.ts; the family and the albums are made through the API as browsers
 * make them, each with its album index (FORMAT §12.5). The albums' photos interleave in time, so
 * the newest photos come from every album; the 200 newest have thumbnails of their own (720 × 540
 * JPEGs drawn by Chromium), the others share 20 sets. Each measurement is a fresh Chromium profile:
 * a first visit, then a reload. `--against DIR` compares another checkout (its main.ts serving a
 * copy of the same data dir) in the same run instead, as bench/album_page.ts does.
 */

import { parseArgs } from "node:util";
import { seedToMnemonic } from "../lib/crypto/mod.ts";
import { launchBrowser } from "../tests/_support/browser.ts";
import { type NodeProcess, startNode } from "../tests/_support/node_process.ts";
import { type RemoteMember, setupRemoteFamily } from "../tests/_support/remote_family.ts";
import { fillAlbum, makeBlobSets, refuseBlobBatch, twinNode } from "./album_page.ts";

const OWN = 200;
const SHARED = 20;

export interface TimelineRow {
  visit: string;
  ordered: number;
  first: number;
  first60: number;
}

async function measure(
  url: string,
  owner: RemoteMember,
  path: string,
  label: string,
  single = false,
): Promise<TimelineRow[]> {
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
    const rows: TimelineRow[] = [];
    for (const visit of ["first visit", "reload"]) {
      if (visit === "reload") await page.goto(url + "/settings");
      await page.goto(url + path);
      await page.waitForFunction(
        () => document.querySelectorAll(".photo-tile[data-loaded] img").length >= 60,
        undefined,
        { timeout: 120_000, polling: 10 },
      );
      const first60 = await page.evaluate(() => performance.now());
      const mark = (name: string) =>
        page.evaluate((n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN, name);
      rows.push({
        visit: `${label}, ${visit}`,
        ordered: await mark("p2pos:timeline-ordered"),
        first: await mark("p2pos:photos-first"),
        first60,
      });
    }
    return rows;
  } finally {
    await browser.close();
  }
}

export async function runTimelineBench(
  options: { albums?: number; perAlbum?: number; rounds?: number; against?: string } = {},
): Promise<{ photos: number; albums: number; setupSeconds: number; rows: TimelineRow[] }> {
  const albums = options.albums ?? 20;
  const perAlbum = options.perAlbum ?? 500;
  const total = albums * perAlbum;
  let node = await startNode();
  let other: NodeProcess | undefined;
  try {
    const t0 = performance.now();
    const owner = await setupRemoteFamily(node.url, node.setupCode!, {
      family: "Bench",
      founder: "Ada",
    });
    const sets = await makeBlobSets(node.url, owner, OWN + SHARED);
    const base = Date.UTC(2020, 0, 1);
    const ids: string[] = [];
    for (let a = 0; a < albums; a++) {
      // Photo j of album a is the (j × albums + a)-th oldest of all.
      const global = (j: number) => j * albums + a;
      ids.push(
        await fillAlbum(node.url, owner, `Album ${a + 1}`, perAlbum, {
          takenAt: (j) => base + global(j) * 3_600_000,
          set: (j) => {
            const g = total - 1 - global(j); // 0 = the newest
            return sets[g < OWN ? g : OWN + (g % SHARED)];
          },
        }, true),
      );
    }
    const setupSeconds = (performance.now() - t0) / 1000;
    const rows: TimelineRow[] = [];
    if (options.against) {
      // This checkout against another, same data, alternating the order (bench/album_page.ts).
      [node, other] = await twinNode(node, options.against);
      for (let round = 1; round <= (options.rounds ?? 1); round++) {
        const both = [[node.url, "this checkout"], [other.url, options.against]];
        for (const [url, name] of round % 2 ? both : both.reverse()) {
          const label =
            `timeline of ${total} in ${albums} albums, batched (round ${round}), ${name}`;
          rows.push(...await measure(url, owner, "/photos", label));
        }
      }
      return { photos: total, albums, setupSeconds, rows };
    }
    rows.push(
      ...await measure(
        node.url,
        owner,
        `/albums/${ids[0]}`,
        `(reference) one album of ${perAlbum}`,
      ),
    );
    // Thumbnails batched and with one GET each (bench/album_page.ts), alternating the order.
    for (let round = 1; round <= (options.rounds ?? 1); round++) {
      for (const single of round % 2 ? [false, true] : [true, false]) {
        const how = single ? "single GETs" : "batched";
        const label = `timeline of ${total} in ${albums} albums, ${how} (round ${round})`;
        rows.push(...await measure(node.url, owner, "/photos", label, single));
      }
    }
    return { photos: total, albums, setupSeconds, rows };
  } finally {
    for (const n of other ? [node, other] : [node]) {
      await n.stop();
      await Deno.remove(n.dataDir, { recursive: true }).catch(() => {});
    }
  }
}

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : "–");

export function formatTimelineBench(r: Awaited<ReturnType<typeof runTimelineBench>>): string {
  return [
    `Timeline of ${r.photos.toLocaleString("en")} photos in ${r.albums} albums (set up in ${
      r.setupSeconds.toFixed(1)
    } s).`,
    "",
    "| Chromium, ms since navigation | albums ordered | first photos | 60 thumbnails shown |",
    "| ----------------------------- | -------------: | -----------: | ------------------: |",
    ...r.rows.map((x) => `| ${x.visit} | ${f0(x.ordered)} | ${f0(x.first)} | ${f0(x.first60)} |`),
  ].join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      albums: { type: "string" },
      "per-album": { type: "string" },
      rounds: { type: "string" },
      against: { type: "string" },
    },
  });
  console.log(formatTimelineBench(
    await runTimelineBench({
      albums: values.albums ? Number(values.albums) : undefined,
      perAlbum: values["per-album"] ? Number(values["per-album"]) : undefined,
      rounds: values.rounds ? Number(values.rounds) : undefined,
      against: values.against,
    }),
  ));
}
