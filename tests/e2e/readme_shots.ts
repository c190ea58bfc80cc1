/**
 * Copies the README's screenshots from the last e2e run (tests/e2e/.screenshots/) into
 * docs/screenshots/: `deno task screenshots` runs the tests that take them, then this.
 * Fails, naming them, when a screenshot is missing (its test did not run or failed).
 */

const FROM = new URL("./.screenshots/", import.meta.url);
const TO = new URL("../../docs/screenshots/", import.meta.url);

/** README name → the e2e screenshot it is. */
export const README_SHOTS: Record<string, string> = {
  "setup.png": "setup_names.png",
  "album-grid.png": "vault_album_grid.png",
  "viewer.png": "vault_viewer.png",
  "nodes.png": "replication_nodes.png",
  "timeline.png": "timeline.png",
  "download.png": "download_album.png",
  "moved.png": "failover_moved.png",
  "offline.png": "installable_offline.png",
  "link-device.png": "device_link_code.png",
};

if (import.meta.main) {
  await Deno.mkdir(TO, { recursive: true });
  const missing: string[] = [];
  for (const [to, from] of Object.entries(README_SHOTS)) {
    try {
      await Deno.copyFile(new URL(from, FROM), new URL(to, TO));
      console.log(`docs/screenshots/${to} ← tests/e2e/.screenshots/${from}`);
    } catch {
      missing.push(from);
    }
  }
  if (missing.length) {
    console.error(`Missing (run their e2e tests first): ${missing.join(", ")}`);
    Deno.exit(1);
  }
}
