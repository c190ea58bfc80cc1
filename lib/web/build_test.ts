import assert from "node:assert/strict";
import { ensureIslandBundles, generateManifest } from "./build.ts";
import { routePattern } from "./pages.ts";

Deno.test("manifest.gen.ts is up to date with routes/ and islands/ (run `deno task build`)", async () => {
  const committed = await Deno.readTextFile(new URL("../../manifest.gen.ts", import.meta.url));
  assert.equal(committed, await generateManifest());
});

Deno.test("routePattern() maps Fresh route files to URL patterns", () => {
  assert.equal(routePattern("./routes/index.tsx"), "/");
  assert.equal(routePattern("./routes/albums/index.tsx"), "/albums");
  assert.equal(routePattern("./routes/albums/[id].tsx"), "/albums/:id");
  assert.equal(routePattern("./routes/_app.tsx"), undefined);
  assert.equal(routePattern("./routes/_components/x.tsx"), undefined);
});

/** A project root with a build stamped at the epoch and an island source newer than it. */
async function staleBuild(): Promise<URL> {
  const dir = await Deno.makeTempDir({ prefix: "p2pos-build-" });
  const root = new URL(`file://${dir}/`);
  await Deno.mkdir(new URL("_build/islands/", root), { recursive: true });
  await Deno.mkdir(new URL("islands/", root));
  const stamp = new URL("_build/islands/build.json", root);
  await Deno.writeTextFile(stamp, JSON.stringify({ buildId: "shipped", islands: ["Hello"] }));
  await Deno.utime(stamp, 0, 0);
  await Deno.writeTextFile(new URL("islands/Hello.tsx", root), "export default () => null;\n");
  return root;
}

Deno.test("ensureIslandBundles() with rebuild off serves the bundles it has, whatever the sources, and never bundles", async () => {
  const root = await staleBuild();
  try {
    const info = await ensureIslandBundles({ root, rebuild: false });
    assert.deepEqual(info, { buildId: "shipped", islands: ["Hello"] });
    // What the default would do with the same tree: try to bundle (and fail here, since this
    // root has no browser runtime) — so the answer above really came from not building.
    await assert.rejects(ensureIslandBundles({ root }), /Bundling islands failed/);
  } finally {
    await Deno.remove(new URL(root), { recursive: true });
  }
});

Deno.test("ensureIslandBundles() with rebuild off and no bundles says how to build them", async () => {
  const root = await staleBuild();
  try {
    await Deno.remove(new URL("_build/", root), { recursive: true });
    await assert.rejects(
      ensureIslandBundles({ root, rebuild: false }),
      /no island bundles .* `deno task compile`/,
    );
  } finally {
    await Deno.remove(new URL(root), { recursive: true });
  }
});
