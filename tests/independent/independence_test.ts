// The second implementation is only worth something if it shares no code with lib/: this reads
// its real module graph (`deno info --json`) and fails on any module outside this folder other
// than the pinned @noble packages and the BIP39 word list.

import assert from "node:assert/strict";

const HERE = new URL("./", import.meta.url);

Deno.test("tests/independent/ imports nothing from lib/ and no crypto but @noble", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("mod.ts", HERE).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string; kind?: string; npmPackage?: string }[];
  };
  const local = info.modules.map((m) => m.specifier).filter((s) => s.startsWith("file:"));
  assert.ok(local.length >= 10, `saw only ${local.length} local modules`);
  for (const spec of local) {
    assert.ok(spec.startsWith(HERE.href), `${spec} is outside tests/independent/`);
  }
  const npm = info.modules.filter((m) => m.kind === "npm").map((m) => m.specifier);
  assert.ok(npm.some((s) => s.includes("@noble/ciphers")), "AES-GCM comes from @noble/ciphers");
  for (const spec of npm) {
    assert.match(
      spec,
      /^npm:\/@noble\/(ciphers|curves|hashes)@[\d.]+\/|^npm:\/@scure\/bip39@[\d.]+\/wordlists\/english\.js$/,
    );
  }
  assert.equal(
    info.modules.filter((m) => !m.specifier.startsWith("file:") && m.kind !== "npm").length,
    0,
  );
});
