import assert from "node:assert/strict";
import { generateManifest } from "./build.ts";
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
