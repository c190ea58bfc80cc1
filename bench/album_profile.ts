/**
 * Where a big album's reload spends its time (issue #16 §3): a DevTools trace and a CPU profile of
 * Chromium's main thread between "first photos" (the `p2pos:photos-first` mark) and the 60th
 * decrypted thumbnail shown, on the album of bench/album_page.ts.
 *
 *   deno run -A bench/album_profile.ts [--photos 2000] [--reloads 3] [--trace out] [--timeline]
 *
 * Each reload (after a first visit, as in bench/album_page.ts: away to /settings, then back) is
 * traced (`devtools.timeline`, `blink.user_timing`, `v8`) and sampled by the V8 profiler (100
 * µs). Printed per reload: the window's length; the renderer main thread's busy time (the union
 * of its tasks) and its events; every thread's busy time; image decodes on any thread; the JS
 * functions with the most self time; DOM mutations, `<img>` loads and dates formatted; then the
 * main thread's busy time and JS self time from navigation to the first photos. `--timeline`
 * profiles the Photos page (the same album, as the timeline shows it) instead of the album page;
 * `--trace out` also writes each reload's trace to `out.<n>.json`. Not a timed test: numbers vary
 * with the machine's load, printed beside them.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { seedToMnemonic } from "../lib/crypto/mod.ts";
import { launchBrowser } from "../tests/_support/browser.ts";
import { startNode } from "../tests/_support/node_process.ts";
import type { RemoteMember } from "../tests/_support/remote_family.ts";
import { populate } from "./album_page.ts";

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const load = () => Deno.loadavg().map((n) => n.toFixed(2)).join(" ");

/** Busy time per event name on one thread within [from, to] (µs), top-level tasks apart. */
function threadSummary(events: TraceEvent[], pid: number, tid: number, from: number, to: number) {
  const byName = new Map<string, { ms: number; count: number }>();
  // Busy = the union of the thread's tasks (they nest: count each moment once).
  let tasks = 0;
  let busyUntil = from;
  const sorted = events.filter((e) => e.pid === pid && e.tid === tid).sort((a, b) => a.ts - b.ts);
  for (const e of sorted) {
    if (e.ph !== "X" || e.dur === undefined) continue;
    const start = Math.max(e.ts, from);
    const end = Math.min(e.ts + e.dur, to);
    if (end <= start) continue;
    const ms = (end - start) / 1000;
    if (/RunTask$/.test(e.name) && end > busyUntil) {
      tasks += (end - Math.max(start, busyUntil)) / 1000;
      busyUntil = end;
    }
    const s = byName.get(e.name) ?? { ms: 0, count: 0 };
    s.ms += ms;
    s.count++;
    byName.set(e.name, s);
  }
  return { tasks, byName };
}

/** Self time per JS function within [from, to] (µs, the profile's clock = the trace's). */
function selfTimes(profile: CpuProfile, from: number, to: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < from || t > to) continue;
    const next = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(profile.samples[i])!;
    const f = node.callFrame;
    const file = f.url.split("/").pop() ?? "";
    const key = `${f.functionName || "(anonymous)"} ${file}${
      file ? `:${f.lineNumber + 1}:${f.columnNumber + 1}` : ""
    }`;
    self.set(key, (self.get(key) ?? 0) + next / 1000);
  }
  return [...self].sort((a, b) => b[1] - a[1]);
}

