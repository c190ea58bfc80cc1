/**
 * Architecture guard (DESIGN §3): imports point down the layers, never up.
 * Reads the real module graph from `deno info --json` and fails on a
 * forbidden edge, naming the file and the import. Test files are held to their
 * layer too: a test under lib/<layer>/ reaches, through whatever helpers it uses
 * (tests/_support included), only that layer and the ones below it.
 */

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const root = ROOT.pathname;

interface ModuleInfo {
  specifier: string;
  dependencies?: {
    specifier: string;
    code?: { specifier: string };
    type?: { specifier: string };
  }[];
}

const isTest = (file: string) => /_test\.tsx?$/.test(file) || file.startsWith("tests/");

/** The .ts/.tsx files under `dir`: sources, or with `tests`, test files as well. */
async function sourceFiles(dir: string, tests = false): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(new URL(dir, ROOT))) {
    const rel = `${dir}${e.name}`;
    if (e.isDirectory) out.push(...await sourceFiles(rel + "/", tests));
    else if (/\.tsx?$/.test(e.name) && (tests || !isTest(rel))) out.push(rel);
  }
  return out;
}

/** File → what it imports, and what it imports to run (type-only imports left out). */
interface Graphs {
  all: Map<string, string[]>;
  runtime: Map<string, string[]>;
}

/** Module graph of main.ts, every source file and test file. */
async function moduleGraphs(): Promise<Graphs> {
  const files = ["main.ts"];
  for (const dir of ["lib/", "islands/", "routes/", "signal/", "tests/_support/"]) {
    files.push(...await sourceFiles(dir, true));
  }
  const entry = await Deno.makeTempFile({ dir: root, prefix: ".arch-", suffix: ".ts" });
  try {
    await Deno.writeTextFile(entry, files.map((f) => `import "./${f}";`).join("\n"));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: ModuleInfo[] };
    const graph = new Map<string, string[]>();
    const runtime = new Map<string, string[]>();
    for (const m of info.modules) {
      if (!m.specifier.startsWith("file://") || m.specifier === `file://${entry}`) continue;
      const from = m.specifier.slice(`file://${root}`.length);
      graph.set(
        from,
        (m.dependencies ?? []).map((d) => d.code?.specifier ?? d.type?.specifier ?? d.specifier),
      );
      runtime.set(from, (m.dependencies ?? []).flatMap((d) => d.code ? [d.code.specifier] : []));
    }
    return { all: graph, runtime };
  } finally {
    await Deno.remove(entry);
  }
}

const rel = (spec: string) =>
  spec.startsWith(`file://${root}`) ? spec.slice(`file://${root}`.length) : spec;

const { all: graph, runtime } = await moduleGraphs();

/** The imports of the source (not test) files under `fromPrefix`. */
function edges(fromPrefix: string): [string, string][] {
  const out: [string, string][] = [];
  for (const [from, deps] of graph) {
    if (from.startsWith(fromPrefix) && !isTest(from)) {
      for (const d of deps) out.push([from, rel(d)]);
    }
  }
  return out;
}

function violations(fromPrefix: string, forbidden: string[]): string[] {
  return edges(fromPrefix)
    .filter(([, to]) => forbidden.some((f) => to.startsWith(f)))
    .map(([from, to]) => `${from} imports ${to}`);
}

const UPPER = ["lib/vault/", "lib/web/", "routes/", "islands/", "main.ts", "manifest.gen.ts"];

Deno.test("The substrate never imports the vault, the web layer, routes or islands", () => {
  for (const layer of ["lib/crypto/", "lib/core/", "lib/store/", "lib/net/", "lib/replication/"]) {
    assert.deepEqual(violations(layer, UPPER), [], `${layer} reaches up`);
  }
});

Deno.test("Substrate layers only import downwards: crypto ← core ← store/net ← replication", () => {
  assert.deepEqual(
    violations("lib/crypto/", ["lib/core/", "lib/store/", "lib/net/", "lib/replication/", "node:"]),
    [],
  );
  assert.deepEqual(violations("lib/core/", ["lib/store/", "lib/net/", "lib/replication/"]), []);
  assert.deepEqual(violations("lib/store/", ["lib/net/", "lib/replication/"]), []);
  assert.deepEqual(violations("lib/net/", ["lib/store/", "lib/replication/"]), []);
  // The engine only sees the Transport interface of core; main.ts wires a transport in.
  assert.deepEqual(violations("lib/replication/", ["lib/net/"]), []);
  assert.deepEqual(violations("lib/vault/", ["lib/web/", "routes/", "islands/"]), []);
});

