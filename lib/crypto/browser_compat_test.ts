// Deno-only test. Guards the promise of lib/crypto: every module is browser-compatible, says
// so at the top, and imports nothing from Deno, Node or the rest of the project.

import assert from "node:assert/strict";

const DIR = new URL("./", import.meta.url);
const modules = [...Deno.readDirSync(DIR)]
  .map((e) => e.name)
  .filter((n) => n.endsWith(".ts") && !n.endsWith("_test.ts"))
  .sort();

const ALLOWED_IMPORT =
  /^(\.\/[a-z_]+\.ts|@noble\/(curves|hashes)\/[a-z0-9_]+\.js|@scure\/bip39(\/wordlists\/english\.js)?|@scure\/base|canonicalize)$/;

for (const name of modules) {
  Deno.test(`lib/crypto/${name} is browser-compatible`, () => {
    const source = Deno.readTextFileSync(new URL(name, DIR));
    const header = source.slice(0, source.indexOf("*/"));
    assert.ok(source.startsWith("/**"), "starts with a doc comment");
    assert.match(header, /Browser-compatible/, "its first comment says it is browser-compatible");
    assert.doesNotMatch(source, /\bDeno\./, "uses no Deno API");
    for (const [, spec] of source.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
      assert.match(spec, ALLOWED_IMPORT, `imports only lib/crypto and pinned crypto packages`);
    }
  });
}