async function profileReloads(
  url: string,
  owner: RemoteMember,
  path: string,
  reloads: number,
  tracePath?: string,
) {
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(120_000);
    await page.setViewportSize({ width: 1280, height: 2000 });
    await page.addInitScript(() => {
      // Counts what changes in the page, from navigation on.
      const w = globalThis as unknown as Record<string, number>;
      w.__mutations = 0;
      w.__imgLoads = 0;
      // Each tile's label and each month heading format a date: a count of grid renders.
      w.__dateFormats = 0;
      const toLocale = Date.prototype.toLocaleDateString;
      Date.prototype.toLocaleDateString = function (
        ...args: Parameters<typeof toLocale>
      ) {
        w.__dateFormats++;
        return toLocale.apply(this, args);
      };
      new MutationObserver((records) => (w.__mutations += records.length)).observe(document, {
        subtree: true,
        childList: true,
        attributes: true,
      });
      document.addEventListener("load", (e) => {
        if ((e.target as Element).tagName === "IMG") {
          w.__imgLoads++;
          if (w.__imgLoads === 60) performance.mark("p2pos:60-img-loaded");
        }
      }, true);
    });
    await page.goto(url + "/");
    await page.waitForSelector('[data-island="SignIn"][data-hydrated="true"]');
    await page.fill("#recovery-words", seedToMnemonic(owner.seed));
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Hello, Ada" }).waitFor();
    const cdp = await page.context().newCDPSession(page);
    let events: TraceEvent[] = [];
    cdp.on("Tracing.dataCollected", (d) => events.push(...(d.value as unknown as TraceEvent[])));
    for (let visit = 0; visit <= reloads; visit++) {
      await page.goto(url + "/settings");
      await new Promise((r) => setTimeout(r, 1500)); // the last visit's background work ends
      const traced = visit > 0;
      events = [];
      if (traced) {
        await cdp.send("Profiler.enable");
        await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
        await cdp.send("Profiler.start");
        await cdp.send("Tracing.start", {
          categories: [
            "devtools.timeline",
            "disabled-by-default-devtools.timeline",
            "blink.user_timing",
            "v8.execute",
            "v8",
            "loading",
            "toplevel",
          ].join(","),
          transferMode: "ReportEvents",
        });
      }
      const loadBefore = load();
      await page.goto(`${url}${path}`);
      await page.waitForFunction(
        () => document.querySelectorAll(".photo-tile[data-loaded] img").length >= 60,
        undefined,
        { timeout: 120_000, polling: 10 },
      );
      const at = await page.evaluate(() => {
        performance.mark("p2pos:60-shown");
        const w = globalThis as unknown as Record<string, number>;
        const m = (n: string) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
        return {
          first: m("p2pos:photos-first"),
          shown: m("p2pos:60-shown"),
          mutations: w.__mutations,
          imgLoads: w.__imgLoads,
          dateFormats: w.__dateFormats,
          onScreen: [...document.querySelectorAll(".photo-tile")].filter((t) =>
            t.getBoundingClientRect().top < innerHeight
          ).length,
          loaded: document.querySelectorAll(".photo-tile[data-loaded]").length,
        };
      });
      // Let the 60 images decode and paint, to see where that work lands.
      await page.waitForFunction(() =>
        performance.getEntriesByName("p2pos:60-img-loaded").length > 0
      );
      const imgLoaded = await page.evaluate(() =>
        performance.getEntriesByName("p2pos:60-img-loaded")[0].startTime
      );
      if (!traced) continue;
      const { profile } = await cdp.send("Profiler.stop") as unknown as { profile: CpuProfile };
      const done = new Promise((r) => cdp.once("Tracing.tracingComplete", r));
      await cdp.send("Tracing.end");
      await done;
      if (tracePath) await Deno.writeTextFile(`${tracePath}.${visit}.json`, JSON.stringify(events));

      const firstMark = events.find((e) => e.name === "p2pos:photos-first");
      const shownMark = events.find((e) => e.name === "p2pos:60-shown");
      if (!firstMark || !shownMark) throw new Error("The trace lacks the page's marks");
      const pid = firstMark.pid;
      const tid = firstMark.tid;
      const from = firstMark.ts;
      const to = shownMark.ts;
      const { tasks, byName } = threadSummary(events, pid, tid, from, to);
      const windowMs = (to - from) / 1000;
      console.log(
        `\n## Reload ${visit}: load ${loadBefore} → ${load()}; first photos at ${
          at.first.toFixed(0)
        } ms, 60 shown at ${at.shown.toFixed(0)} ms (window ${
          windowMs.toFixed(0)
        } ms), 60th <img> loaded at ${
          imgLoaded.toFixed(0)
        } ms; DOM mutation records since navigation: ${at.mutations}, <img> loads: ${at.imgLoads}, dates formatted: ${at.dateFormats}; tiles on screen ${at.onScreen}, with a thumbnail ${at.loaded}`,
      );
      console.log(
        `main thread: top-level tasks ${tasks.toFixed(0)} ms of ${windowMs.toFixed(0)} (${
          (tasks / windowMs * 100).toFixed(0)
        } % busy)`,
      );
      const top = [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 24);
      console.log("| main-thread event | ms | count |\n| --- | --: | --: |");
      for (const [name, s] of top) console.log(`| ${name} | ${s.ms.toFixed(1)} | ${s.count} |`);
      // Image decodes and all threads' busy time in the window (and up to the 60th <img> load).
      const threadNames = new Map<string, string>();
      for (const e of events) {
        if (e.ph === "M" && e.name === "thread_name") {
          threadNames.set(`${e.pid}:${e.tid}`, String(e.args?.name));
        }
      }
      const perThread = new Map<string, number>();
      const decodes = new Map<string, { ms: number; count: number }>();
      for (const e of events) {
        if (e.ph !== "X" || e.dur === undefined || e.ts > to || e.ts + e.dur < from) continue;
        const thread = threadNames.get(`${e.pid}:${e.tid}`) ?? `${e.pid}:${e.tid}`;
        if (e.name === "RunTask" || e.name === "ThreadControllerImpl::RunTask") {
          perThread.set(thread, (perThread.get(thread) ?? 0) + e.dur / 1000);
        }
        if (/decode/i.test(e.name)) {
          const k = `${e.name} @ ${thread}`;
          const s = decodes.get(k) ?? { ms: 0, count: 0 };
          s.ms += e.dur / 1000;
          s.count++;
          decodes.set(k, s);
        }
      }
      console.log("| thread (tasks in window) | ms |\n| --- | --: |");
      for (const [t, ms] of [...perThread].sort((a, b) => b[1] - a[1]).slice(0, 10)) {
        console.log(`| ${t} | ${ms.toFixed(1)} |`);
      }
      console.log("| decode event @ thread | ms | count |\n| --- | --: | --: |");
      for (const [k, s] of [...decodes].sort((a, b) => b[1].ms - a[1].ms)) {
        console.log(`| ${k} | ${s.ms.toFixed(1)} | ${s.count} |`);
      }
      // Before the window: from navigation to the first photos (the album key, the index, the
      // first records), where a reload spends the rest of its time.
      const navigation = from - at.first * 1000;
      const before = threadSummary(events, pid, tid, navigation, from);
      console.log(
        `before the window (navigation → first photos): main thread busy ${
          before.tasks.toFixed(0)
        } ms of ${at.first.toFixed(0)}`,
      );
      console.log("| JS self time before the window | ms |\n| --- | --: |");
      for (const [f, ms] of selfTimes(profile, navigation, from).slice(0, 12)) {
        console.log(`| ${f} | ${ms.toFixed(1)} |`);
      }
      console.log("| JS self time in window (V8 sampling) | ms |\n| --- | --: |");
      for (const [f, ms] of selfTimes(profile, from, to).slice(0, 25)) {
        console.log(`| ${f} | ${ms.toFixed(1)} |`);
      }
    }
  } finally {
    await browser.close();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      photos: { type: "string" },
      reloads: { type: "string" },
      timeline: { type: "boolean" },
      trace: { type: "string" },
    },
  });
  const node = await startNode();
  try {
    const t0 = performance.now();
    const { owner, albums } = await populate(
      node.url,
      node.setupCode!,
      Number(values.photos ?? 2000),
      false,
    );
    const albumId = albums.indexed;
    console.log(`Set up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const path = values.timeline ? "/photos" : `/albums/${albumId}`;
    await profileReloads(node.url, owner, path, Number(values.reloads ?? 3), values.trace);
  } finally {
    await node.stop();
    await Deno.remove(node.dataDir, { recursive: true }).catch(() => {});
  }
}