Deno.test("SQL lives below the web layer: no page, island or route opens or queries the database", async () => {
  const bad: string[] = [];
  for (const [file, deps] of graph) {
    if (!/^(lib\/web|routes|islands)\//.test(file) || isTest(file)) continue;
    if (deps.includes("node:sqlite")) bad.push(`${file} imports node:sqlite`);
    const text = await Deno.readTextFile(new URL(file, ROOT));
    if (/\.(prepare|exec)\(\s*["'`]/.test(text)) bad.push(`${file} runs SQL`);
  }
  assert.deepEqual(bad, []);
});

/** What a test under each layer may reach, directly or through test helpers. */
const TEST_REACH: Record<string, string[]> = {
  "lib/crypto/": ["lib/crypto/"],
  "lib/core/": ["lib/crypto/", "lib/core/"],
  "lib/store/": ["lib/crypto/", "lib/core/", "lib/store/"],
  // The relay uses only crypto, core and net (checked below): net's tests talk to a real one.
  "lib/net/": ["lib/crypto/", "lib/core/", "lib/net/", "signal/"],
  "lib/replication/": ["lib/crypto/", "lib/core/", "lib/store/", "lib/replication/"],
  "lib/vault/": ["lib/crypto/", "lib/core/", "lib/store/", "lib/replication/", "lib/vault/"],
};

/** The project files `file` reaches through its imports, itself excluded. */
function reach(file: string): Set<string> {
  const seen = new Set<string>();
  const stack = [file];
  while (stack.length) {
    for (const dep of (graph.get(stack.pop()!) ?? []).map(rel)) {
      if (dep.includes(":") || seen.has(dep)) continue;
      seen.add(dep);
      stack.push(dep);
    }
  }
  return seen;
}

Deno.test("A test reaches only its own layer and those below it, test helpers included", () => {
  const bad: string[] = [];
  let checked = 0;
  for (const file of graph.keys()) {
    const layer = Object.keys(TEST_REACH).find((l) => file.startsWith(l));
    if (!layer || !/_test\.tsx?$/.test(file)) continue;
    checked++;
    for (const dep of reach(file)) {
      if (dep.startsWith("tests/")) continue; // helpers: what they import is checked here too
      if (!TEST_REACH[layer].some((p) => dep.startsWith(p))) bad.push(`${file} reaches ${dep}`);
    }
  }
  assert.ok(checked > 20, `found only ${checked} lower-layer tests`);
  assert.deepEqual(bad, []);
});

Deno.test("No source file imports a test or a test helper", () => {
  const bad = [...graph].filter(([from]) => !isTest(from)).flatMap(([from, deps]) =>
    deps.map(rel).filter((d) => isTest(d)).map((d) => `${from} imports ${d}`)
  );
  assert.deepEqual(bad, []);
});

Deno.test("The web layer runs nothing of lib/store: main.ts hands it the stores", () => {
  const bad: string[] = [];
  for (const [file, deps] of runtime) {
    if (!/^(lib\/web|routes|islands)\//.test(file) || isTest(file)) continue;
    for (const dep of deps.map(rel)) {
      if (dep.startsWith("lib/store/")) bad.push(`${file} runs ${dep}`);
    }
  }
  assert.deepEqual(bad, []);
  // The type-only imports are still seen: the check above would see runtime ones.
  assert.ok(edges("lib/web/").some(([, to]) => to.startsWith("lib/store/")));
});

Deno.test("The relay (signal/) uses only crypto, core and net: it holds no family data", () => {
  assert.deepEqual(
    violations("signal/", ["lib/store/", "lib/replication/", ...UPPER]),
    [],
  );
  assert.deepEqual(violations("lib/", ["signal/"]), [], "the substrate never imports the relay");
  assert.ok(edges("signal/").some(([, to]) => to.startsWith("lib/net/")), "the guard sees signal/");
});

Deno.test("Islands reach only browser-safe code (no server modules, no node: builtins)", () => {
  const allowed = ["islands/", "components/", "lib/crypto/", "lib/core/", "lib/web/browser/"];
  const seen = new Set<string>();
  const stack = [...graph.keys()].filter((f) => f.startsWith("islands/"));
  assert.ok(stack.length > 0, "found no islands to check");
  const bad: string[] = [];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const dep of (graph.get(file) ?? []).map(rel)) {
      if (dep.startsWith("node:") || /^npm:\/?(hono|playwright|werift)/.test(dep)) {
        bad.push(`${file} imports ${dep}`);
      } else if (!dep.includes(":")) {
        if (!allowed.some((a) => dep.startsWith(a))) bad.push(`${file} imports ${dep}`);
        else stack.push(dep);
      }
    }
  }
  assert.deepEqual(bad, []);
});

Deno.test("The guard sees real edges (it would catch a violation)", () => {
  // main.ts must import the web layer; if the graph were empty every rule above would pass.
  assert.ok(edges("main.ts").some(([, to]) => to.startsWith("lib/web/")));
  assert.ok(edges("lib/web/").some(([, to]) => to.startsWith("lib/store/")));
});
