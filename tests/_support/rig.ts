/**
 * One fixture for every test that starts real things — node processes, relays, coturn,
 * Chromium: each is handed to the rig the moment it exists, and the rig tears all of it
 * down when the test's `await using` scope ends, whatever failed and wherever: a browser
 * that would not launch still leaves no node running. Teardown runs in reverse order
 * (pages and browsers, then processes, then their temp dirs), and a teardown step that
 * fails never hides the test's own failure.
 *
 * ```ts
 * rigTest("The first-run page …", async (rig) => {
 *   const node = await rig.node();
 *   const page = await rig.page();
 *   await page.goto(node.url + "/");
 *   assert.deepEqual(rig.pageErrors(), [[]]);
 * });
 * ```
 */

import type { Page } from "playwright-core";
import { type Browser, launchBrowser, type LaunchOptions } from "./browser.ts";
import { type NodeProcess, startNode, type StartOptions } from "./node_process.ts";

/** Anything a test starts that has to be stopped; its output is shown when the test fails. */
export interface Stoppable {
  stop(signal?: Deno.Signal): Promise<unknown>;
  url?: string;
  output?(): string;
}

/** Where {@link Rig.report} puts screenshots of the pages of a failed test. */
const FAILURE_SHOTS = new URL("../e2e/.screenshots/", import.meta.url);

export class Rig implements AsyncDisposable {
  readonly #stack = new AsyncDisposableStack();
  readonly #errors = new Map<Page, string[]>();
  readonly #processes: Stoppable[] = [];
  #browser?: Browser;

  /** Runs `cleanup` when the rig ends (the last registered runs first); its errors are dropped. */
  defer(cleanup: () => unknown): void {
    this.#stack.defer(async () => {
      try {
        await cleanup();
      } catch { /* teardown never hides the test's own failure */ }
    });
  }

  /** Stops `thing` (SIGKILL: nothing a test checks depends on a clean exit) when the rig ends. */
  track<T extends Stoppable>(thing: T): T {
    this.#processes.push(thing);
    this.defer(() => thing.stop("SIGKILL"));
    return thing;
  }

  /** Removes `path` (a temp dir) when the rig ends, after what was started in it stopped. */
  removeLater(path: string): void {
    this.defer(() => Deno.remove(path, { recursive: true }));
  }

  /**
   * Starts a node; it is stopped when the rig ends. Without `options.dataDir` its data dir is
   * a temp dir the rig removes; a node restarted on an existing data dir leaves it alone.
   */
  async node(options: StartOptions = {}): Promise<NodeProcess> {
    let dataDir = options.dataDir;
    if (dataDir === undefined) {
      dataDir = await Deno.makeTempDir({ prefix: "p2pos-node-" });
      this.removeLater(dataDir);
    }
    return this.track(await startNode({ ...options, dataDir }));
  }

  /** Launches Chromium in a temp profile; closed when the rig ends. */
  async browser(options: LaunchOptions = {}): Promise<Browser> {
    const browser = await launchBrowser(options);
    this.defer(() => browser.close());
    return browser;
  }

  /**
   * A new page in `browser` (by default one browser the rig launches the first time), with
   * `timeoutMs` for every wait, and its uncaught errors and console errors collected for
   * {@link pageErrors}.
   */
  async page(browser?: Browser, timeoutMs = 30_000): Promise<Page> {
    browser ??= this.#browser ??= await this.browser();
    const page = await browser.context.newPage();
    page.setDefaultTimeout(timeoutMs);
    this.#errors.set(page, watchErrors(page));
    return page;
  }

  /** The errors each page opened by {@link page} saw so far, one list per page, in order. */
  pageErrors(): string[][] {
    return [...this.#errors.values()].map((e) => [...e]);
  }

  /** The errors `page` (opened by {@link page}) sees: a live list, growing as they come. */
  errorsOf(page: Page): readonly string[] {
    return this.#errors.get(page) ?? [];
  }

  /**
   * For whoever reads the log of a failed test: a screenshot of every open page
   * (`failure_<name>_<n>.png`), the errors each page saw, and the end of each process's output.
   */
  async report(name: string): Promise<void> {
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "_").slice(0, 40);
    await Deno.mkdir(FAILURE_SHOTS, { recursive: true }).catch(() => {});
    for (const [i, page] of [...this.#errors.keys()].entries()) {
      const path = new URL(`failure_${slug}_${i}.png`, FAILURE_SHOTS).pathname;
      await page.screenshot({ path, fullPage: true, timeout: 5_000 }).catch(() => {});
    }
    if (this.#errors.size) console.error("Page errors:", this.pageErrors());
    for (const p of this.#processes) {
      const out = p.output?.();
      if (out) console.error(`${p.url ?? "A process"} said:\n${out.slice(-4000)}`);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#stack.disposeAsync();
  }
}

/** Collects uncaught page errors and console errors (CSP violations among them). */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    // Refusals the pages handle and explain (wrong code, removed member, …) are expected;
    // Chromium logs them as console errors anyway.
    if (m.type() === "error" && !/status of (401|403|409|410)/.test(m.text())) {
      errors.push(m.text());
    }
  });
  return errors;
}

/**
 * A test that drives real processes or Chromium: `fn` gets a fresh {@link Rig}, torn down
 * when it returns or throws; when it throws, the rig reports first ({@link Rig.report}). Resource and op sanitizers are off: playwright and child
 * processes keep handles the sanitizers cannot attribute; the rig stops them instead.
 */
export function rigTest(name: string, fn: (rig: Rig) => Promise<void>): void {
  Deno.test({
    name,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await using rig = new Rig();
      try {
        await fn(rig);
      } catch (err) {
        await rig.report(name);
        throw err;
      }
    },
  });
}
