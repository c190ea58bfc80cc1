// Deno-only test. Guards the promise of lib/crypto: every module is browser-compatible, says
// so at the top, and imports nothing from Deno, Node or the rest of the project. One check over
// all modules (its failure lists every module and what is wrong with it); whether the modules
// really run in a browser is tested in Chromium (tests/e2e/crypto_vectors_test.ts).

import assert from "node:assert/strict";

const DIR = new URL("./", import.meta.url);

const ALLOWED_IMPORT =
  /^(\.\/[a-z_]+\.ts|@noble\/(curves|hashes)\/[a-z0-9_]+\.js|@scure\/bip39(\/wordlists\/english\.js)?|@scure\/base|canonicalize)$/;

/** What keeps the module `source` from being browser-compatible, as lib/crypto promises. */
function problems(source: string): string[] {
  const out: string[] = [];
  const header = source.slice(0, source.indexOf("*/"));
  if (!source.startsWith("/**")) out.push("does not start with a doc comment");
  if (!/Browser-compatible/.test(header)) out.push("its first comment does not say so");
  if (/\bDeno\./.test(source)) out.push("uses a Deno API");
  for (const [, spec] of source.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
    if (!ALLOWED_IMPORT.test(spec)) out.push(`imports ${spec}`);
  }
  return out;
}

Deno.test("Every module of lib/crypto is browser-compatible and says so", () => {
  const modules = [...Deno.readDirSync(DIR)]
    .map((e) => e.name)
    .filter((n) => n.endsWith(".ts") && !n.endsWith("_test.ts"))
    .sort();
  assert.ok(modules.length > 10, `found only ${modules.length} modules`);
  const found = modules.flatMap((name) =>
    problems(Deno.readTextFileSync(new URL(name, DIR))).map((p) => `${name}: ${p}`)
  );
  assert.deepEqual(found, []);
});

Deno.test("The browser-compatibility check catches each kind of fault", () => {
  const good = '/**\n * Browser-compatible.\n */\nimport { x } from "./bytes.ts";\n';
  assert.deepEqual(problems(good), []);
  assert.deepEqual(problems("// Browser-compatible\n"), [
    "does not start with a doc comment",
  ]);
  assert.deepEqual(problems("/** Pure. */\n"), ["its first comment does not say so"]);
  assert.deepEqual(problems(good + "Deno.readFile;\n"), ["uses a Deno API"]);
  assert.deepEqual(problems(good + 'import { x } from "node:fs";\n'), ["imports node:fs"]);
  assert.deepEqual(problems(good + 'import { x } from "../store/mod.ts";\n'), [
    "imports ../store/mod.ts",
  ]);
});
