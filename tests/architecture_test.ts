/**
 * Architecture guard (DESIGN §3): imports point down the layers, never up.
 * Reads the real module graph from `deno info --json` and fails on a
 * forbidden edge, naming the file and the import.
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

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(new URL(dir, ROOT))) {
    const rel = `${dir}${e.name}`;
    if (e.isDirectory) out.push(...await sourceFiles(rel + "/"));
    else if (/\.tsx?$/.test(e.name) && !/_test\.tsx?$/.test(e.name)) out.push(rel);
  }
  return out;
}

/** Module graph of main.ts and every source file: file → the specifiers it imports. */
async function moduleGraph(): Promise<Map<string, string[]>> {
  const files = ["main.ts"];
  for (const dir of ["lib/", "islands/", "routes/", "signal/"]) {
    files.push(...await sourceFiles(dir));
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
    for (const m of info.modules) {
      if (!m.specifier.startsWith("file://")) continue;
      const from = m.specifier.slice(`file://${root}`.length);
      graph.set(
        from,
        (m.dependencies ?? []).map((d) => d.code?.specifier ?? d.type?.specifier ?? d.specifier),
      );
    }
    return graph;
  } finally {
    await Deno.remove(entry);
  }
}

const rel = (spec: string) =>
  spec.startsWith(`file://${root}`) ? spec.slice(`file://${root}`.length) : spec;

const graph = await moduleGraph();

function edges(fromPrefix: string): [string, string][] {
  const out: [string, string][] = [];
  for (const [from, deps] of graph) {
    if (from.startsWith(fromPrefix)) { for (const d of deps) out.push([from, rel(d)]); }
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
    if (!/^(lib\/web|routes|islands)\//.test(file)) continue;
    if (deps.includes("node:sqlite")) bad.push(`${file} imports node:sqlite`);
    const text = await Deno.readTextFile(new URL(file, ROOT));
    if (/\.(prepare|exec)\(\s*["'`]/.test(text)) bad.push(`${file} runs SQL`);
  }
  assert.deepEqual(bad, []);
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
